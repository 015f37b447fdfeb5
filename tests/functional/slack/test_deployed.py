"""Deployed, the signing secret comes from SSM and slow work goes to the worker Lambda, invoked async."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import parse_qsl, urlencode

import pytest
from botocore.stub import Stubber

from chalicelib import account, aws, wiring
from tests.support.slack import (
    ADMIN,
    SECRET,
    SlackClient,
    SlackStandIn,
    signed_headers,
)

PARAM = "/iam-onboarding/slack/signing-secret"
WORKER = "iam-onboarding-dev-slack_worker"


@pytest.fixture
def secret_in_ssm(slack: SlackClient, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The signing secret only in SSM (a SecureString), as when deployed; the SSM calls made."""
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    monkeypatch.setenv("SLACK_SIGNING_SECRET_PARAM", PARAM)
    wiring.reset()
    aws.ssm().put_parameter(Name=PARAM, Value=SECRET, Type="SecureString")
    calls: list[str] = []
    aws.ssm().meta.events.register(
        "provide-client-params.ssm", lambda model, **_: calls.append(model.name), unique_id="count"
    )
    return calls


def test_deployed_the_signing_secret_is_read_from_ssm_once_for_a_burst_of_requests(
    slack: SlackClient, secret_in_ssm: list[str]
) -> None:
    first = slack.command("help")
    second = slack.command("help")

    assert (first.status, second.status) == (200, 200)
    assert secret_in_ssm == ["GetParameter"]


def test_deployed_a_rotated_signing_secret_replaces_the_old_one_within_minutes(
    slack: SlackClient, secret_in_ssm: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert slack.command("help").status == 200
    aws.ssm().put_parameter(Name=PARAM, Value="rotated-after-a-leak", Type="SecureString", Overwrite=True)
    later = time.monotonic() + account.CACHE_SECONDS + 1
    monkeypatch.setattr(account.time, "monotonic", lambda: later)

    reply = slack.command("help")  # signed with the leaked SECRET

    assert (reply.status, reply.body["error"]["code"]) == (401, "invalid_signature")


def test_deployed_only_the_secret_in_ssm_is_trusted(slack: SlackClient, secret_in_ssm: list[str]) -> None:
    aws.ssm().put_parameter(Name=PARAM, Value="rotated-secret", Type="SecureString", Overwrite=True)

    reply = slack.command("help")  # signed with SECRET, which SSM no longer holds

    assert (reply.status, reply.body["error"]["code"]) == (401, "invalid_signature")


def test_deployed_slow_work_is_handed_to_the_worker_function_asynchronously(
    slack: SlackClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_WORKER_FUNCTION", WORKER)
    wiring.reset()
    body = slack.form("onboard alice developer")
    headers = signed_headers(body)
    # The job is the request as Slack signed it: the worker checks it again.
    job = {
        "kind": "command",
        "body": body.decode(),
        "timestamp": headers["X-Slack-Request-Timestamp"],
        "signature": headers["X-Slack-Signature"],
    }
    with Stubber(aws.lambda_()) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 202},
            {
                "FunctionName": WORKER,
                "InvocationType": "Event",
                "Payload": json.dumps(job, separators=(",", ":")).encode(),
            },
        )
        reply = slack.post("/slack/commands", body, headers)
        stub.assert_no_pending_responses()

    assert reply.body["text"].startswith("Creating *alice*")
    assert slack.finish() == []  # nothing ran in this process
    assert aws.iam().list_users(PathPrefix="/onboarding/")["Users"] == []


def test_the_worker_function_does_the_job_and_posts_the_outcome(
    slack: SlackClient, stand_in: SlackStandIn
) -> None:
    from app import slack_worker

    slack_worker(slack.admitted_job(slack.form("onboard alice developer")), None)

    assert stand_in.texts()[0].startswith(":white_check_mark: Created *alice* in developer.")
    assert stand_in.posts[0]["path"] == "/commands/T0/1/x"


def test_the_worker_function_posts_a_failure_instead_of_raising_so_lambda_does_not_retry_the_work(
    slack: SlackClient, stand_in: SlackStandIn
) -> None:
    from app import slack_worker

    slack_worker(
        slack.admitted_job(slack.click_form("offboard_confirm", "nobody"), kind="interactivity"), None
    )

    assert stand_in.texts() == [":warning: No managed user named nobody."]


def test_when_slack_cannot_be_reached_the_worker_logs_it_without_the_response_url(
    slack: SlackClient, stand_in: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    from app import slack_worker

    job = slack.admitted_job(slack.form("onboard alice developer"))
    stand_in.close()

    with caplog.at_level(logging.ERROR):
        slack_worker(job, None)

    assert [r.getMessage() for r in caplog.records] == ["could not post the outcome of Slack job onboard"]
    assert stand_in.url("commands/T0/1/x") not in caplog.text
    assert aws.iam().list_users(PathPrefix="/onboarding/")["Users"][0]["UserName"] == "alice"


def test_the_worker_function_drops_an_event_that_is_not_a_job(
    slack: SlackClient, caplog: pytest.LogCaptureFixture
) -> None:
    from app import slack_worker

    slack_worker({"action": "drop_table", "admin_id": ADMIN, "response_url": "x"}, None)

    assert [r.getMessage() for r in caplog.records] == [
        "dropped a Slack job that is not a signed Slack request"
    ]


def test_the_slack_app_manifest_points_at_the_apps_slack_routes() -> None:
    from pathlib import Path

    import yaml

    from app import app

    manifest = yaml.safe_load((Path(__file__).parents[3] / "slack" / "manifest.yml").read_text())
    (command,) = manifest["features"]["slash_commands"]
    urls = [command["url"], manifest["settings"]["interactivity"]["request_url"]]

    assert command["command"] == "/iam"
    assert urls == ["API_BASE_URL/slack/commands", "API_BASE_URL/slack/interactivity"]
    for url in urls:
        assert app.routes[url.removeprefix("API_BASE_URL")]["POST"].content_types == [
            "application/x-www-form-urlencoded"
        ]


def test_deployed_without_a_worker_function_slow_commands_say_what_is_missing(
    slack: SlackClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "iam-onboarding-dev")
    wiring.reset()
    form = dict(parse_qsl(slack.form("onboard alice developer").decode()))
    # In Lambda only Slack's own host is a response_url (nothing is posted here).
    body = urlencode({**form, "response_url": "https://hooks.slack.com/commands/T0/1/x"}).encode()

    reply = slack.post("/slack/commands", body)

    assert reply.body["text"] == (
        ":warning: Slow commands need SLACK_WORKER_FUNCTION set on this deployment."
    )
    assert slack.finish() == []
    assert aws.iam().list_users(PathPrefix="/onboarding/")["Users"] == []
