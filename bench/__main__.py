"""`python -m bench` (`make bench`): run every benchmark module in turn, each printing its own table."""

from __future__ import annotations

import importlib

MODULES = ["bench.audit"]


def main() -> None:
    """Run each module's `main()`."""
    for name in MODULES:
        print(f"== {name}")
        importlib.import_module(name).main()


if __name__ == "__main__":
    main()
