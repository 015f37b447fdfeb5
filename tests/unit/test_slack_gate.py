"""The Slack gate: Slack's v0 signature within a five-minute window, measured on an injected clock."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from chalicelib.errors import InvalidSlackSignature
from chalicelib.services.slack import Command, SlackGate, parse_command

SECRET = "e0b1f2c3d4"
NOW = 1_700_000_000
BODY = b"token=x&team_id=T0&user_id=U0ADMIN&command=%2Fiam&text=status+alice"


def headers(timestamp: int, body: bytes = BODY, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": str(timestamp), "x-slack-signature": f"v0={digest}"}


def gate(now: float = NOW) -> SlackGate:
    return SlackGate(signing_secret=SECRET, admins={"U0ADMIN"}, clock=lambda: now)


@pytest.mark.parametrize("offset", [0, 300, -300])
def test_a_signature_up_to_five_minutes_off_the_clock_is_accepted(offset: int) -> None:
    gate(NOW + offset).verify(BODY, headers(NOW))


@pytest.mark.parametrize("offset", [301, -301])
def test_a_signature_more_than_five_minutes_off_the_clock_is_refused(offset: int) -> None:
    with pytest.raises(InvalidSlackSignature):
        gate(NOW + offset).verify(BODY, headers(NOW))


def test_a_signature_over_another_timestamp_is_refused() -> None:
    forged = {**headers(NOW), "x-slack-request-timestamp": str(NOW + 1)}

    with pytest.raises(InvalidSlackSignature):
        gate().verify(BODY, forged)


def test_a_body_that_is_not_utf8_is_refused_not_an_error() -> None:
    body = b"text=\xff"

    with pytest.raises(InvalidSlackSignature):
        gate().verify(body, headers(NOW, body))


def test_only_allow_listed_slack_users_are_admins() -> None:
    assert (gate().is_admin("U0ADMIN"), gate().is_admin("U0admin"), gate().is_admin("")) == (
        True,
        False,
        False,
    )


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("", Command("help", ())),
        ("   ", Command("help", ())),
        ("Status  alice ", Command("status", ("alice",))),
        ("onboard alice developer,administrator", Command("onboard", ("alice", "developer,administrator"))),
    ],
)
def test_command_text_splits_into_a_lower_cased_sub_command_and_its_words(
    text: str, command: Command
) -> None:
    assert parse_command(text) == command
