"""`make bench`: every figure that stands for the product's performance, in one table, from one run.

Rows: each request's AWS calls beside the fewest it needs, and its handler time (bench/operations.py);
the daily audit at growing account sizes (bench/audit.py); the import time of the Lambda entry point as
a ratio to its libraries (bench/cold_start.py); a cached `credential-process` against a bare interpreter
(bench/credential_process.py); the deployment zip (bench/package_size.py). The table is
printed and written to bench/results.md (the README summarises it) and bench/results.json.
"""

from __future__ import annotations

import json
import platform
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from bench import audit, cold_start, credential_process, operations, package_size
from bench._harness import Row

HERE = Path(__file__).resolve().parent
HEADER = ("figure", "measured", "minimum / target", "median ms", "why that minimum", "detail")


def _calls(n: int) -> str:
    return f"{n} call{'' if n == 1 else 's'}"


def _operation_cells(row: Row) -> tuple[str, ...]:
    verdict = "" if row.warm_calls <= row.minimum else f" (+{row.warm_calls - row.minimum})"
    cold = "" if row.cold_calls == row.warm_calls else f"; cold {row.cold_calls}"
    return (
        row.operation,
        f"{_calls(row.warm_calls)}{verdict}{cold}",
        _calls(row.minimum),
        f"{row.median_ms:,.1f}",
        row.why,
        row.detail,
    )


def markdown(cells: list[tuple[str, ...]]) -> str:
    """The table in Markdown."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]
    return "\n".join(lines)


def main() -> None:
    """Measure everything, print the table, write the results files."""
    # First, while this process is small: a fresh interpreter's start is what is being measured.
    print("measuring import times in fresh interpreters...", file=sys.stderr)
    imports = cold_start.import_seconds()
    process = credential_process.measure()
    print("measuring the operations...", file=sys.stderr)
    rows = operations.rows()
    print(
        f"measuring create through the dev gateway at {operations.LATENCY_S * 1000:.0f} ms per call...",
        file=sys.stderr,
    )
    trips = operations.round_trips()
    print("measuring the audit at 100, 1,000 and 5,000 users (a few minutes)...", file=sys.stderr)
    rows += audit.rows()
    print("measuring the deployment zip...", file=sys.stderr)
    size = package_size.measure()

    cells = [_operation_cells(r) for r in rows]
    cells.insert(
        1,
        (
            f"create user through the dev gateway, {operations.LATENCY_S * 1000:.0f} ms per AWS call",
            f"{trips.median:.1f} round trips"
            + ("" if round(trips.median) <= operations.ROUND_TRIPS_TARGET else " (over target)")
            + f"; first request {trips.first:.1f}",
            f"<= {operations.ROUND_TRIPS_TARGET} + the gateway's",
            f"{trips.median_ms:,.0f}",
            operations.ROUND_TRIPS_WHY,
            f"wall time / latency, median of {operations.ROUND_TRIP_RUNS - 1} requests after the first; "
            f"the gateway's GetUser: {trips.gateway_lookups} over {operations.ROUND_TRIP_RUNS} requests",
        ),
    )
    app_ms = imports["app"]["wall"] * 1000
    shares = "; ".join(f"{name} {ms:.0f} ms" for name, ms in cold_start.shares_ms(imports).items())
    how = (
        f"fresh interpreters, min of {cold_start.RUNS} runs each, "
        f"bare interpreter start ({imports['bare']['wall'] * 1000:.0f} ms) subtracted"
    )
    for label, base, why in (
        (
            "`import chalice.app, boto3, pydantic` (the target as written)",
            "libraries",
            "since pydantic 2 `import pydantic` is lazy: it leaves out the model machinery any model loads",
        ),
        (
            "the same libraries in use: one pydantic model defined, `defer_build` as ours",
            "libraries_in_use",
            "the least a Chalice app with one pydantic model pays",
        ),
    ):
        value = cold_start.ratio(imports, base=base)
        cells.append(
            (
                f"cold start: `import app` / {label}",
                f"{value:.2f}" + ("" if value <= cold_start.TARGET else " (over target)"),
                f"<= {cold_start.TARGET}",
                f"{app_ms:.0f}",
                f"{how}; {why}",
                f"by CPU time {cold_start.ratio(imports, 'cpu', base):.2f}; "
                f"`import app` {app_ms:.0f} ms = {shares}",
            )
        )
    process_ms, bare_ms = (process[name]["wall"] * 1000 for name in ("cached", "bare"))
    process_ratio = credential_process.ratio(process)
    cells.append(
        (
            "`iam-onboarding credential-process` on a cached session / `python -c pass`",
            f"{process_ratio:.2f}" + ("" if process_ratio <= credential_process.TARGET else " (over target)"),
            f"<= {credential_process.TARGET}",
            f"{process_ms:.0f}",
            "the AWS CLI runs it for every command and caches nothing (aws-vault, a Go binary: ~10 ms)",
            f"fresh processes, min of {credential_process.RUNS} each; by CPU time "
            f"{credential_process.ratio(process, 'cpu'):.2f}; bare start {bare_ms:.0f} ms",
        )
    )
    cells.append(
        (
            "deployment zip (`make package`)",
            f"{size.zipped_bytes / 1024:,.0f} KiB",
            f"<= {package_size.LIMIT_BYTES // 1024:,} KiB",
            "",
            "Lambda's limit for a directly uploaded zip; boto3 is not in it (the runtime ships it)",
            f"{size.unpacked_bytes / 1024:,.0f} KiB unpacked; largest: "
            + ", ".join(f"{name} {n / 1024:,.0f} KiB" for name, n in size.largest),
        )
    )
    table = markdown(cells)
    stamp = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    where = f"Python {platform.python_version()} on {platform.system()} {platform.machine()}"
    (HERE / "results.md").write_text(
        f"# `make bench` results\n\nRun {stamp}, {where}. Calls are counted per invocation of the Lambda "
        "handler on the in-process emulator (moto); `cold` is the first invocation after the container's "
        "caches are emptied. Times are the emulator's latencies, medians over "
        f"{operations.RUNS} warm invocations (one run for the audit): compare rows, not absolutes; an IAM "
        "call costs 100-400 ms in AWS.\n\n" + table + "\n"
    )
    (HERE / "results.json").write_text(
        json.dumps(
            {
                "generated_at": stamp,
                "platform": where,
                "operations": [asdict(r) for r in rows],
                "create_round_trips": asdict(trips),
                "cold_start": {
                    "ratio": cold_start.ratio(imports),
                    "ratio_libraries_in_use": cold_start.ratio(imports, base="libraries_in_use"),
                    "target": cold_start.TARGET,
                    "seconds": imports,
                },
                "package": asdict(size),
                "credential_process": {"ratio": process_ratio, "seconds": process},
            },
            indent=2,
        )
        + "\n"
    )
    print(table)
    print(f"\nWritten to {HERE / 'results.md'} and results.json")


if __name__ == "__main__":
    main()
