"""The CLI's SigV4 signature, checked where API Gateway checks it: on the request as it arrived.

A recording endpoint on 127.0.0.1 stands in for API Gateway; each signature is recomputed with
botocore's own signer from what came over the socket, so a header that urllib changed after signing, a
path signed in one encoding and sent in another, or the wrong region or service would all fail here.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from botocore.credentials import ReadOnlyCredentials

from tests.support.cli import SESSION, Recorder, authorization, run_cli, signature_verifies

pytestmark = pytest.mark.usefixtures("session_in_the_environment")


def test_a_signed_request_verifies_with_botocores_signer_as_it_arrived(recorder: Recorder) -> None:
    recorder.reply = {"users": []}

    result = run_cli("--endpoint", recorder.base + "/api", "users", "list")

    assert result.code == 0, result.stderr
    [received] = recorder.received
    assert (received.method, received.path) == ("GET", "/api/admin/users")
    assert signature_verifies(received, SESSION)


def test_the_signature_is_for_execute_api_in_the_profiles_region_with_the_session_token(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")

    run_cli("--endpoint", recorder.base, "users", "list")

    [received] = recorder.received
    parts = authorization(received)
    assert (parts["key"], parts["region"], parts["service"]) == (
        SESSION.access_key,
        "eu-west-1",
        "execute-api",
    )
    assert {"host", "x-amz-date", "x-amz-security-token"} <= set(parts["signed"].split(";"))
    assert received.headers["x-amz-security-token"] == SESSION.token


def test_a_signed_post_covers_its_body(recorder: Recorder) -> None:
    recorder.reply = {
        "user_name": "ann",
        "arn": "arn:aws:iam::123456789012:user/onboarding/ann",
        "groups": ["developer"],
        "state": "invited",
        "bundle": {"url": "https://example.test/onboard#t", "expires_at": "2026-12-04T00:00:00Z"},
    }

    result = run_cli("--endpoint", recorder.base, "users", "create", "ann", "--group", "developer")

    assert result.code == 0, result.stderr
    [received] = recorder.received
    assert json.loads(received.body) == {"user_name": "ann", "groups": ["developer"]}
    assert signature_verifies(received, SESSION)
    tampered = replace(received, body=received.body.replace(b"developer", b"administrator"))
    assert not signature_verifies(tampered, SESSION)


def test_a_user_name_with_reserved_characters_is_signed_as_sent(recorder: Recorder) -> None:
    recorder.reply = {
        "bundle": {"url": "https://example.test/onboard#t", "expires_at": "2026-12-04T00:00:00Z"}
    }

    result = run_cli("--endpoint", recorder.base, "users", "reissue", "a+b=c@d.e")

    assert result.code == 0, result.stderr
    [received] = recorder.received
    assert received.path == "/admin/users/a%2Bb%3Dc%40d.e/credentials"
    assert signature_verifies(received, SESSION)


def test_the_check_refuses_a_signature_made_with_another_secret(recorder: Recorder) -> None:
    run_cli("--endpoint", recorder.base, "users", "list")

    [received] = recorder.received
    assert not signature_verifies(received, ReadOnlyCredentials(SESSION.access_key, "another", SESSION.token))


def test_the_endpoint_can_come_from_iam_onboarding_url(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IAM_ONBOARDING_URL", recorder.base + "/api/")

    result = run_cli("users", "list", "--json")

    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == {"users": []}
    assert [r.path for r in recorder.received] == ["/api/admin/users"]


def test_a_session_that_has_a_token_already_is_used_without_asking_for_a_code(
    recorder: Recorder, tmp_path: Path
) -> None:
    result = run_cli("--endpoint", recorder.base, "users", "list")

    assert result.code == 0, result.stderr
    assert "MFA code" not in result.stderr
    assert not (tmp_path / "cache" / "iam-onboarding").exists()  # nothing to cache: not our session


def test_local_mode_signs_nothing_and_sends_the_dev_identity(recorder: Recorder) -> None:
    run_cli("--local", "--endpoint", recorder.base, "--as", "alice", "users", "list")

    [received] = recorder.received
    assert "authorization" not in received.headers
    assert "x-amz-security-token" not in received.headers
    assert (received.headers["x-dev-caller"], received.headers["x-dev-mfa"]) == ("alice", "true")
