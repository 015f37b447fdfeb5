"""Who may talk to us: Slack's signature within its window, our workspace and app, a Slack `response_url`.

Slack signs every request with the app's signing secret; only then is the body read. The same checks
run twice for slow work: when the request arrives, and again in the worker, whose job is the signed
request itself (checked with the 30 minutes a `response_url` lives).
"""

from __future__ import annotations

import hmac
import json
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl

from pydantic import ValidationError

from chalicelib.errors import BodyTooLarge, ForeignSlackApp, InvalidRequest, InvalidSlackSignature
from chalicelib.models.slack import BlockActions, SlackJob, SlashCommand

SLACK_HOST = "hooks.slack.com"

# Slack's replay window for requests to us, and how long a `response_url` accepts posts: a job the
# worker gets later is checked against the second.
REQUEST_WINDOW_SECONDS = 5 * 60
JOB_WINDOW_SECONDS = 30 * 60

SignedKind = Literal["command", "interactivity"]


class SlackGate:
    """Checks that a request comes from our Slack app (signature, freshness, workspace) and who sent it."""

    def __init__(
        self,
        *,
        signing_secret: str,
        admins: Mapping[str, str],
        team_id: str,
        app_id: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # Imported here, not at module level: slack_sdk's package import pulls in its web client, a cost
        # every cold start of the API would pay for a check only Slack requests need.
        from slack_sdk.signature import SignatureVerifier

        self._verifier = SignatureVerifier(signing_secret)
        self._clock = clock
        self._admins = dict(admins)
        self._team_id = team_id
        self._app_id = app_id

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, window: float = REQUEST_WINDOW_SECONDS
    ) -> None:
        """Raise `InvalidSlackSignature` unless Slack signed `body` within `window` seconds of our clock.

        slack_sdk computes Slack's v0 signature over `v0:<timestamp>:<raw body>`; its own `is_valid`
        hard-codes Slack's five-minute window, which the worker's later check must widen to the life of
        a `response_url`, so the window is applied here. Compared in constant time, as bytes: a header
        with non-ASCII characters is simply not a match.
        """
        timestamp = headers.get("x-slack-request-timestamp")
        signature = headers.get("x-slack-signature")
        try:
            fresh = timestamp is not None and abs(self._clock() - int(timestamp)) <= window
            expected = (
                self._verifier.generate_signature(timestamp=timestamp or "", body=body) if fresh else None
            )
            valid = (
                expected is not None
                and signature is not None
                and hmac.compare_digest(expected.encode(), signature.encode())
            )
        except ValueError:  # a timestamp not a number, a body not UTF-8, a header no text encodes
            valid = False
        if not valid:
            raise InvalidSlackSignature()

    def check_origin(self, team_id: str, app_id: str) -> None:
        """Raise `ForeignSlackApp` unless the request names our workspace and our app."""
        if (team_id, app_id) != (self._team_id, self._app_id):
            raise ForeignSlackApp()

    def iam_user_of(self, slack_user_id: str) -> str | None:
        """The IAM user an allow-listed Slack user acts as (`SLACK_ADMINS`), or None."""
        return self._admins.get(slack_user_id)


def check_response_url(url: str, *, loopback_ok: bool) -> None:
    """Raise `InvalidRequest` unless `url` is Slack's (`https://hooks.slack.com/...`).

    One-time links are posted there: a forged `response_url` would carry them anywhere. Locally (not in
    Lambda), plain http to this machine stands in for Slack.
    """
    parsed = urllib.parse.urlsplit(url)
    slack = parsed.scheme == "https" and parsed.hostname == SLACK_HOST and parsed.port in (None, 443)
    local = loopback_ok and parsed.scheme == "http" and parsed.hostname in ("127.0.0.1", "localhost")
    if not (slack or local) or parsed.username is not None or parsed.password is not None:
        raise InvalidRequest(f"The response_url is not a Slack URL (https://{SLACK_HOST}/...).")


@dataclass(frozen=True)
class Signed:
    """A request our Slack app signed: its raw body, and the command or click in it."""

    kind: SignedKind
    body: bytes
    headers: Mapping[str, str]
    user_id: str
    response_url: str
    command: SlashCommand | None = None
    click: BlockActions | None = None

    def as_job(self) -> SlackJob:
        """The worker's job: this request exactly as Slack signed it, for the worker to check again."""
        return SlackJob(
            kind=self.kind,
            body=self.body.decode(),
            timestamp=self.headers.get("x-slack-request-timestamp", ""),
            signature=self.headers.get("x-slack-signature", ""),
        )


def read_signed(
    gate: SlackGate,
    kind: SignedKind,
    body: bytes,
    headers: Mapping[str, str],
    *,
    window: float,
    loopback_ok: bool,
) -> Signed | None:
    """The signed request in `body`, checked: signature, workspace and app, `response_url`.

    None for what is signed but not ours to act on (Slack's certificate check, other interactions).
    """
    BodyTooLarge.check(body)
    gate.verify(body, headers, window=window)
    form = dict(parse_qsl(body.decode(), keep_blank_values=True))
    signed = _command(gate, body, headers, form) if kind == "command" else _click(gate, body, headers, form)
    if signed is not None:
        check_response_url(signed.response_url, loopback_ok=loopback_ok)
    return signed


def _command(gate: SlackGate, body: bytes, headers: Mapping[str, str], form: dict[str, str]) -> Signed | None:
    if form.get("ssl_check") == "1":
        return None  # Slack checking our certificate: no command in it
    try:
        command = SlashCommand.model_validate(form)
    except ValidationError as error:
        raise InvalidRequest("The body is not a Slack slash command.") from error
    gate.check_origin(command.team_id, command.api_app_id)
    return Signed("command", body, headers, command.user_id, command.response_url, command=command)


def _click(gate: SlackGate, body: bytes, headers: Mapping[str, str], form: dict[str, str]) -> Signed | None:
    try:
        payload = json.loads(form.get("payload", ""))
    except (ValueError, RecursionError) as error:  # signed, but never let nesting depth be a 500
        raise InvalidRequest("The body is not a Slack interactivity payload.") from error
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        return None  # shortcuts, modals: nothing of ours
    try:
        click = BlockActions.model_validate(payload)
    except ValidationError as error:
        raise InvalidRequest("The body is not a Slack block_actions payload.") from error
    gate.check_origin(click.team.id, click.api_app_id)
    return Signed("interactivity", body, headers, click.user.id, click.response_url, click=click)
