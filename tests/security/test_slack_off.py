"""Slack switched off, or its secret missing or unreadable: an anonymous flood costs no AWS call.

The template's default leaves Slack off (no workspace or app id) but always names the SSM parameter, so
every anonymous `POST /slack/*` used to make an uncached `ssm:GetParameter` (an amplifier against the
account-wide Parameter Store limit) and log a traceback. Each test drives the API function's real entry
point, `app.app(event, context)`, with the request an anonymous caller would send.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
from botocore.stub import Stubber

from chalicelib import account, aws, wiring
from local.observe import CallLog
from tests.security.lambda_entry import invoke, request_event
from tests.support.slack import ADMIN, APP, TEAM

PARAM = "/iam-onboarding/dev/slack-signing-secret"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-1111-2222-3333-444455556666"
FORM = "token=x&team_id=T0&api_app_id=A0&user_id=U0&command=%2Fiam&text=help"


def anonymous_slack_post(path: str = "/slack/commands") -> tuple[int, dict[str, object]]:
    event = request_event("POST", path, user_arn=None)
    event["body"] = FORM
    event["headers"]["Content-Type"] = "application/x-www-form-urlencoded"
    event["multiValueHeaders"]["Content-Type"] = ["application/x-www-form-urlencoded"]
    return invoke(event)


@pytest.fixture
def deployed(aws_account: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The template's defaults: the parameter named, Slack's workspace, app and admins empty."""
    monkeypatch.setenv("SLACK_SIGNING_SECRET_PARAM", PARAM)
    monkeypatch.setenv("SLACK_SECRETS_KEY_ARN", KEY_ARN)
    for name in ("SLACK_SIGNING_SECRET", "SLACK_TEAM_ID", "SLACK_APP_ID", "SLACK_ADMINS"):
        monkeypatch.delenv(name, raising=False)
    wiring.reset()
    yield
    wiring.reset()


@pytest.fixture
def slack_on(deployed: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Slack configured, but (unless a test puts it) no signing secret in SSM."""
    monkeypatch.setenv("SLACK_TEAM_ID", TEAM)
    monkeypatch.setenv("SLACK_APP_ID", APP)
    monkeypatch.setenv("SLACK_ADMINS", f"{ADMIN}:admin")
    wiring.reset()


@pytest.mark.parametrize("path", ["/slack/commands", "/slack/interactivity"])
def test_twenty_anonymous_slack_requests_make_no_aws_call_when_slack_is_off(
    deployed: None, aws_calls: CallLog, path: str
) -> None:
    answers = [anonymous_slack_post(path) for _ in range(20)]

    assert {(status, body["error"]["code"]) for status, body in answers} == {(503, "slack_not_configured")}  # type: ignore[index]
    assert aws_calls == []


def test_slack_off_logs_one_line_without_a_traceback(
    deployed: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="chalicelib"):
        anonymous_slack_post()

    (record,) = [r for r in caplog.records if r.name.startswith("chalicelib")]
    assert record.exc_info is None and "Slack is off" in record.getMessage()


def test_a_missing_signing_secret_is_asked_of_ssm_once_for_twenty_requests(
    slack_on: None, aws_calls: CallLog
) -> None:
    answers = [anonymous_slack_post() for _ in range(20)]

    assert {(status, body["error"]["code"]) for status, body in answers} == {(503, "secret_unavailable")}  # type: ignore[index]
    assert aws_calls.operations() == ["GetParameter"]


def test_a_missing_signing_secret_is_asked_again_after_a_minute(
    slack_on: None, aws_calls: CallLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    anonymous_slack_post()
    later = time.monotonic() + account.MISSING_SECONDS + 1
    monkeypatch.setattr(account.time, "monotonic", lambda: later)

    anonymous_slack_post()

    assert aws_calls.operations() == ["GetParameter", "GetParameter"]


def test_a_signing_secret_the_role_may_not_decrypt_says_to_put_it_again_under_the_stack_key(
    slack_on: None,
) -> None:
    # The roles deny kms:Decrypt on any key but the stack's: a secret put under aws/ssm fails closed.
    # moto enforces no IAM, so the denial SSM passes on is stubbed.
    with Stubber(aws.ssm()) as ssm:
        ssm.add_client_error(
            "get_parameter",
            service_error_code="AccessDeniedException",
            service_message="User is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:...",
            http_status_code=400,
        )
        status, body = anonymous_slack_post()

    assert (status, body["error"]["code"]) == (503, "secret_unavailable")  # type: ignore[index]
    message = body["error"]["message"]  # type: ignore[index]
    assert PARAM in message and "put-parameter --overwrite" in message and f"--key-id {KEY_ARN}" in message
