"""Slack and elevation: each request goes to the channel with the command that approves it, and an
approval over Slack is refused (Slack cannot prove an MFA sign-in, SPEC §12)."""

from __future__ import annotations

import pytest

from chalicelib import wiring
from tests.functional.elevation.conftest import Clock
from tests.functional.elevation.support import GROUP, ask, asked, groups_of, make_user
from tests.support.api import Api
from tests.support.slack import SlackClient, SlackStandIn


@pytest.mark.parametrize("verb", ["approve", "deny"])
def test_an_approval_over_slack_is_refused_and_changes_nothing(
    slack: SlackClient, api: Api, clock: Clock, verb: str
) -> None:
    make_user(api, "alice")
    grant_id = asked(api, "alice")

    reply = slack.command(f"{verb} {grant_id}")

    assert reply.status == 200
    assert "not approved or denied over Slack" in reply.body["text"]
    assert "iam-onboarding elevations approve" in reply.body["text"]
    assert wiring.store().get_grant(grant_id).state.value == "pending"  # type: ignore[union-attr]
    assert GROUP not in groups_of("alice")


def test_a_request_is_posted_to_the_channel_with_the_command_that_approves_it(
    api: Api, clock: Clock, stand_in: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_AUDIT_WEBHOOK_URL", stand_in.url("services/T000/B000/secret"))
    make_user(api, "alice")

    reply = ask(api, "alice", minutes=45, reason="fix <!channel> prod")

    [text] = stand_in.texts()
    assert f"iam-onboarding elevations approve {reply.body['id']}" in text
    assert "*alice*" in text and "*administrator*" in text and "45 minutes" in text
    assert "&lt;!channel&gt;" in text  # a reason cannot ping the channel


def test_a_request_stands_when_the_channel_cannot_be_reached(
    api: Api, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_AUDIT_WEBHOOK_URL", "https://example.invalid/hook")
    make_user(api, "alice")

    assert ask(api, "alice").status == 201
