"""Passwords and tokens never reach a log line, even with every logger at DEBUG."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import Api, token_of
from tests.faults import failing


def test_creating_claiming_and_failing_log_no_secret_at_debug(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    from chalicelib import aws

    caplog.set_level(logging.DEBUG)
    created = api.as_admin("POST", "/admin/users", {"user_name": "alice", "groups": ["developer"]})
    token = token_of(created.body["bundle"]["url"])
    claimed = api.call("POST", "/onboarding/credentials", {"token": token}).body
    reissued = api.as_admin("POST", "/admin/users/alice/credentials").body
    with failing(aws.iam(), "CreateLoginProfile", "PasswordPolicyViolation"):
        api.as_admin("POST", "/admin/users", {"user_name": "bob", "groups": ["developer"]})
    with failing(aws.dynamodb(), "UpdateItem", "InternalServerError", status=500):
        api.call("POST", "/onboarding/credentials", {"token": token_of(reissued["bundle"]["url"])})

    logged = caplog.text  # messages and formatted tracebacks
    assert "Traceback" in logged, "the failed claim should have logged its traceback"
    for secret in (
        token,
        claimed["password"],
        claimed["enrollment"]["token"],
        token_of(reissued["bundle"]["url"]),
    ):
        assert secret not in logged
