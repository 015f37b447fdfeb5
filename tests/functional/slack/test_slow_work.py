"""Offboarding after a confirming click, MFA resets and audits: answered at once, the outcome posted later."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlencode

import pyotp
import pytest

from chalicelib import aws, wiring
from chalicelib.models.records import Actor
from chalicelib.models.slack import SlackJob, SlackMessage
from chalicelib.slack.jobs import SlackWorker
from tests.support.api import token_of
from tests.support.slack import ACTOR, STRANGER, SlackClient, signed_headers

ENROLL_LINK = re.compile(r"http://127\.0\.0\.1:8000/enroll#[A-Za-z0-9_-]{43,}")


def make_user(name: str = "alice") -> str:
    return wiring.creation().create_user(name, ["developer"], Actor("tester", "rest")).bundle.url


def managed_users() -> list[str]:
    return [u["UserName"] for u in aws.iam().list_users(PathPrefix="/onboarding/")["Users"]]


def enroll(slack: SlackClient, bundle_url: str) -> str:
    """Alice claims her credentials and enrolls a virtual MFA device; its serial number."""
    claimed = slack.api.call("POST", "/onboarding/credentials", {"token": token_of(bundle_url)}).body
    token = claimed["enrollment"]["token"]
    started = slack.api.call("POST", "/onboarding/mfa", {"token": token}).body
    totp = pyotp.TOTP(started["secret"])
    step = totp.timecode(datetime.now(UTC))
    codes = {"code1": totp.generate_otp(step - 1), "code2": totp.generate_otp(step)}
    verified = slack.api.call("POST", "/onboarding/mfa/verify", {"token": token, **codes})
    assert verified.status == 200, verified.body
    return str(started["serial_number"])


# --- offboarding: ask, then click ---------------------------------------------------------------------


def test_confirming_offboarding_removes_the_user_and_replaces_the_prompt_with_the_outcome(
    slack: SlackClient,
) -> None:
    make_user("alice")
    slack.command("offboard alice")

    reply = slack.click("offboard_confirm", "alice")

    assert (reply.status, reply.body) == (200, None)
    assert slack.finish() == [
        "Offboarding *alice*…",
        ":white_check_mark: Offboarded *alice*. Removed password: 1, groups: 1; then the user.",
    ]
    assert all(p["replace_original"] is True for p in slack.stand_in.posts)
    assert all(p["path"].startswith("/actions/") for p in slack.stand_in.posts)  # the click's response_url
    assert managed_users() == []
    entry = next(e for e in wiring.store().trail() if e.action == "offboard")
    assert (entry.actor, entry.channel, entry.target) == (ACTOR, "slack", "alice")


def test_cancelling_offboarding_changes_nothing(slack: SlackClient) -> None:
    make_user("alice")

    reply = slack.click("offboard_cancel", "alice")

    assert reply.status == 200
    assert slack.finish() == ["Offboarding of *alice* cancelled; nothing was changed."]
    assert managed_users() == ["alice"]


def test_a_click_by_someone_not_on_the_allow_list_does_nothing(slack: SlackClient) -> None:
    make_user("alice")

    reply = slack.click("offboard_confirm", "alice", user=STRANGER)

    assert reply.status == 200
    assert reply.body["text"].startswith("Sorry, you are not on the list")
    assert slack.finish() == []
    assert managed_users() == ["alice"]


def test_a_click_with_a_forged_signature_is_refused(slack: SlackClient) -> None:
    make_user("alice")
    payload = '{"type": "block_actions", "user": {"id": "U0ADMIN"}, "response_url": "http://127.0.0.1:9/x", '
    payload += '"actions": [{"action_id": "offboard_confirm", "value": "alice"}]}'
    body = urlencode({"payload": payload}).encode()

    reply = slack.post("/slack/interactivity", body, signed_headers(body, secret="guessed"))

    assert (reply.status, reply.body["error"]["code"]) == (401, "invalid_signature")
    assert slack.finish() == []
    assert managed_users() == ["alice"]


def test_a_retried_click_offboards_once(slack: SlackClient) -> None:
    make_user("alice")
    body = slack.click_form("offboard_confirm", "alice")
    slack.post("/slack/interactivity", body)

    retry = slack.post("/slack/interactivity", body, {**signed_headers(body), "X-Slack-Retry-Num": "1"})

    assert (retry.status, retry.body) == (200, None)
    assert slack.finish() == [
        "Offboarding *alice*…",
        ":white_check_mark: Offboarded *alice*. Removed password: 1, groups: 1; then the user.",
    ]


def test_offboarding_a_user_who_is_gone_by_the_time_of_the_click_says_so(slack: SlackClient) -> None:
    reply = slack.click("offboard_confirm", "alice")

    assert reply.status == 200
    assert slack.finish() == [":warning: No managed user named alice."]


@pytest.mark.parametrize(
    "payload", ["not json", '{"type": "block_actions"}', '{"type": "block_actions", "user": {}}']
)
def test_a_signed_click_payload_that_is_malformed_is_a_bad_request(slack: SlackClient, payload: str) -> None:
    body = urlencode({"payload": payload}).encode()

    reply = slack.post("/slack/interactivity", body)

    assert (reply.status, reply.body["error"]["code"]) == (400, "invalid_request")
    assert slack.finish() == []


@pytest.mark.parametrize("payload", ["[]", '{"type": "view_submission", "user": {"id": "U0ADMIN"}}'])
def test_interactions_that_are_not_button_clicks_are_acknowledged_and_ignored(
    slack: SlackClient, payload: str
) -> None:
    body = urlencode({"payload": payload}).encode()

    reply = slack.post("/slack/interactivity", body)

    assert (reply.status, reply.body) == (200, None)
    assert slack.finish() == []


def test_a_click_on_a_button_that_is_not_ours_does_nothing(slack: SlackClient) -> None:
    make_user("alice")

    reply = slack.click("approve_expense", "alice")

    assert (reply.status, reply.body) == (200, None)
    assert slack.finish() == []
    assert managed_users() == ["alice"]


# --- MFA reset ------------------------------------------------------------------------------------------


def test_reset_mfa_removes_the_devices_and_posts_a_new_enrollment_link_to_the_admin(
    slack: SlackClient,
) -> None:
    serial = enroll(slack, make_user("alice"))

    reply = slack.command("reset-mfa alice")

    assert reply.body["text"] == "Removing the MFA devices of *alice*… the new enrollment link follows here."
    (text,) = slack.finish()
    assert text.startswith(f":white_check_mark: Removed the MFA devices of *alice*: `{serial}`.\n")
    assert len(ENROLL_LINK.findall(text)) == 1
    assert aws.iam().list_mfa_devices(UserName="alice")["MFADevices"] == []
    entry = next(e for e in wiring.store().trail() if e.action == "reset_mfa")
    assert (entry.actor, entry.channel) == (ACTOR, "slack")


def test_reset_mfa_of_a_user_without_a_device_still_gives_a_link(slack: SlackClient) -> None:
    make_user("alice")

    slack.command("reset-mfa alice")

    (text,) = slack.finish()
    assert text.startswith(
        ":white_check_mark: Removed the MFA devices of *alice*: none (there was no device)."
    )
    assert len(ENROLL_LINK.findall(text)) == 1


def test_reset_mfa_of_an_unknown_user_is_answered_at_once_that_they_are_unknown(slack: SlackClient) -> None:
    reply = slack.command("reset-mfa nobody")

    assert reply.body["text"] == ":warning: No managed user named nobody."
    assert slack.finish() == []


# --- audit ---------------------------------------------------------------------------------------------


def test_audit_answers_at_once_and_posts_the_report_later(slack: SlackClient) -> None:
    make_user("alice")

    reply = slack.command("audit")

    assert reply.body["text"] == "Running the audit… the report follows here in a moment."
    (text,) = slack.finish()
    report = wiring.auditor().latest()
    assert report is not None
    first_line = text.split("\n")[0]
    assert first_line.startswith(
        f"IAM audit {report.generated_at:%Y-%m-%d %H:%M}Z: {report.summary.findings}"
    )
    shown = [line for line in text.split("\n") if line.startswith("• ")]
    assert len(shown) == min(15, len(report.findings))
    entry = next(e for e in wiring.store().trail() if e.action == "run_audit")
    assert (entry.actor, entry.channel) == (ACTOR, "slack")


def test_offboarding_goes_on_when_the_progress_post_fails(slack: SlackClient) -> None:
    make_user("alice")
    posted: list[str] = []

    def slack_down_once(url: str, message: SlackMessage) -> None:
        if not posted:
            posted.append("(failed)")
            raise OSError("Slack is down")
        posted.append(message.text)

    job = SlackJob.model_validate(
        slack.admitted_job(slack.click_form("offboard_confirm", "alice"), kind="interactivity")
    )
    SlackWorker(wiring.slack_channel, post=slack_down_once).run(job)

    assert posted == [
        "(failed)",
        ":white_check_mark: Offboarded *alice*. Removed password: 1, groups: 1; then the user.",
    ]
    assert managed_users() == []


def test_a_second_click_while_offboarding_runs_is_told_so_and_leaves_the_outcome_alone(
    slack: SlackClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user("alice")
    posts: list[SlackMessage] = []
    jobs = [
        SlackJob.model_validate(
            slack.admitted_job(slack.click_form("offboard_confirm", "alice"), kind="interactivity")
        )
        for _ in range(2)
    ]
    iam = aws.iam()
    delete = iam.delete_login_profile

    def second_click_meanwhile(**kwargs: object) -> object:
        if len(posts) == 1:  # the first job said "Offboarding…" and is removing the password
            SlackWorker(wiring.slack_channel, post=lambda _, message: posts.append(message)).run(jobs[1])
        return delete(**kwargs)

    monkeypatch.setattr(iam, "delete_login_profile", second_click_meanwhile)

    SlackWorker(wiring.slack_channel, post=lambda _, message: posts.append(message)).run(jobs[0])

    assert [(p.text.split(" by ")[0], p.replace_original) for p in posts] == [
        ("Offboarding *alice*…", True),
        (":warning: alice is being offboarded", False),
        (":white_check_mark: Offboarded *alice*. Removed password: 1, groups: 1; then the user.", True),
    ]
    assert managed_users() == []
