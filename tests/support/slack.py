"""Slack tests: requests signed exactly as Slack signs them, and a stand-in for Slack that records posts."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib import wiring
from local.slack import slack_signature
from tests.support.api import Api, Reply

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ADMIN = "U0ADMIN"  # mapped to the bootstrap's IAM user `admin`, in `administrator`
STRANGER = "U0STRANGER"
TEAM, APP = "T0", "A0"
ACTOR = f"admin (Slack {ADMIN})"  # how the trail names what ADMIN does
FORM = "application/x-www-form-urlencoded"


def shown(text: str) -> str:
    """Message text as Slack displays it (`&lt;` is `<`, ...)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def signed_headers(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with a form body it signed under `secret` at `timestamp` (default: now)."""
    return {"content-type": FORM, **slack_signature(body, secret, timestamp)}


def signed_job(body: bytes, *, kind: str = "command", age: int = 0, secret: str = SECRET) -> dict[str, Any]:
    """The worker's event for a request Slack signed `age` seconds ago: the request itself."""
    headers = signed_headers(body, secret=secret, timestamp=int(time.time()) - age)
    return {
        "kind": kind,
        "body": body.decode(),
        "timestamp": headers["X-Slack-Request-Timestamp"],
        "signature": headers["X-Slack-Signature"],
    }


class SlackStandIn:
    """An HTTP server on 127.0.0.1 that records what is posted to `response_url`s.

    A post to `/redirect` is answered `302 Found` to `/elsewhere`; any request that follows it is
    recorded too, so a test sees whether a redirect was followed.
    """

    def __init__(self) -> None:
        posts: list[dict[str, Any]] = []
        self.posts = posts

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                posts.append({"path": self.path, "method": "GET", "text": ""})
                self.send_response(200)
                self.end_headers()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                posts.append(
                    {
                        "path": self.path,
                        "content_type": self.headers.get("Content-Type"),
                        **json.loads(self.rfile.read(length)),
                    }
                )
                if self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", "/elsewhere")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        # shutdown() waits for the serving loop's next poll: the default half second, at every teardown.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    def url(self, name: str = "commands/T0/1/abc") -> str:
        """A response_url on this stand-in."""
        return f"{self.base}/{name}"

    def texts(self) -> list[str]:
        """The text of each post, in order."""
        return [p["text"] for p in self.posts]

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()


class SlackClient:
    """Sends `/iam` commands and button clicks to the API the way Slack does."""

    def __init__(self, api: Api, stand_in: SlackStandIn) -> None:
        self.api = api
        self.stand_in = stand_in
        self._triggers = 0

    def form(self, text: str, *, user: str = ADMIN) -> bytes:
        """A slash command body, with the fields Slack sends (a unique trigger_id per invocation)."""
        self._triggers += 1
        return urlencode(
            {
                "token": "deprecated-verification-token",
                "team_id": TEAM,
                "team_domain": "example",
                "channel_id": "C0",
                "channel_name": "ops",
                "user_id": user,
                "user_name": "someone",
                "command": "/iam",
                "text": text,
                "api_app_id": APP,
                "is_enterprise_install": "false",
                "response_url": self.stand_in.url(f"commands/T0/{self._triggers}/x"),
                "trigger_id": f"1337.42.{self._triggers}",
            }
        ).encode()

    def post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> Reply:
        """POST a form body to `path`, signed unless `headers` are given."""
        return self.api.call("POST", path, raw=body, headers=headers or signed_headers(body))

    def command(self, text: str, *, user: str = ADMIN) -> Reply:
        """Run `/iam <text>` as `user`, signed with the right secret and now."""
        return self.post("/slack/commands", self.form(text, user=user))

    def click(self, action_id: str, value: str, *, user: str = ADMIN) -> Reply:
        """Click a button of ours, as `user`."""
        return self.post("/slack/interactivity", self.click_form(action_id, value, user=user))

    def click_form(self, action_id: str, value: str, *, user: str = ADMIN) -> bytes:
        """The interactivity body of a click (a `block_actions` payload, form-encoded)."""
        self._triggers += 1
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": "someone", "team_id": TEAM},
            "api_app_id": APP,
            "container": {"type": "message", "is_ephemeral": True},
            "trigger_id": f"1337.43.{self._triggers}",
            "team": {"id": TEAM, "domain": "example"},
            "channel": {"id": "C0", "name": "ops"},
            "response_url": self.stand_in.url(f"actions/T0/{self._triggers}/y"),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "b0",
                    "type": "button",
                    "value": value,
                    "action_ts": "1700000000.000100",
                }
            ],
        }
        return urlencode({"payload": json.dumps(payload)}).encode()

    def admitted_job(self, body: bytes, *, kind: str = "command") -> dict[str, Any]:
        """The worker's event for `body` after the API admitted it (signed now, posted to the real route).

        Whatever the API queues is kept from the worker, and what it posted is forgotten: the test
        invokes the worker itself, as a direct `lambda:Invoke` would.
        """

        class Held:
            def submit(self, job: object) -> None:
                pass

        job = signed_job(body, kind=kind)
        headers = {
            "content-type": FORM,
            "X-Slack-Request-Timestamp": job["timestamp"],
            "X-Slack-Signature": job["signature"],
        }
        path = "/slack/commands" if kind == "command" else "/slack/interactivity"
        original = wiring.slack_jobs
        wiring.slack_jobs = Held  # type: ignore[assignment]
        try:
            reply = self.post(path, body, headers)
        finally:
            wiring.slack_jobs = original  # type: ignore[assignment]
        assert reply.status == 200, reply.body
        self.stand_in.posts.clear()
        return job

    def finish(self) -> list[str]:
        """Wait for the background work, then the texts posted to Slack."""
        wiring.local_slack_jobs.drain()
        return self.stand_in.texts()


@pytest.fixture
def stand_in() -> Iterator[SlackStandIn]:
    """Slack's side of `response_url`."""
    server = SlackStandIn()
    yield server
    server.close()


@pytest.fixture
def slack(api: Api, stand_in: SlackStandIn, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackClient]:
    """Slack, configured locally: the signing secret, the allow-list and our workspace and app from the
    environment."""
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SLACK_ADMINS", f"U0OTHER:someone-else, {ADMIN}:admin")
    monkeypatch.setenv("SLACK_TEAM_ID", TEAM)
    monkeypatch.setenv("SLACK_APP_ID", APP)
    monkeypatch.delenv("SLACK_SIGNING_SECRET_PARAM", raising=False)
    monkeypatch.delenv("SLACK_WORKER_FUNCTION", raising=False)
    wiring.reset()
    yield SlackClient(api, stand_in)
    wiring.local_slack_jobs.drain()
    wiring.reset()
