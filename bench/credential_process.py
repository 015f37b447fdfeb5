"""`iam-onboarding credential-process` on a cached session, against a bare Python start (SPEC §14).

The AWS CLI runs a `credential_process` for every command and caches nothing, so this start-up is paid on
each `aws s3 ls`; the target is at most twice `python -c pass` (aws-vault, a Go binary, takes ~10 ms).
Both run as fresh processes, interleaved so that a noisy moment hits both alike; the minimum of each is
taken, by wall and by CPU time. The profile, key and cached session are written to a temporary directory:
no AWS is involved, as none is on the cached path.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from iam_onboarding_cli import credential_process, profiles, session_cache
from iam_onboarding_cli.main import Console

RUNS = 30
TARGET = 2.0
SCRIPT = Path(sys.executable).parent / "iam-onboarding"
SERIAL = "arn:aws:iam::123456789012:mfa/ada"


def _prepare(home: Path) -> dict[str, str]:
    """A profile of SPEC §14's layout with a cached session 8 hours long; the environment that names it."""
    (home / "config").write_text(
        f"[profile dev-long-term]\nregion = eu-west-1\nmfa_serial = {SERIAL}\n\n"
        f"[profile dev]\nregion = eu-west-1\nmfa_serial = {SERIAL}\nsource_profile = dev-long-term\n"
        f"credential_process = {SCRIPT} credential-process --profile dev\n"
    )
    (home / "credentials").write_text(
        "[dev-long-term]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = not-used\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "AWS_"))}
    env |= {
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    os.environ.update(env)  # so that the paths below are the ones the child reads
    key = profiles.key_profile("dev")
    expiration = (datetime.now(UTC) + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    session = {"Version": 1, "AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s", "SessionToken": "t"}
    session_cache.write_private(
        credential_process.device_file(key),
        json.dumps(session | {"Expiration": expiration, "SerialNumber": SERIAL}),
    )
    # The full command once, as the first `aws` command of the day runs it: it finds the device's
    # session and keeps the profile's answer ready.
    args = argparse.Namespace(profile="dev", session_duration=credential_process.DEFAULT_DURATION)
    credential_process.run(args, Console(stdout=io.StringIO()))
    return env


def _once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603 - our own script
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(runs: int = RUNS) -> dict[str, dict[str, float]]:
    """The minimum wall and CPU seconds of `python -c pass` and of a cached `credential-process`."""
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory() as home:
        try:
            env = _prepare(Path(home))
            candidates = {
                "bare": [sys.executable, "-c", "pass"],
                "cached": [str(SCRIPT), "credential-process", "--profile", "dev"],
            }
            best = {name: {"wall": float("inf"), "cpu": float("inf")} for name in candidates}
            for argv in candidates.values():
                _once(argv, env)  # bytecode caches written, as an installed package has them
            for _ in range(runs):
                for name, argv in candidates.items():
                    wall, cpu = _once(argv, env)
                    best[name] = {"wall": min(best[name]["wall"], wall), "cpu": min(best[name]["cpu"], cpu)}
        finally:
            os.environ.clear()
            os.environ.update(saved)
    return best


def ratio(seconds: dict[str, dict[str, float]], kind: str = "wall") -> float:
    """Cached `credential-process` over a bare interpreter start."""
    return seconds["cached"][kind] / seconds["bare"][kind]


def main() -> None:
    """Print the ratio and both times."""
    seconds = measure()
    cached, bare = (seconds[name]["wall"] * 1000 for name in ("cached", "bare"))
    print(
        f"cached credential-process / python -c pass = {ratio(seconds):.2f} "
        f"(CPU {ratio(seconds, 'cpu'):.2f}; target <= {TARGET}); {cached:.1f} ms / {bare:.1f} ms"
    )


if __name__ == "__main__":
    main()
