"""Import time of the Lambda entry point (`import app`) against the libraries it cannot do without.

Each import runs in a fresh interpreter (what a cold start pays), several times, interleaved so that a
noisy moment hits every candidate alike; the minimum of each is taken and the bare interpreter start
(`python -c pass`) subtracted. The ratio is `import app` over `import chalice.app, boto3, pydantic`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 9
TARGET = 1.3
CANDIDATES = {
    "bare": "pass",
    "libraries": "import chalice.app, boto3, pydantic",
    "app": "import app",
}


def _once(code: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)  # noqa: S603
    return time.perf_counter() - start


def import_seconds(runs: int = RUNS) -> dict[str, float]:
    """The minimum wall time of each candidate over `runs` fresh interpreters, bare start subtracted."""
    best = {name: float("inf") for name in CANDIDATES}
    for code in CANDIDATES.values():
        _once(code)  # writes the bytecode caches; Lambda's own cold start reads them from the zip or not
    for _ in range(runs):
        for name, code in CANDIDATES.items():
            best[name] = min(best[name], _once(code))
    bare = best.pop("bare")
    return {name: seconds - bare for name, seconds in best.items()} | {"bare": bare}


def main() -> None:
    """Print the ratio."""
    seconds = import_seconds()
    ratio = seconds["app"] / seconds["libraries"]
    print(
        f"import app {seconds['app'] * 1000:.0f} ms / chalice.app+boto3+pydantic "
        f"{seconds['libraries'] * 1000:.0f} ms = {ratio:.2f} (target <= {TARGET})"
    )


if __name__ == "__main__":
    main()
