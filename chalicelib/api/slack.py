"""`/slack/*`: the `/iam` slash command and its buttons, for allow-listed Slack users who are IAM admins.

What happens to a request, and in which order it is checked, is `chalicelib/slack/channel.py`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib import wiring
from chalicelib.api.http import json_response, route
from chalicelib.errors import SlackNotConfigured
from chalicelib.models.slack import InteractivityForm, SlackMessage, SlashCommand

if TYPE_CHECKING:
    from chalicelib.slack.channel import SlackChannel

log = logging.getLogger(__name__)
slack = Blueprint(__name__)
FORM = ["application/x-www-form-urlencoded"]


def _as_signed() -> tuple[bytes, dict[str, str]]:
    """The raw body and the (lower-cased) headers Slack signed."""
    raw = slack.current_request.raw_body or b""
    headers = {k.lower(): v for k, v in slack.current_request.headers.items()}
    return (raw.encode() if isinstance(raw, str) else raw), headers


def _channel() -> SlackChannel:
    """This deployment's Slack channel; with Slack off, one log line (no traceback) and a 503."""
    try:
        return wiring.slack_channel()
    except SlackNotConfigured:
        log.warning("Slack is off on this deployment: refused a %s request", slack.current_request.path)
        raise


def _slack_response(message: SlackMessage | None) -> Response:
    if message is None:  # acknowledged, nothing to show
        return Response(body="", status_code=200, headers={"Cache-Control": "no-store"})
    return json_response(message.model_dump(mode="json", exclude_none=True))


@route(
    slack,
    "/slack/commands",
    "POST",
    "The /iam slash command (signed by Slack: X-Slack-Signature, X-Slack-Request-Timestamp)",
    body=SlashCommand,
    returns=SlackMessage,
    consumes=FORM,
)
def slash_command() -> Response:
    """The `/iam` slash command."""
    body, headers = _as_signed()
    return _slack_response(_channel().answer_command(body, headers, wiring.slack_jobs))


@route(
    slack,
    "/slack/interactivity",
    "POST",
    "Button clicks on /iam messages (signed by Slack); answered 200 with an empty body",
    body=InteractivityForm,
    consumes=FORM,
)
def interactivity() -> Response:
    """Button clicks on our messages (the offboarding confirmation)."""
    body, headers = _as_signed()
    return _slack_response(_channel().answer_click(body, headers, wiring.slack_jobs))
