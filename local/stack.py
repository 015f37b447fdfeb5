"""`make run`'s stack in a child process on a free 127.0.0.1 port: for the load benchmark and the tests
that go over real sockets."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from local.run import free_port

ROOT = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT = 90.0


@dataclass(frozen=True)
class Stack:
    """A running local stack: the API's base URL and the emulator's endpoint."""

    base: str
    aws_endpoint: str


@contextmanager
def local_stack(**env: str) -> Iterator[Stack]:
    """Start `python -m local.run` on a free 127.0.0.1 port, then stop it.

    It starts its own embedded emulator unless `env` names one (`AWS_ENDPOINT_URL=...`).
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"} | {"PORT": str(port), **env}
    process = subprocess.Popen(
        [sys.executable, "-m", "local.run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        endpoint = _wait_until_serving(process)
        # Keep reading the server's output so that it never blocks on a full pipe.
        threading.Thread(target=process.stdout.read, daemon=True).start()  # type: ignore[union-attr]
        yield Stack(base=f"http://127.0.0.1:{port}", aws_endpoint=endpoint)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + STARTUP_TIMEOUT
    seen = []
    for line in process.stdout:
        seen.append(line)
        found = re.search(r"emulated AWS at (http://127\.0\.0\.1:\d+)", line)
        if found:
            return found.group(1)
        if time.monotonic() > deadline:
            break
    raise RuntimeError("the local stack did not start:\n" + "".join(seen[-20:]))
