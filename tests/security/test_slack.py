"""Slack → API → worker: only this workspace's app, only admins IAM still calls admins, only signed jobs.

Whoever holds the signing secret, can invoke the worker function or reads a Slack id off a profile is
the attacker here; each test drives the real route or the worker function with such a crossing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from chalicelib import aws
from tests.support.faults import failing_on_the_wire
from tests.support.slack import ADMIN, FORM, SECRET, SlackClient, SlackStandIn, signed_headers, signed_job


def managed_users() -> list[str]:
    return [u["UserName"] for u in aws.iam().list_users(PathPrefix="/onboarding/")["Users"]]


def with_fields(body: bytes, **fields: str) -> bytes:
    return urlencode({**dict(parse_qsl(body.decode())), **fields}).encode()


# --- Slack → API -------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["team_id", "api_app_id"])
def test_a_signed_command_from_another_workspace_or_app_is_refused(slack: SlackClient, field: str) -> None:
    body = with_fields(slack.form("onboard mallory developer"), **{field: "X9OTHER"})

    reply = slack.post("/slack/commands", body)

    assert (reply.status, reply.body["error"]["code"]) == (403, "foreign_slack_app")
    assert slack.finish() == [] and managed_users() == []


def test_a_signed_click_from_another_workspace_is_refused(slack: SlackClient) -> None:
    slack.command("onboard alice developer")
    slack.finish()
    form = dict(parse_qsl(slack.click_form("offboard_confirm", "alice").decode()))
    payload = {**json.loads(form["payload"]), "team": {"id": "X9OTHER"}}
    body = urlencode({"payload": json.dumps(payload)}).encode()

    reply = slack.post("/slack/interactivity", body)

    assert (reply.status, reply.body["error"]["code"]) == (403, "foreign_slack_app")
    assert managed_users() == ["alice"]


def test_an_allow_listed_admin_who_left_the_admin_group_can_no_longer_onboard(slack: SlackClient) -> None:
    aws.iam().remove_user_from_group(GroupName="administrator", UserName="admin")

    reply = slack.command("onboard mallory developer")

    assert reply.status == 200 and "not an AWS admin" in reply.body["text"]
    assert slack.finish() == [] and managed_users() == []


def test_granting_the_administrator_group_over_slack_is_refused(slack: SlackClient) -> None:
    reply = slack.command("onboard mallory developer,administrator")

    assert "needs the REST API" in reply.body["text"]
    assert slack.finish() == [] and managed_users() == []


@pytest.mark.parametrize(
    "url",
    [
        "https://attacker.example/commands/T0/1/x",
        "https://hooks.slack.com.attacker.example/x",
        "http://hooks.slack.com/x",
    ],
)
def test_a_response_url_that_is_not_slacks_is_refused_before_any_work(slack: SlackClient, url: str) -> None:
    body = with_fields(slack.form("onboard mallory developer"), response_url=url)

    reply = slack.post("/slack/commands", body)

    assert (reply.status, reply.body["error"]["code"]) == (400, "invalid_request")
    assert slack.finish() == [] and managed_users() == []


def test_the_trail_names_both_the_slack_id_and_the_iam_user(slack: SlackClient) -> None:
    slack.command("onboard alice developer")
    slack.finish()

    from chalicelib import wiring

    (entry,) = [e for e in wiring.store().trail() if e.action == "create_user"]
    assert ADMIN in entry.actor and "admin" in entry.actor.replace(ADMIN, "")


def test_a_post_to_slack_never_follows_a_redirect(stand_in: SlackStandIn) -> None:
    from chalicelib.slack.jobs import post_to_slack

    with pytest.raises(Exception, match="302"):
        post_to_slack(stand_in.url("redirect"), {"text": "the one-time link"}, loopback_ok=True)

    assert [p["path"] for p in stand_in.posts] == ["/redirect"]


# --- API → worker ------------------------------------------------------------------------------------


def run_worker(event: dict[str, Any]) -> None:
    from app import slack_worker

    slack_worker(event, None)


def test_a_forged_job_without_slacks_signature_is_dropped_and_logged_without_secrets(
    slack: SlackClient, stand_in: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    forged = {
        "action": "onboard",
        "admin_id": ADMIN,
        "response_url": stand_in.url("commands/T0/9/z"),
        "user_name": "mallory",
        "groups": ["administrator"],
    }

    with caplog.at_level(logging.INFO):
        run_worker(forged)

    assert managed_users() == [] and stand_in.posts == []
    assert "dropped a Slack job" in caplog.text
    assert SECRET not in caplog.text and "commands/T0/9/z" not in caplog.text


def test_a_job_whose_body_was_changed_after_slack_signed_it_is_dropped(
    slack: SlackClient, stand_in: SlackStandIn
) -> None:
    job = signed_job(slack.form("onboard alice developer"))
    job["body"] = job["body"].replace("alice", "mallory")

    run_worker(job)

    assert managed_users() == [] and stand_in.posts == []


def test_a_job_signed_with_another_secret_is_dropped(slack: SlackClient, stand_in: SlackStandIn) -> None:
    run_worker(signed_job(slack.form("onboard mallory developer"), secret="a-developer-guessed-this"))

    assert managed_users() == [] and stand_in.posts == []


def test_a_job_older_than_slacks_thirty_minutes_is_dropped(
    slack: SlackClient, stand_in: SlackStandIn
) -> None:
    run_worker(signed_job(slack.form("onboard alice developer"), age=31 * 60))

    assert managed_users() == [] and stand_in.posts == []


def test_an_admitted_job_is_done_once_even_when_invoked_twice(
    slack: SlackClient, stand_in: SlackStandIn
) -> None:
    job = slack.admitted_job(slack.form("onboard alice developer"))

    run_worker(job)
    run_worker(job)

    assert managed_users() == ["alice"]
    assert len(stand_in.posts) == 1 and stand_in.texts()[0].startswith(":white_check_mark: Created *alice*")


def test_a_signed_job_of_an_admin_who_left_the_admin_group_is_refused(
    slack: SlackClient, stand_in: SlackStandIn
) -> None:
    job = slack.admitted_job(slack.form("onboard mallory developer"))
    aws.iam().remove_user_from_group(GroupName="administrator", UserName="admin")

    run_worker(job)

    assert managed_users() == []
    assert "not an AWS admin" in stand_in.texts()[0]


def test_a_job_whose_body_is_not_encodable_text_is_dropped_not_raised(
    slack: SlackClient, stand_in: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    job = signed_job(slack.form("onboard mallory developer"))
    job["body"] = job["body"] + "\ud800"

    with caplog.at_level(logging.WARNING):
        run_worker(job)

    assert managed_users() == [] and stand_in.posts == []
    assert "dropped a Slack job" in caplog.text


def test_a_job_the_worker_cannot_check_is_dropped_without_raising(
    slack: SlackClient,
    stand_in: SlackStandIn,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from chalicelib import wiring

    def ssm_down() -> str:
        raise ConnectionError("SSM did not answer")

    monkeypatch.setattr(wiring, "slack_signing_secret", ssm_down)

    run_worker(signed_job(slack.form("onboard alice developer")))  # raises nothing: Lambda must not retry

    assert managed_users() == [] and stand_in.posts == []
    assert "could not check a Slack job" in caplog.text


# --- the worker acts only on what the API admitted -----------------------------------------------------


def test_a_signed_request_the_api_refused_as_stale_does_nothing_when_the_worker_is_invoked(
    slack: SlackClient, stand_in: SlackStandIn
) -> None:
    body = slack.form("onboard mallory developer")
    job = signed_job(body, age=10 * 60)  # within the worker's 30 minutes, past the API's 5
    stale = {
        "content-type": FORM,
        "X-Slack-Request-Timestamp": job["timestamp"],
        "X-Slack-Signature": job["signature"],
    }
    assert slack.post("/slack/commands", body, stale).status == 401

    run_worker(job)

    assert managed_users() == [] and stand_in.posts == []


def test_a_signed_request_the_api_never_saw_does_nothing_when_the_worker_is_invoked(
    slack: SlackClient, stand_in: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        run_worker(signed_job(slack.form("onboard mallory developer")))

    assert managed_users() == [] and stand_in.posts == []
    assert "the API did not admit" in caplog.text


def test_a_command_is_done_when_botocore_retries_its_admission_after_aws_applied_it(
    slack: SlackClient,
) -> None:
    # The once-only put took effect, its answer was lost (a 500), and botocore sent it again: that
    # retry is the same request, not a duplicate from Slack.
    with failing_on_the_wire(
        aws.dynamodb(), "PutItem", "InternalServerError", status=500, attempts=1, after_effect=True
    ) as hits:
        reply = slack.command("onboard alice developer")
        texts = slack.finish()

    assert hits == [1] and reply.status == 200
    assert managed_users() == ["alice"] and texts[-1].startswith(":white_check_mark: Created *alice*")


def test_an_admitted_job_is_done_when_botocore_retries_its_consumption_after_aws_applied_it(
    slack: SlackClient, stand_in: SlackStandIn
) -> None:
    job = slack.admitted_job(slack.form("onboard alice developer"))

    with failing_on_the_wire(
        aws.dynamodb(), "UpdateItem", "InternalServerError", status=500, attempts=1, after_effect=True
    ) as hits:
        run_worker(job)

    assert hits == [1] and managed_users() == ["alice"]


def test_a_retry_from_slack_of_an_admitted_command_is_still_ignored(slack: SlackClient) -> None:
    body = slack.form("onboard alice developer")
    slack.post("/slack/commands", body)
    slack.finish()

    retry = slack.post("/slack/commands", body, {**signed_headers(body), "X-Slack-Retry-Num": "1"})

    assert retry.status == 200 and slack.finish() == slack.stand_in.texts()
    assert len([t for t in slack.stand_in.texts() if "Created *alice*" in t]) == 1


# --- Slack never acts on an administrator (no MFA on this channel) ------------------------------------


def make_administrator(name: str = "boss") -> None:
    from chalicelib import wiring
    from chalicelib.models.records import Actor

    wiring.creation().create_user(name, ["administrator"], Actor("tester", "rest"))


def make_user_who_becomes_an_administrator(name: str = "boss") -> Callable[[], None]:
    """A developer `name`, and what makes them an administrator (after the API admitted a request)."""
    from chalicelib import wiring
    from chalicelib.models.records import Actor

    wiring.creation().create_user(name, ["developer"], Actor("tester", "rest"))
    return lambda: aws.iam().add_user_to_group(GroupName="administrator", UserName=name)


def test_resetting_an_administrators_mfa_over_slack_is_refused_with_the_cli_command(
    slack: SlackClient,
) -> None:
    make_administrator()

    reply = slack.command("reset-mfa boss")

    assert reply.status == 200 and "`iam-onboarding users reset-mfa boss`" in reply.body["text"]
    assert slack.finish() == []


def test_offboarding_an_administrator_over_slack_is_refused_with_the_cli_command(slack: SlackClient) -> None:
    make_administrator()

    reply = slack.command("offboard boss")

    assert "`iam-onboarding users offboard boss`" in reply.body["text"]
    assert "blocks" not in reply.body  # no confirmation buttons
    assert slack.finish() == [] and managed_users() == ["boss"]


def test_a_click_confirming_an_administrators_offboarding_is_refused(slack: SlackClient) -> None:
    make_administrator()

    reply = slack.click("offboard_confirm", "boss")

    assert reply.status == 200
    (text,) = slack.finish()  # Slack shows no answer to a click: the refusal is posted
    assert "`iam-onboarding users offboard boss`" in text and managed_users() == ["boss"]


def test_the_worker_refuses_a_signed_mfa_reset_of_an_administrator(
    slack: SlackClient, stand_in: SlackStandIn
) -> None:
    promote = make_user_who_becomes_an_administrator()
    job = slack.admitted_job(slack.form("reset-mfa boss"))  # boss is a developer when the API admits it
    promote()

    run_worker(job)

    (text,) = stand_in.texts()
    assert "`iam-onboarding users reset-mfa boss`" in text and "/enroll#" not in text


def test_the_worker_refuses_a_signed_click_offboarding_an_administrator(
    slack: SlackClient, stand_in: SlackStandIn
) -> None:
    promote = make_user_who_becomes_an_administrator()
    job = slack.admitted_job(slack.click_form("offboard_confirm", "boss"), kind="interactivity")
    promote()

    run_worker(job)

    assert managed_users() == ["boss"]
    assert "`iam-onboarding users offboard boss`" in stand_in.texts()[0]
