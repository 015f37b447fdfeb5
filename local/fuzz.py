"""`make fuzz`: schemathesis against the served `/openapi.json` of a fresh local stack (dev identity)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from local.run import free_port

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    """Start the stack, run schemathesis with every check, stop the stack; exit with schemathesis' code."""
    port = free_port()
    # A signing secret nobody else knows: /slack/* then refuses the fuzzer's unsigned requests (401), as
    # a configured deployment does, instead of answering 503 slack_not_configured.
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"} | {
        "PORT": str(port),
        "SLACK_SIGNING_SECRET": secrets.token_hex(16),
    }
    stack = subprocess.Popen(
        [sys.executable, "-m", "local.run"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/openapi.json", timeout=1).close()  # noqa: S310 - 127.0.0.1
                break
            except OSError:
                time.sleep(0.1)
        command = [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{base}/openapi.json",
            "--header=Authorization: local-dev-identity",
            "--header=X-Dev-Caller: admin",
            "--header=X-Dev-Mfa: true",
            f"--max-examples={os.environ.get('FUZZ_EXAMPLES', '60')}",
            "--seed=1",
            "--workers=2",
        ]
        return subprocess.call(command, cwd=ROOT)  # noqa: S603
    finally:
        stack.terminate()
        stack.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
