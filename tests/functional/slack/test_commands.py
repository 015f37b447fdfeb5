"""Admins run `/iam` in Slack: signed, allow-listed, once, answered at once, slow work posted later."""

from __future__ import annotations

import re
import time

import pytest

from chalicelib import aws, wiring
from chalicelib.models import UserDetail
from chalicelib.models.records import Actor
from tests.support.api import Api, token_of
from tests.support.slack import (
    ADMIN,
    STRANGER,
    SlackClient,
    shown,
    signed_headers,
)

LINK = re.compile(r"http://127\.0\.0\.1:8000/onboard#[A-Za-z0-9_-]{43,}")


def managed_users() -> list[str]:
    return [u["UserName"] for u in aws.iam().list_users(PathPrefix="/onboarding/")["Users"]]


def make_user(name: str = "alice", groups: list[str] | None = None) -> str:
    created = wiring.creation().create_user(name, groups or ["developer"], Actor("tester", "rest"))
    return created.bundle.url


# --- the signature comes first ----------------------------------------------------------------------


def test_a_request_signed_with_another_secret_is_refused_and_nothing_is_done(slack: SlackClient) -> None:
    body = slack.form("onboard alice developer")

    reply = slack.post("/slack/commands", body, signed_headers(body, secret="not-the-secret"))

    assert reply.status == 401
    assert reply.body == {
        "error": {
            "code": "invalid_signature",
            "message": "The request is not signed by Slack, or is too old.",
        }
    }
    assert slack.finish() == []
    assert managed_users() == []


@pytest.mark.parametrize("age", [301, -310, 3600])
def test_a_request_signed_more_than_five_minutes_off_is_refused(slack: SlackClient, age: int) -> None:
    body = slack.form("onboard alice developer")

    reply = slack.post("/slack/commands", body, signed_headers(body, timestamp=int(time.time()) - age))

    assert (reply.status, reply.body["error"]["code"]) == (401, "invalid_signature")
    assert slack.finish() == []
    assert managed_users() == []


def test_a_body_over_16_kib_is_refused_before_anything_else(slack: SlackClient) -> None:
    body = slack.form("help") + b"&pad=" + b"x" * 17_000

    reply = slack.post("/slack/commands", body)

    assert (reply.status, reply.body["error"]["code"]) == (400, "body_too_large")
    assert slack.finish() == []


def test_a_body_changed_after_signing_is_refused(slack: SlackClient) -> None:
    body = slack.form("status alice")
    headers = signed_headers(body)

    reply = slack.post("/slack/commands", body.replace(b"status", b"offboard"), headers)

    assert reply.status == 401


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "application/x-www-form-urlencoded"},
        {"content-type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": "1"},
        {
            "content-type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": "soon",
            "X-Slack-Signature": "v0=00",
        },
    ],
)
def test_a_request_without_a_usable_signature_is_refused(slack: SlackClient, headers: dict[str, str]) -> None:
    reply = slack.post("/slack/commands", slack.form("help"), headers)

    assert (reply.status, reply.body["error"]["code"]) == (401, "invalid_signature")


def test_without_a_signing_secret_slack_is_not_configured(
    slack: SlackClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    wiring.reset()

    reply = slack.command("help")

    assert (reply.status, reply.body["error"]["code"]) == (503, "slack_not_configured")


def test_slack_not_configured_names_the_variables_to_set(
    slack: SlackClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    wiring.reset()

    message = slack.command("help").body["error"]["message"]

    assert all(
        name in message for name in ("SLACK_SIGNING_SECRET", "SLACK_SIGNING_SECRET_PARAM", "SLACK_ADMINS")
    )


# --- then the allow-list, then once-only --------------------------------------------------------------


def test_someone_not_on_the_allow_list_gets_a_polite_ephemeral_refusal_and_nothing_is_done(
    slack: SlackClient,
) -> None:
    reply = slack.command("onboard mallory administrator", user=STRANGER)

    assert reply.status == 200
    assert reply.body["response_type"] == "ephemeral"
    assert reply.body["text"].startswith("Sorry, you are not on the list of people who may manage AWS access")
    assert slack.finish() == []
    assert managed_users() == []


def test_a_retry_of_a_handled_command_is_not_acted_on_twice(slack: SlackClient) -> None:
    body = slack.form("onboard alice developer")
    first = slack.post("/slack/commands", body)

    retry = slack.post("/slack/commands", body, {**signed_headers(body), "X-Slack-Retry-Num": "1"})

    assert first.status == 200 and first.body["text"].startswith("Creating *alice*")
    assert (retry.status, retry.body) == (200, None)
    posts = slack.finish()
    assert len(posts) == 1 and posts[0].startswith(":white_check_mark: Created *alice*")
    assert managed_users() == ["alice"]


# --- the commands ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["help", "", "HELP"])
def test_help_lists_every_command(slack: SlackClient, text: str) -> None:
    reply = slack.command(text)

    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.body["response_type"] == "ephemeral"
    for usage in [
        "`/iam onboard <user> <group>[,<group>]`",
        "`/iam status <user>`",
        "`/iam reset-mfa <user>`",
        "`/iam offboard <user>`",
        "`/iam audit`",
        "`/iam help`",
    ]:
        assert usage in shown(reply.body["text"])
    assert "groups: administrator, developer" in reply.body["text"]


def test_an_unknown_sub_command_says_so_and_shows_the_help(slack: SlackClient) -> None:
    reply = slack.command("delete-everything now")

    assert reply.status == 200
    text = reply.body["text"]
    assert text.startswith(":warning: `delete-everything` is not a command I know.\n*/iam* manages")
    assert slack.finish() == []


def test_text_that_would_mention_or_link_is_shown_literally(slack: SlackClient) -> None:
    reply = slack.command("<!channel>")

    assert reply.body["text"].startswith(":warning: `&lt;!channel&gt;` is not a command I know.")


@pytest.mark.parametrize(
    ("text", "usage"),
    [
        ("onboard", "`/iam onboard` takes 2 arguments. Usage: `/iam onboard <user> <group>[,<group>]`"),
        ("onboard alice", "`/iam onboard` takes 2 arguments. Usage: `/iam onboard <user> <group>[,<group>]`"),
        ("status", "`/iam status` takes 1 argument. Usage: `/iam status <user>`"),
        ("reset-mfa", "`/iam reset-mfa` takes 1 argument. Usage: `/iam reset-mfa <user>`"),
        ("offboard", "`/iam offboard` takes 1 argument. Usage: `/iam offboard <user>`"),
        ("offboard alice bob", "`/iam offboard` takes 1 argument. Usage: `/iam offboard <user>`"),
        ("audit now", "`/iam audit` takes no arguments. Usage: `/iam audit`"),
    ],
)
def test_a_command_with_missing_or_extra_arguments_shows_its_usage(
    slack: SlackClient, text: str, usage: str
) -> None:
    reply = slack.command(text)

    assert (reply.status, shown(reply.body["text"])) == (200, f":warning: {usage}")
    assert slack.finish() == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("onboard al/ice developer", "`al/ice` is not a valid user name: use 1-64 of A-Za-z0-9_+=,.@-."),
        ("onboard alice root", "Unknown group root; choose from administrator, developer."),
        ("onboard alice developer,root", "Unknown group root; choose from administrator, developer."),
        ("onboard alice ,", "Unknown group ,; choose from administrator, developer."),
    ],
)
def test_onboarding_with_a_bad_name_or_group_is_answered_at_once_and_creates_nothing(
    slack: SlackClient, text: str, message: str
) -> None:
    reply = slack.command(text)

    assert reply.body["text"] == f":warning: {message}"
    assert slack.finish() == []
    assert managed_users() == []


def test_onboard_answers_at_once_and_posts_the_one_time_link_to_the_requesting_admin_only(
    slack: SlackClient,
) -> None:
    reply = slack.command("onboard alice developer")

    assert reply.status == 200
    assert reply.body == {
        "response_type": "ephemeral",
        "text": "Creating *alice* in developer… their one-time link follows here.",
        "unfurl_links": False,
    }
    local_posts = slack.finish()
    assert len(local_posts) == 1
    post = slack.stand_in.posts[0]
    assert post["path"] == "/commands/T0/1/x"  # this command's response_url
    assert post["content_type"] == "application/json"
    assert post["response_type"] == "ephemeral"
    links = LINK.findall(post["text"])
    assert len(links) == 1
    assert {g["GroupName"] for g in aws.iam().list_groups_for_user(UserName="alice")["Groups"]} == {
        "developer"
    }
    entry = next(e for e in wiring.store().trail() if e.action == "create_user")
    assert (entry.actor, entry.channel, entry.target, entry.outcome) == (
        f"admin (Slack {ADMIN})",
        "slack",
        "alice",
        "ok",
    )


def test_no_password_ever_goes_into_slack(slack: SlackClient) -> None:
    slack.command("onboard alice developer")
    (text,) = slack.finish()

    claimed = slack.api.call("POST", "/onboarding/credentials", {"token": token_of(LINK.findall(text)[0])})

    assert claimed.status == 200
    assert claimed.body["password"] not in text
    assert claimed.body["enrollment"]["token"] not in text


def test_a_failure_of_the_slow_work_is_posted_not_swallowed(slack: SlackClient) -> None:
    make_user("alice")

    reply = slack.command("onboard Alice developer")

    assert reply.body["text"].startswith("Creating *Alice*")
    assert slack.finish() == [":warning: A user named Alice exists already (names ignore letter case)."]


def test_an_unexpected_failure_of_the_slow_work_is_posted_without_details(
    slack: SlackClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("chalicelib.people.create.Creation.create_user", broken)

    slack.command("onboard alice developer")

    (text,) = slack.finish()
    assert text == (
        ":warning: `onboard` failed on our side; nothing more is known here. Try again later, "
        "or ask whoever runs this service to check its logs."
    )


def test_status_shows_groups_state_and_mfa_devices(slack: SlackClient) -> None:
    make_user("alice", ["developer", "administrator"])

    reply = slack.command("status ALICE")

    assert reply.status == 200
    lines = reply.body["text"].split("\n")
    assert lines[:4] == [
        "*alice*: invited",
        "• groups: administrator, developer",
        "• MFA devices: none",
        "• password last used: never",
    ]
    assert slack.finish() == []


@pytest.mark.parametrize("verb", ["status", "offboard"])
def test_an_unknown_user_is_answered_at_once(slack: SlackClient, verb: str) -> None:
    reply = slack.command(f"{verb} nobody")

    assert (reply.status, reply.body["text"]) == (200, ":warning: No managed user named nobody.")
    assert slack.finish() == []


def test_offboard_only_asks_for_confirmation(slack: SlackClient) -> None:
    make_user("alice")

    reply = slack.command("offboard alice")

    assert reply.status == 200
    assert reply.body["response_type"] == "ephemeral"
    assert reply.body["text"].startswith("Offboard *alice* (developer; invited)?")
    buttons = reply.body["blocks"][1]["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("offboard_confirm", "alice"),
        ("offboard_cancel", "alice"),
    ]
    assert buttons[0]["style"] == "danger"
    assert slack.finish() == []
    assert managed_users() == ["alice"]


def test_status_shows_when_the_user_was_created_in_the_readers_time_zone(slack: SlackClient) -> None:
    make_user("alice")
    detail: UserDetail = wiring.directory().describe_user("alice")

    reply = slack.command("status alice")

    assert reply.body["text"].endswith(
        f"• created: <!date^{int(detail.created_at.timestamp())}^"
        "{date_short_pretty} {time}|" + detail.created_at.strftime("%Y-%m-%dT%H:%M:%SZ") + ">"
    )


def test_the_slack_routes_are_documented_as_form_posts(api: Api) -> None:
    paths = api.call("GET", "/openapi.json").body["paths"]

    for path in ("/slack/commands", "/slack/interactivity"):
        assert list(paths[path]["post"]["requestBody"]["content"]) == ["application/x-www-form-urlencoded"]


def test_a_json_body_is_not_a_slack_request(slack: SlackClient) -> None:
    reply = slack.api.call("POST", "/slack/commands", {"text": "help"})

    assert (reply.status, reply.body["error"]["code"]) == (415, "unsupported_media_type")


def test_slacks_certificate_check_is_acknowledged(slack: SlackClient) -> None:
    reply = slack.post("/slack/commands", b"ssl_check=1&token=deprecated-verification-token")

    assert (reply.status, reply.body) == (200, None)


def test_a_signed_body_that_is_not_a_slash_command_is_a_bad_request(slack: SlackClient) -> None:
    reply = slack.post("/slack/commands", b"text=help")

    assert (reply.status, reply.body["error"]["code"]) == (400, "invalid_request")


def test_slack_replies_fit_the_documented_schemas(slack: SlackClient) -> None:
    from tests.functional.test_openapi import assert_fits

    doc = slack.api.call("GET", "/openapi.json").body
    make_user("alice")
    body = slack.form("help")

    for reply in [
        slack.command("help"),
        slack.command("offboard alice"),
        slack.command("status nobody"),
        slack.command("help", user=STRANGER),
        slack.post("/slack/commands", body, signed_headers(body, secret="forged")),
    ]:
        assert_fits(doc, "POST", "/slack/commands", reply.status, reply.body)
