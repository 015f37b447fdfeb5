"""`python -m local.slack <words>`: Slack's `/iam` against `make run`, and what would go to Slack.

Slack cannot reach 127.0.0.1, so this plays Slack's part: it signs the request with
`SLACK_SIGNING_SECRET` as Slack does, as the first admin in `SLACK_ADMINS` (or `--as`), and gives it a
`response_url` on a loopback inbox of its own. It prints the immediate answer, then every message the
server posts to that `response_url` later (the one-time link of `onboard`, the audit report, ...).
Buttons are listed with the command that presses them:

    .venv/bin/python -m local.slack onboard dave developer
    .venv/bin/python -m local.slack offboard dave
    .venv/bin/python -m local.slack press offboard_confirm dave      # the "Offboard dave" button

Local only: never shipped (the Lambda zip holds app.py and chalicelib/ alone).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import html
import json
import os
import queue
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

from local.run import LOCAL_SLACK_APP, LOCAL_SLACK_TEAM

# Long enough for the slowest local job (the audit waits for the emulator's credential report).
FOLLOW_UP_SECONDS = 30.0


class Inbox:
    """A loopback HTTP server standing in for Slack's `response_url`s: it keeps what is posted."""

    def __init__(self, server: ThreadingHTTPServer, posts: queue.Queue[dict[str, Any]]) -> None:
        self._server = server
        self._posts = posts
        self.base = f"http://127.0.0.1:{server.server_address[1]}"

    def url(self) -> str:
        """A fresh `response_url` on this inbox."""
        return f"{self.base}/response/{secrets.token_hex(4)}"

    def next_post(self, timeout: float) -> dict[str, Any] | None:
        """The next message posted to any of its URLs, or None after `timeout` seconds."""
        try:
            return self._posts.get(timeout=timeout)
        except queue.Empty:
            return None


@contextmanager
def inbox() -> Iterator[Inbox]:
    """An `Inbox` on a free 127.0.0.1 port, for as long as the block runs."""
    posts: queue.Queue[dict[str, Any]] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            try:
                posts.put(json.loads(self.rfile.read(length)))
            except ValueError:
                posts.put({"text": "(a post that is not JSON)"})
            self.send_response(200)  # what Slack answers a good post
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Inbox(server, posts)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def slack_signature(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack signs a request with: `v0=` HMAC-SHA256 of `v0:<timestamp>:<raw body>` under the
    signing secret, at `timestamp` (default: now). The one signer of the local tools, benches and tests."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def signed_post(url: str, body: bytes, secret: str) -> tuple[int, Any]:
    """POST a form body signed as Slack signs it."""
    request = urllib.request.Request(  # noqa: S310 - the local stack's own http://127.0.0.1 URL
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", **slack_signature(body, secret)},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - see above
            status, text = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read()
    try:
        return status, json.loads(text) if text else None
    except ValueError:
        return status, {"text": text.decode(errors="replace")}


class LocalSlack:
    """Slack's side of `/iam` for the local stack at `base`."""

    def __init__(self, base: str, secret: str, user_id: str, *, team_id: str, app_id: str) -> None:
        self.base = base.rstrip("/")
        self._secret = secret
        self._user_id = user_id
        self._team_id = team_id
        self._app_id = app_id

    def command(self, text: str, box: Inbox) -> tuple[int, Any]:
        """Send `/iam <text>` with a `response_url` on `box`; the immediate answer."""
        form = {
            "team_id": self._team_id,
            "api_app_id": self._app_id,
            "channel_id": "C0LOCAL",
            "user_id": self._user_id,
            "command": "/iam",
            "text": text,
            "response_url": box.url(),
            "trigger_id": secrets.token_hex(8),
        }
        return signed_post(f"{self.base}/slack/commands", urlencode(form).encode(), self._secret)

    def press(self, action_id: str, value: str, box: Inbox) -> tuple[int, Any]:
        """Click a button of an earlier message (`action_id`, `value`); the immediate answer."""
        payload = {
            "type": "block_actions",
            "team": {"id": self._team_id},
            "api_app_id": self._app_id,
            "user": {"id": self._user_id},
            "response_url": box.url(),
            "trigger_id": secrets.token_hex(8),
            "actions": [{"action_id": action_id, "value": value, "type": "button"}],
        }
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return signed_post(f"{self.base}/slack/interactivity", body, self._secret)


def shown(text: str) -> str:
    """Slack's markup as Slack would show it: entities undone, `<url|label>` links as `label (url)`."""
    out: list[str] = []
    for part in text.split("<"):
        if ">" in part and out:
            link, rest = part.split(">", 1)
            url, _, label = link.partition("|")
            # `<!date^...|fallback>` is a date Slack formats for the reader: show the fallback.
            out.append((label if url.startswith("!") else f"{label} ({url})" if label else url) + rest)
        else:
            out.append(part)
    return html.unescape("".join(out))


def buttons(message: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, action_id, value) of each button in `message`."""
    found = []
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                found.append((element["text"]["text"], element["action_id"], element.get("value", "")))
    return found


def render(where: str, message: Any) -> str:
    """One message for the terminal, with the command that presses each of its buttons."""
    if not isinstance(message, dict):
        return f"Slack ({where}): (nothing shown; Slack only notes the click)"
    text = message.get("text") or (message.get("error") or {}).get("message") or json.dumps(message)
    lines = [f"Slack ({where}): " + shown(str(text)).replace("\n", "\n  ")]
    lines += [
        f"  [{label}]  press it: .venv/bin/python -m local.slack press {action_id} {value}"
        for label, action_id, value in buttons(message)
    ]
    return "\n".join(lines)


def announces_more(message: Any) -> bool:
    """Whether a message says that another follows (queued work: "… follows here", "Offboarding…")."""
    if not isinstance(message, dict):
        return True  # a click is acknowledged with an empty answer: its outcome is posted
    text = str(message.get("text", "")).rstrip()
    return "follows here" in text or text.endswith("…")


def converse(answer: tuple[int, Any], box: Inbox, *, wait: float = FOLLOW_UP_SECONDS) -> list[str]:
    """The immediate answer, then each follow-up posted to `box` for as long as one is announced."""
    status, message = answer
    if status != 200:
        return [render(f"HTTP {status}", message)]
    shown_lines = [render("answer", message)]
    expecting = announces_more(message)
    while expecting:
        post = box.next_post(wait)
        if post is None:
            shown_lines.append(f"Slack: nothing was posted to the response_url within {wait:.0f} s.")
            break
        shown_lines.append(render("posted later", post))
        expecting = announces_more(post)
    return shown_lines


def main(argv: list[str] | None = None) -> None:
    """Command line: `/iam` words, or `press <action_id> <value>`."""
    parser = argparse.ArgumentParser(
        prog="python -m local.slack", description="Run Slack's /iam against make run's stack."
    )
    parser.add_argument("words", nargs="+", help="what follows /iam, or: press <action_id> <value>")
    parser.add_argument("--base", default=f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
    parser.add_argument("--as", dest="user_id", help="the Slack user id (default: the first of SLACK_ADMINS)")
    args = parser.parse_args(argv)
    secret = os.environ.get("SLACK_SIGNING_SECRET", "")
    admins = [a.strip().split(":")[0] for a in os.environ.get("SLACK_ADMINS", "").split(",") if a.strip()]
    user_id = args.user_id or (admins[0] if admins else "")
    if not secret or not user_id:
        raise SystemExit(
            "Export the SLACK_SIGNING_SECRET and SLACK_ADMINS that `make run` was started with, "
            "e.g. SLACK_SIGNING_SECRET=dev-secret SLACK_ADMINS=U0LOCAL:admin."
        )
    slack = LocalSlack(
        args.base,
        secret,
        user_id,
        team_id=os.environ.get("SLACK_TEAM_ID", LOCAL_SLACK_TEAM),
        app_id=os.environ.get("SLACK_APP_ID", LOCAL_SLACK_APP),
    )
    with inbox() as box:
        try:
            if args.words[0] == "press":
                if len(args.words) != 3:
                    raise SystemExit("Usage: python -m local.slack press <action_id> <value>")
                answer = slack.press(args.words[1], args.words[2], box)
            else:
                print("/iam " + " ".join(args.words))
                answer = slack.command(" ".join(args.words), box)
        except urllib.error.URLError as error:
            raise SystemExit(
                f"Nothing answers at {args.base} ({error.reason}): is `make run` running?"
            ) from error
        for line in converse(answer, box):
            print(line, flush=True)


if __name__ == "__main__":
    main()
