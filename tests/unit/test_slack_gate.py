"""The Slack gate: Slack's v0 signature within a five-minute window, measured on an injected clock."""

from __future__ import annotations

import pytest

from chalicelib.config import GroupSpec
from chalicelib.errors import ForeignSlackApp, InvalidRequest, InvalidSlackSignature
from chalicelib.slack.arguments import Command, grantable_over_slack, parse_command
from chalicelib.slack.gate import JOB_WINDOW_SECONDS, SlackGate, check_response_url
from local.slack import slack_signature

SECRET = "e0b1f2c3d4"
NOW = 1_700_000_000
BODY = b"token=x&team_id=T0&user_id=U0ADMIN&command=%2Fiam&text=status+alice"


def headers(timestamp: int, body: bytes = BODY, secret: str = SECRET) -> dict[str, str]:
    # As Chalice hands them to the gate: lower-cased.
    return {name.lower(): value for name, value in slack_signature(body, secret, timestamp).items()}


def gate(now: float = NOW) -> SlackGate:
    return SlackGate(
        signing_secret=SECRET, admins={"U0ADMIN": "admin"}, team_id="T0", app_id="A0", clock=lambda: now
    )


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


def test_only_allow_listed_slack_users_act_as_their_mapped_iam_user() -> None:
    assert (gate().iam_user_of("U0ADMIN"), gate().iam_user_of("U0admin"), gate().iam_user_of("")) == (
        "admin",
        None,
        None,
    )


@pytest.mark.parametrize("offset", [29 * 60, -29 * 60])
def test_the_workers_window_takes_a_signature_up_to_thirty_minutes_old(offset: int) -> None:
    gate(NOW + offset).verify(BODY, headers(NOW), window=JOB_WINDOW_SECONDS)


def test_the_workers_window_refuses_a_signature_over_thirty_minutes_old() -> None:
    with pytest.raises(InvalidSlackSignature):
        gate(NOW + 31 * 60).verify(BODY, headers(NOW), window=JOB_WINDOW_SECONDS)


def test_a_signature_with_non_ascii_characters_is_refused_not_an_error() -> None:
    forged = {**headers(NOW), "x-slack-signature": "v0=\u00e9\u00e9"}

    with pytest.raises(InvalidSlackSignature):
        gate().verify(BODY, forged)


def test_a_signed_request_of_another_workspace_or_app_is_foreign() -> None:
    with pytest.raises(ForeignSlackApp):
        gate().check_origin("T9", "A0")
    with pytest.raises(ForeignSlackApp):
        gate().check_origin("T0", "A9")
    gate().check_origin("T0", "A0")


def test_an_admin_group_is_granted_over_slack_only_when_the_manifest_says_so() -> None:
    admin = GroupSpec("administrator", (), (), admin=True)
    trusted = GroupSpec("helpdesk", (), (), admin=True, slack=True)
    manifest = {
        "administrator": admin,
        "helpdesk": trusted,
        "developer": GroupSpec("developer", (), (), admin=False),
    }

    with pytest.raises(InvalidRequest, match="administrator"):
        grantable_over_slack(["developer", "administrator"], manifest)
    grantable_over_slack(["developer", "helpdesk"], manifest)


@pytest.mark.parametrize(
    ("url", "loopback_ok", "allowed"),
    [
        ("https://hooks.slack.com/commands/T0/1/x", False, True),
        ("https://hooks.slack.com:8443/commands/T0/1/x", False, False),
        ("https://user@hooks.slack.com/commands/T0/1/x", False, False),
        ("https://hooks.slack.com.example/x", False, False),
        ("http://127.0.0.1:9/x", False, False),
        ("http://127.0.0.1:9/x", True, True),
        ("file:///etc/passwd", True, False),
    ],
)
def test_only_slacks_own_https_host_is_a_response_url(url: str, loopback_ok: bool, allowed: bool) -> None:
    try:
        check_response_url(url, loopback_ok=loopback_ok)
    except InvalidRequest:
        assert not allowed
    else:
        assert allowed


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


def test_a_signature_that_is_not_even_encodable_text_is_refused_not_an_error() -> None:
    # A direct invocation's JSON can carry a lone surrogate, which no header from Slack ever does.
    forged = {**headers(NOW), "x-slack-signature": "v0=\ud800"}

    with pytest.raises(InvalidSlackSignature):
        gate().verify(BODY, forged)
