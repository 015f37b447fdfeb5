"""The CLI as an admin runs it, and an HTTP endpoint that records the requests it sends."""

from __future__ import annotations

import hmac
import json
import logging
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

from iam_onboarding_cli.main import Console, main

# Credentials that are a session already (a token): what `session_in_the_environment` puts in place.
SESSION = ReadOnlyCredentials("ASIATESTSESSION00001", "session-secret-key", "session-token-value")

AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)"
    r"/aws4_request, SignedHeaders=(?P<signed>[^,]+), Signature=(?P<signature>[0-9a-f]{64})"
)


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`python -m iam_onboarding_cli ARGS` in a child process, stdin not a terminal (as in a script)."""
    return subprocess.run(  # noqa: S603 - this interpreter, our own module
        [sys.executable, "-m", "iam_onboarding_cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


class Terminal(StringIO):
    """Typed answers on a stdin that says it is a terminal."""

    def isatty(self) -> bool:
        """A person is there."""
        return True


@dataclass
class Outcome:
    """An in-process run of the CLI: exit code and what it printed."""

    code: int
    stdout: str
    stderr: str


def run_cli(*args: str, answers: str = "", terminal: bool = False, **kwargs: Any) -> Outcome:
    """`main(ARGS)` in this process; `answers` are the lines typed on stdin."""
    stdout, stderr = StringIO(), StringIO()
    console = Console(
        stdin=Terminal(answers) if terminal else StringIO(answers), stdout=stdout, stderr=stderr
    )
    botocore_level = logging.getLogger("botocore").level  # main() raises it; other tests keep theirs
    try:
        code = main(list(args), console=console, **kwargs)
    finally:
        logging.getLogger("botocore").setLevel(botocore_level)
    return Outcome(code, stdout.getvalue(), stderr.getvalue())


@dataclass(frozen=True)
class Received:
    """One request as it arrived over the socket."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Recorder:
    """An HTTP endpoint on 127.0.0.1 that keeps every request and answers `reply` as JSON."""

    base: str
    received: list[Received] = field(default_factory=list)
    reply: Any = field(default_factory=lambda: {"users": []})
    # Answers by path, `(status, body)`, where one endpoint must answer several routes differently.
    answers: dict[str, tuple[int, Any]] = field(default_factory=dict)
    # When set, every request is answered `302 Found` with this Location (a proxy or custom domain would).
    redirect_to: str | None = None


@contextmanager
def recording_endpoint() -> Iterator[Recorder]:
    """A `Recorder` on a free 127.0.0.1 port while inside the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    recording = Recorder(base=f"http://127.0.0.1:{server.server_address[1]}")

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            recording.received.append(Received(self.command, self.path, headers, body))
            if recording.redirect_to is not None:
                self.send_response(302)
                self.send_header("Location", recording.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status, answer = recording.answers.get(self.path.partition("?")[0], (200, recording.reply))
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = _record

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield recording
    finally:
        server.shutdown()
        server.server_close()


def signature_verifies(received: Received, credentials: ReadOnlyCredentials) -> bool:
    """Whether botocore's own SigV4 signer, given the request as received, computes the same signature.

    What API Gateway does: rebuild the canonical request from what arrived (method, raw path and query,
    the headers named in SignedHeaders, the body) at the request's X-Amz-Date, and compare.
    """
    found = AUTHORIZATION.fullmatch(received.headers.get("authorization", ""))
    if found is None or found["key"] != credentials.access_key:
        return False
    headers = {name: received.headers[name] for name in found["signed"].split(";")}
    request = AWSRequest(
        method=received.method,
        url=f"http://{received.headers['host']}{received.path}",
        data=received.body,
        headers=headers,
    )
    request.context["timestamp"] = received.headers["x-amz-date"]
    signer = SigV4Auth(credentials, found["service"], found["region"])
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    return hmac.compare_digest(expected, found["signature"])


def authorization(received: Received) -> re.Match[str]:
    """The parts of the request's Authorization header."""
    found = AUTHORIZATION.fullmatch(received.headers.get("authorization", ""))
    assert found is not None, received.headers
    return found
