"""`make bench`: run every benchmark module in bench/ (each has a `main()` that prints its figures)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path


def main() -> None:
    """Run each benchmark in name order."""
    for module in sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])):
        if module.startswith("_") or module == "load":  # `make load` runs it
            continue
        print(f"\n== bench/{module}.py")
        importlib.import_module(f"bench.{module}").main()


if __name__ == "__main__":
    main()
