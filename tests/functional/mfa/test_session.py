"""Any IAM caller asks `GET /session` who they are and whether MFA is present; `/session/mfa` proves it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app import app
from chalicelib import aws
from chalicelib.people.identity import LOCAL_MFA_KEY, Caller
from chalicelib.people.session import session_report
from local.emulator import ACCOUNT_ID
from local.gate import POLICY_FILE, ResourcePolicyGate
from tests.support.api import Api


def give_admin_a_device() -> str:
    iam = aws.iam()
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="admin-phone")["VirtualMFADevice"][
        "SerialNumber"
    ]
    iam.enable_mfa_device(
        UserName="admin", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    return serial


def test_a_long_term_key_is_reported_without_mfa_and_says_why(api: Api) -> None:
    reply = api.call("GET", "/session", caller="admin")

    assert reply.status == 200
    assert reply.body == {
        "arn": "arn:aws:iam::123456789012:user/admin",
        "user_name": "admin",
        "account_id": "123456789012",
        "credential_type": "long-term",
        "mfa_devices": [],
        "multi_factor_auth_present": False,
        "reason": reply.body["reason"],
    }
    assert "never carry aws:MultiFactorAuthPresent" in reply.body["reason"]
    assert "get-session-token" in reply.body["reason"]


@pytest.mark.parametrize(("header", "present"), [("true", True), ("false", False)])
def test_a_temporary_session_whose_mfa_state_is_known_is_reported_as_is(
    api: Api, header: str, present: bool
) -> None:
    reply = api.call("GET", "/session", caller="admin", mfa=header)

    assert reply.status == 200
    assert reply.body["credential_type"] == "temporary"
    assert reply.body["multi_factor_auth_present"] is present


def test_the_report_lists_the_callers_mfa_devices(api: Api) -> None:
    serial = give_admin_a_device()

    reply = api.call("GET", "/session", caller="admin", mfa="true")

    assert reply.body["mfa_devices"] == [serial]


def test_a_managed_user_is_named_without_the_path(api: Api) -> None:
    api.as_admin("POST", "/admin/users", {"user_name": "alice", "groups": ["developer"]})

    reply = api.call("GET", "/session", caller="alice")

    assert reply.body["arn"] == "arn:aws:iam::123456789012:user/onboarding/alice"
    assert reply.body["user_name"] == "alice"


def test_a_session_report_needs_a_caller(api: Api) -> None:
    reply = api.call("GET", "/session")

    assert (reply.status, reply.body["error"]["code"]) == (401, "missing_authentication")


def test_the_mfa_report_answers_an_mfa_session(api: Api) -> None:
    reply = api.call("GET", "/session/mfa", caller="admin", mfa="true")

    assert reply.status == 200
    assert reply.body == {"multi_factor_auth_present": True}


@pytest.mark.parametrize("header", [None, "false"], ids=["long-term-key", "no-mfa"])
def test_the_mfa_report_is_refused_without_mfa(api: Api, header: str | None) -> None:
    reply = api.call("GET", "/session/mfa", caller="admin", mfa=header)

    assert (reply.status, reply.body["error"]["code"]) == (403, "mfa_required")


@pytest.mark.parametrize(
    ("keys", "allowed"),
    [
        ({}, False),
        ({"aws:MultiFactorAuthPresent": "false"}, False),
        ({"aws:MultiFactorAuthPresent": "true"}, True),
    ],
)
def test_the_resource_policy_file_itself_gates_the_mfa_report_and_not_the_session_report(
    keys: dict[str, str], allowed: bool
) -> None:
    gate = ResourcePolicyGate.from_file(POLICY_FILE, account_id=ACCOUNT_ID)

    own = {**keys, "aws:PrincipalAccount": ACCOUNT_ID}
    assert gate.allows("GET", "/session/mfa", own) is allowed
    assert gate.allows("GET", "/session", own) is True


def test_the_policy_file_names_the_mfa_report_in_a_bool_if_exists_deny() -> None:
    statements = json.loads(POLICY_FILE.read_text())["Statement"]

    denying = [
        s
        for s in statements
        if s["Effect"] == "Deny"
        and "arn:aws:execute-api:*:*:*/*/GET/session/mfa" in s["Resource"]
        and s.get("Condition") == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    ]
    assert len(denying) == 1


def test_in_aws_a_temporary_session_is_unknown_and_points_to_the_mfa_report(aws_account: None) -> None:
    caller = Caller(
        arn="arn:aws:sts::123456789012:assumed-role/dev/alice",
        account_id="123456789012",
        user_name=None,
        access_key="ASIAEXAMPLE",
        mfa_present=None,
    )

    report = session_report(aws.iam(), caller)

    assert report.credential_type == "temporary"
    assert report.multi_factor_auth_present is None
    assert report.mfa_devices == []
    assert "GET /session/mfa" in report.reason


def _lambda_event(path: str, identity: dict[str, Any]) -> dict[str, Any]:
    return {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": {"X-Dev-Mfa": "true", "X-Dev-Caller": "admin"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": "GET",
            "path": f"/api{path}",
            "accountId": ACCOUNT_ID,
            "identity": identity,
        },
        "body": None,
        "isBase64Encoded": False,
    }


def test_a_lambda_invocation_ignores_the_dev_headers_and_reports_a_temporary_session_as_unknown(
    aws_account: None,
) -> None:
    identity = {"userArn": "arn:aws:iam::123456789012:user/admin", "accessKey": "ASIAREALSESSION0000"}

    response = app(_lambda_event("/session", identity), None)

    body = json.loads(response["body"])
    assert response["statusCode"] == 200
    assert body["multi_factor_auth_present"] is None
    assert LOCAL_MFA_KEY not in identity
