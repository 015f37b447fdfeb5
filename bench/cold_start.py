"""Import time of the Lambda entry point (`import app`) against the libraries it cannot do without.

Each import runs in a fresh interpreter (what a cold start pays), several times, interleaved so that a
noisy moment hits every candidate alike; the minimum of each is taken and the bare interpreter start
(`python -c pass`) subtracted.

Two ratios. First the target's own: `import app` over `import chalice.app, boto3, pydantic`. Since
pydantic 2, `import pydantic` is lazy: it loads none of the machinery that defining any model loads
(about 45 ms here, more than our whole code), so that baseline leaves out most of what pydantic costs.
Hence the second: over the same libraries *in use*, with one model defined as ours are (`defer_build`),
which is the least any Chalice app with a pydantic model pays.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 15
TARGET = 1.3
CANDIDATES = {
    "bare": "pass",
    "libraries": "import chalice.app, boto3, pydantic",
    "libraries_in_use": (
        "import chalice.app, boto3\n"
        "from pydantic import BaseModel, ConfigDict\n"
        "class Probe(BaseModel):\n"
        "    model_config = ConfigDict(defer_build=True)\n"
        "    name: str"
    ),
    "app": "import app",
}


def _once(code: str) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one fresh interpreter running `code`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)  # noqa: S603
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def import_seconds(runs: int = RUNS) -> dict[str, dict[str, float]]:
    """Per candidate, the minimum wall and CPU time over `runs` fresh interpreters, bare start subtracted.

    The minimum is the run least disturbed by other work on the machine; CPU time is a cross-check that
    contention (which stretches wall time, not CPU time) did not decide the ratio.
    """
    best = {name: {"wall": float("inf"), "cpu": float("inf")} for name in CANDIDATES}
    for code in CANDIDATES.values():
        _once(code)  # writes the bytecode caches, as a warm deployment package would have them
    for _ in range(runs):
        for name, code in CANDIDATES.items():
            wall, cpu = _once(code)
            best[name] = {"wall": min(best[name]["wall"], wall), "cpu": min(best[name]["cpu"], cpu)}
    bare = best.pop("bare")
    net = {name: {k: v - bare[k] for k, v in times.items()} for name, times in best.items()}
    return net | {"bare": bare}


def ratio(seconds: dict[str, dict[str, float]], kind: str = "wall", base: str = "libraries") -> float:
    """`import app` over `base`, by wall or CPU time."""
    return seconds["app"][kind] / seconds[base][kind]


def shares_ms(seconds: dict[str, dict[str, float]]) -> dict[str, float]:
    """Where `import app`'s wall time goes: the libraries as imported, what defining a model adds, ours."""
    app, lib, in_use = (seconds[name]["wall"] * 1000 for name in ("app", "libraries", "libraries_in_use"))
    return {"libraries": lib, "pydantic model machinery": in_use - lib, "our code": app - in_use}


def main() -> None:
    """Print both ratios and the shares."""
    seconds = import_seconds()
    print(
        f"import app / chalice.app+boto3+pydantic = {ratio(seconds):.2f} (CPU {ratio(seconds, 'cpu'):.2f}); "
        f"/ the same with one model = {ratio(seconds, base='libraries_in_use'):.2f} (target <= {TARGET}); "
        + ", ".join(f"{name} {ms:.0f} ms" for name, ms in shares_ms(seconds).items())
    )


if __name__ == "__main__":
    main()
