"""Passwords, tokens and TOTP seeds never reach a log line or an error body, with logging at DEBUG.

Every flow runs once: create, claim, reissue, MFA start and verify (wrong codes, then right ones), the
admin's enrollment link and MFA reset, offboarding, the audit, and Slack's /iam onboard. Then every log
record (messages and formatted tracebacks) and every error body is searched for every secret seen.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib import aws
from tests.functional.mfa.support import codes
from tests.support.api import Api, Reply, token_of
from tests.support.faults import failing
from tests.support.slack import SECRET, SlackClient


def test_every_flow_logs_no_secret_at_debug(
    api: Api,
    slack: SlackClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets: list[str] = [SECRET]
    replies: list[Reply] = []

    def call(method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        reply = (
            api.as_admin(method, path, body, **kwargs)
            if path.startswith("/admin")
            else api.call(method, path, body)
        )
        replies.append(reply)
        return reply.body

    created = call("POST", "/admin/users", {"user_name": "alice", "groups": ["developer"]})
    secrets.append(token_of(created["bundle"]["url"]))
    claimed = call("POST", "/onboarding/credentials", {"token": secrets[-1]})
    secrets += [claimed["password"], claimed["enrollment"]["token"]]
    enrollment = claimed["enrollment"]["token"]
    started = call("POST", "/onboarding/mfa", {"token": enrollment})
    secrets.append(started["secret"])
    call("POST", "/onboarding/mfa/verify", {"token": enrollment, "code1": "000000", "code2": "000001"})
    code1, code2 = codes(started["secret"], datetime.now(UTC))
    assert call("POST", "/onboarding/mfa/verify", {"token": enrollment, "code1": code1, "code2": code2})[
        "mfa_enabled"
    ]
    reset = call("DELETE", "/admin/users/alice/mfa")
    secrets.append(token_of(reset["enrollment"]["url"]))
    reissued = call("POST", "/admin/users/alice/credentials")
    secrets.append(token_of(reissued["bundle"]["url"]))
    with failing(aws.dynamodb(), "TransactWriteItems", "InternalServerError", status=500):
        call("POST", "/onboarding/credentials", {"token": secrets[-1]})  # fails with the password unsealed
    with failing(aws.iam(), "CreateLoginProfile", "PasswordPolicyViolation"):
        call("POST", "/admin/users", {"user_name": "bob", "groups": ["developer"]})
    call("POST", "/admin/users", {"user_name": "bob", "groups": ["developer"]})
    secrets.append(token_of(call("POST", "/admin/users/bob/enrollment")["enrollment"]["url"]))
    call("POST", "/admin/audit")
    call("DELETE", "/admin/users/bob")
    slack.command("onboard carol developer")
    posted = slack.finish()
    secrets += [word.strip("<>|").split("#", 1)[1] for text in posted for word in text.split() if "#" in word]

    assert len(set(secrets)) == 9 and all(len(s) >= 16 for s in secrets)  # each flow yielded its secret
    logged = caplog.text  # messages and formatted tracebacks, every logger at DEBUG
    assert "Traceback" in logged, "the failed claim should have logged its traceback"
    errors = [json.dumps(r.body) for r in replies if r.status >= 400]
    assert len(errors) >= 3
    for secret in secrets:
        assert secret not in logged
        assert not any(secret in body for body in errors)
