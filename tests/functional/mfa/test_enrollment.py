"""A newcomer enrolls a virtual MFA device with `POST /onboarding/mfa` and `/onboarding/mfa/verify`."""

from __future__ import annotations

import base64
import re
import urllib.parse
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
import segno

from chalicelib import aws, aws_errors, wiring
from chalicelib.config import settings
from local.observe import CallLog
from tests.functional.mfa.support import Clock, codes, enroll, enrollment_token, start
from tests.support.api import Api, token_of

SERIAL = re.compile(r"arn:aws:iam::123456789012:mfa/alice-[0-9a-f]{8}")


def verify(api: Api, token: str, code1: Any, code2: Any) -> Any:
    return api.call("POST", "/onboarding/mfa/verify", {"token": token, "code1": code1, "code2": code2})


def virtual_devices() -> list[str]:
    return [d["SerialNumber"] for d in aws.iam().list_virtual_mfa_devices()["VirtualMFADevices"]]


def enabled_devices(user: str = "alice") -> list[str]:
    return [d["SerialNumber"] for d in aws.iam().list_mfa_devices(UserName=user)["MFADevices"]]


def table_items() -> list[dict[str, Any]]:
    return aws.dynamodb().scan(TableName=settings().table_name)["Items"]


def test_starting_enrollment_creates_a_pending_device_and_says_how_to_add_it(api: Api, clock: Clock) -> None:
    token = enrollment_token(api)

    reply = api.call("POST", "/onboarding/mfa", {"token": token})

    assert reply.status == 200
    assert reply.headers["Cache-Control"] == "no-store"
    body = reply.body
    assert SERIAL.fullmatch(body["serial_number"])
    assert re.fullmatch(r"[A-Z2-7]{64}", body["secret"])
    assert body["otpauth_uri"] == (
        f"otpauth://totp/Amazon%20Web%20Services:alice%40123456789012?secret={body['secret']}"
        "&issuer=Amazon%20Web%20Services"
    )
    assert body["qr_svg"] == segno.make(body["otpauth_uri"], error="m").svg_inline(scale=4)
    assert body["qr_svg"].startswith("<svg")
    assert virtual_devices() == [body["serial_number"]]
    assert enabled_devices() == []


def test_the_start_gives_the_page_the_qr_code_as_an_image_and_the_account_as_data(api: Api) -> None:
    aws.iam().create_account_alias(AccountAlias="team-sandbox")
    token = enrollment_token(api)

    body = api.call("POST", "/onboarding/mfa", {"token": token}).body

    assert body["qr_data_uri"] == segno.make(body["otpauth_uri"], error="m").svg_data_uri(scale=4)
    header, _, svg = body["qr_data_uri"].partition(",")
    assert header == "data:image/svg+xml;charset=utf-8"
    assert urllib.parse.unquote(svg).startswith("<svg xmlns='http://www.w3.org/2000/svg'")
    assert {k: body[k] for k in ("console_url", "account_id", "account_alias", "region")} == {
        "console_url": "https://team-sandbox.signin.aws.amazon.com/console",
        "account_id": "123456789012",
        "account_alias": "team-sandbox",
        "region": "us-east-1",
    }


def test_the_device_name_starts_with_the_user_name_and_lives_at_the_root_path(
    api: Api, clock: Clock, aws_calls: CallLog
) -> None:
    start(api, enrollment_token(api))

    [params] = aws_calls.of("CreateVirtualMFADevice")
    assert re.fullmatch(r"alice-[0-9a-f]{8}", params["VirtualMFADeviceName"])
    assert params["Path"] == "/"


def test_the_label_names_the_account_alias_when_the_account_has_one(api: Api, clock: Clock) -> None:
    aws.iam().create_account_alias(AccountAlias="example-team")
    wiring.reset()

    body = start(api, enrollment_token(api))

    assert body["otpauth_uri"].startswith("otpauth://totp/Amazon%20Web%20Services:alice%40example-team?")


def test_two_consecutive_codes_enable_the_device_and_the_user_is_mfa_enrolled(
    api: Api, clock: Clock, aws_calls: CallLog
) -> None:
    token = enrollment_token(api)
    started = start(api, token)
    code1, code2 = codes(started["secret"], clock.now)

    reply = verify(api, token, code1, code2)

    assert reply.status == 200
    assert reply.body == {"mfa_enabled": True, "serial_number": started["serial_number"]}
    assert enabled_devices() == [started["serial_number"]]
    [enable] = aws_calls.of("EnableMFADevice")
    assert (enable["AuthenticationCode1"], enable["AuthenticationCode2"]) == (code1, code2)
    assert wiring.store().get_user("alice").state == "mfa_enrolled"  # type: ignore[union-attr]
    assert api.as_admin("GET", "/admin/users/alice").body["state"] == "mfa_enrolled"


@pytest.mark.parametrize("first_step", [-2, -1, 0], ids=["phone-behind", "in-step", "phone-ahead"])
def test_a_phone_clock_one_step_off_is_tolerated(api: Api, clock: Clock, first_step: int) -> None:
    token = enrollment_token(api)
    secret = start(api, token)["secret"]

    reply = verify(api, token, *codes(secret, clock.now, first_step))

    assert reply.status == 200


def test_codes_typed_in_one_step_and_sent_in_the_next_are_accepted(api: Api, clock: Clock) -> None:
    token = enrollment_token(api)
    secret = start(api, token)["secret"]
    code1, code2 = codes(secret, clock.now)
    clock.advance(seconds=30)

    assert verify(api, token, code1, code2).status == 200


def _wrong_pairs(secret: str, clock: Clock) -> dict[str, tuple[str, str]]:
    previous, current = codes(secret, clock.now)
    older, _ = codes(secret, clock.now, -3)
    other = f"{(int(current) + 1) % 1_000_000:06d}"
    return {
        "wrong": (previous, other),
        "repeated": (current, current),
        "reversed": (current, previous),
        "not-consecutive": (older, current),
        "too-old": codes(secret, clock.now, -3),
        "too-new": codes(secret, clock.now, 1),
        "another-device": codes(pyotp.random_base32(), clock.now),
    }


@pytest.mark.parametrize(
    "case", ["wrong", "repeated", "reversed", "not-consecutive", "too-old", "too-new", "another-device"]
)
def test_codes_that_are_not_two_consecutive_steps_are_refused_and_nothing_is_enabled(
    api: Api, clock: Clock, aws_calls: CallLog, case: str
) -> None:
    token = enrollment_token(api)
    secret = start(api, token)["secret"]

    reply = verify(api, token, *_wrong_pairs(secret, clock)[case])

    assert reply.status == 400
    assert reply.body["error"]["code"] == "invalid_mfa_codes"
    assert "wait until it changes" in reply.body["error"]["message"]
    assert "4 tries left" in reply.body["error"]["message"]
    assert reply.body["error"]["tries_left"] == 4
    assert aws_calls.of("EnableMFADevice") == []
    assert enabled_devices() == []


@pytest.mark.parametrize(
    ("code1", "code2"),
    [("12345", "123456"), ("123456", "1234567"), ("abcdef", "123456"), (" 12345", "123456"), ("", "")],
)
def test_malformed_codes_are_a_bad_request_that_costs_no_try(
    api: Api, clock: Clock, code1: str, code2: str
) -> None:
    token = enrollment_token(api)
    secret = start(api, token)["secret"]

    for _ in range(6):
        reply = verify(api, token, code1, code2)
        assert (reply.status, reply.body["error"]["code"]) == (400, "invalid_request")

    assert verify(api, token, *codes(secret, clock.now)).status == 200


def test_codes_sent_as_numbers_are_a_bad_request(api: Api, clock: Clock) -> None:
    token = enrollment_token(api)
    start(api, token)

    reply = verify(api, token, 123456, 654321)

    assert (reply.status, reply.body["error"]["code"]) == (400, "invalid_request")


def test_the_fifth_wrong_pair_spends_the_enrollment_and_deletes_the_pending_device(
    api: Api, clock: Clock
) -> None:
    token = enrollment_token(api)
    secret = start(api, token)["secret"]
    wrong = _wrong_pairs(secret, clock)["reversed"]

    answers = [verify(api, token, *wrong) for _ in range(5)]

    assert [(a.status, a.body["error"]["code"]) for a in answers] == [(400, "invalid_mfa_codes")] * 4 + [
        (410, "too_many_wrong_codes")
    ]
    assert [a.body["error"].get("tries_left") for a in answers] == [4, 3, 2, 1, None]
    assert answers[-1].body["error"]["message"] == (
        "Too many wrong codes: this enrollment is spent. Ask your admin for a new enrollment link."
    )
    assert virtual_devices() == []
    assert verify(api, token, *codes(secret, clock.now)).status == 410
    assert api.call("POST", "/onboarding/mfa", {"token": token}).status == 410
    assert enabled_devices() == []


def test_failures_count_across_restarts(api: Api, clock: Clock) -> None:
    token = enrollment_token(api)
    for _ in range(4):
        secret = start(api, token)["secret"]
        verify(api, token, *_wrong_pairs(secret, clock)["reversed"])
    secret = start(api, token)["secret"]

    reply = verify(api, token, *_wrong_pairs(secret, clock)["reversed"])

    assert (reply.status, reply.body["error"]["code"]) == (410, "too_many_wrong_codes")
    assert virtual_devices() == []


def test_starting_again_replaces_the_pending_device_without_orphans(api: Api, clock: Clock) -> None:
    token = enrollment_token(api)
    first = start(api, token)

    second = start(api, token)

    assert second["serial_number"] != first["serial_number"]
    assert virtual_devices() == [second["serial_number"]]
    assert verify(api, token, *codes(first["secret"], clock.now)).status == 400
    assert (
        verify(api, token, *codes(second["secret"], clock.now)).body["serial_number"]
        == second["serial_number"]
    )
    assert aws.iam().list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"] == []


def test_a_start_that_loses_a_race_with_another_start_removes_its_own_device(api: Api, clock: Clock) -> None:
    token = enrollment_token(api)
    winner: dict[str, Any] = {}

    def start_elsewhere_first(**_: Any) -> None:
        aws.iam().meta.events.unregister("before-call.iam.CreateVirtualMFADevice", start_elsewhere_first)
        winner["serial"] = wiring.enrollment().start(token).serial_number

    aws.iam().meta.events.register("before-call.iam.CreateVirtualMFADevice", start_elsewhere_first)
    reply = api.call("POST", "/onboarding/mfa", {"token": token})

    assert (reply.status, reply.body["error"]["code"]) == (409, "enrollment_conflict")
    assert virtual_devices() == [winner["serial"]]


def test_verifying_before_starting_says_to_start_first(api: Api, clock: Clock) -> None:
    token = enrollment_token(api)

    reply = verify(api, token, "123456", "654321")

    assert (reply.status, reply.body["error"]["code"]) == (409, "enrollment_not_started")


def test_an_expired_enrollment_cannot_be_started(api: Api, clock: Clock) -> None:
    token = enrollment_token(api)
    clock.advance(hours=24, minutes=1)

    reply = api.call("POST", "/onboarding/mfa", {"token": token})

    assert (reply.status, reply.body["error"]["code"]) == (410, "link_expired")
    assert virtual_devices() == []


def test_an_enrollment_that_expires_after_starting_loses_its_seed_and_device(api: Api, clock: Clock) -> None:
    token = enrollment_token(api)
    secret = start(api, token)["secret"]
    clock.advance(hours=24, minutes=1)

    reply = verify(api, token, *codes(secret, clock.now))

    assert (reply.status, reply.body["error"]["code"]) == (410, "link_expired")
    assert virtual_devices() == []
    assert [i for i in table_items() if i["pk"]["S"] == "link" and "sealed" in i] == []


@pytest.mark.parametrize("token", ["unknown", "x" * 43])
def test_an_unknown_token_is_gone(api: Api, clock: Clock, token: str) -> None:
    for path in ("/onboarding/mfa", "/onboarding/mfa/verify"):
        codes_too = {} if path.endswith("mfa") else {"code1": "111111", "code2": "222222"}
        body = {"token": token, **codes_too}

        reply = api.call("POST", path, body)

        assert (reply.status, reply.body["error"]["code"]) == (410, "link_expired")


def test_a_credential_token_is_not_an_enrollment_token(api: Api, clock: Clock) -> None:
    created = api.as_admin("POST", "/admin/users", {"user_name": "alice", "groups": ["developer"]})

    reply = api.call("POST", "/onboarding/mfa", {"token": token_of(created.body["bundle"]["url"])})

    assert (reply.status, reply.body["error"]["code"]) == (410, "link_expired")


def test_after_success_the_enrollment_is_spent(api: Api, clock: Clock) -> None:
    token = enrollment_token(api)
    enroll(api, clock, token)

    assert api.call("POST", "/onboarding/mfa", {"token": token}).status == 410
    assert verify(api, token, "123456", "654321").status == 410
    assert len(virtual_devices()) == 1


def test_the_seed_is_stored_only_sealed_and_is_gone_after_success(api: Api, clock: Clock) -> None:
    token = enrollment_token(api)
    secret = start(api, token)["secret"]
    stored = repr(table_items())
    pending = [i for i in table_items() if i["pk"]["S"] == "link" and "serial_number" in i]

    assert len(pending) == 1 and "sealed" in pending[0]
    for form in (secret, secret.lower(), base64.b64encode(secret.encode()).decode(), token):
        assert form not in stored
    assert base64.b32decode(secret) not in pending[0]["sealed"]["B"]

    enroll_reply = verify(api, token, *codes(secret, clock.now))

    assert enroll_reply.status == 200
    assert [i for i in table_items() if i["pk"]["S"] == "link" and "sealed" in i] == []


def test_an_mfa_start_costs_a_bounded_number_of_aws_calls(api: Api, clock: Clock, aws_calls: CallLog) -> None:
    token = enrollment_token(api)
    aws_calls.clear()

    start(api, token)

    # The link, the user record, the device and the pending write; the alias is cached since the claim.
    assert sorted(aws_calls.operations()) == [
        "CreateVirtualMFADevice",
        "GetItem",
        "GetItem",
        "TransactWriteItems",
    ]


# --- errors only real IAM produces (the emulator accepts any code and has no quotas) ----------------


def test_iam_refusing_the_codes_counts_as_a_wrong_pair(
    api: Api, clock: Clock, aws_error: Callable[..., None]
) -> None:
    token = enrollment_token(api)
    secret = start(api, token)["secret"]
    aws_error("EnableMFADevice", "InvalidAuthenticationCode", status=403)

    reply = verify(api, token, *codes(secret, clock.now))

    assert (reply.status, reply.body["error"]["code"], reply.body["error"]["tries_left"]) == (
        400,
        "invalid_mfa_codes",
        4,
    )
    assert "4 tries left" in reply.body["error"]["message"]
    assert enabled_devices() == []
    assert verify(api, token, *codes(secret, clock.now)).status == 200


def test_a_device_that_is_enabled_already_is_a_conflict(
    api: Api, clock: Clock, aws_error: Callable[..., None]
) -> None:
    token = enrollment_token(api)
    secret = start(api, token)["secret"]
    aws_error("EnableMFADevice", "EntityAlreadyExists", status=409)

    reply = verify(api, token, *codes(secret, clock.now))

    assert (reply.status, reply.body["error"]["code"]) == (409, "mfa_already_enabled")
    assert "Sign out" in reply.body["error"]["message"]


@pytest.mark.parametrize("operation", ["CreateVirtualMFADevice", "EnableMFADevice"])
def test_an_mfa_device_quota_is_a_clear_conflict(
    api: Api, clock: Clock, aws_error: Callable[..., None], operation: str
) -> None:
    token = enrollment_token(api)
    secret = start(api, token)["secret"]
    aws_error(operation, "LimitExceeded", status=409)

    if operation == "CreateVirtualMFADevice":
        reply = api.call("POST", "/onboarding/mfa", {"token": token})
    else:
        reply = verify(api, token, *codes(secret, clock.now))

    assert (reply.status, reply.body["error"]["code"]) == (409, "mfa_device_limit")
    assert "ask your admin" in reply.body["error"]["message"]


def test_iam_still_settling_is_retried(
    api: Api, clock: Clock, aws_error: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aws_errors.time, "sleep", lambda _: None)
    token = enrollment_token(api)
    secret = start(api, token)["secret"]
    aws_error("EnableMFADevice", "EntityTemporarilyUnmodifiable", times=2, status=409)

    reply = verify(api, token, *codes(secret, clock.now))

    assert reply.status == 200
    assert len(enabled_devices()) == 1


def test_iam_settling_for_too_long_is_a_try_again_later(
    api: Api, clock: Clock, aws_error: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aws_errors.time, "sleep", lambda _: None)
    token = enrollment_token(api)
    secret = start(api, token)["secret"]
    aws_error("EnableMFADevice", "EntityTemporarilyUnmodifiable", times=4, status=409)

    reply = verify(api, token, *codes(secret, clock.now))

    assert (reply.status, reply.body["error"]["code"]) == (503, "aws_unavailable")
    assert verify(api, token, *codes(secret, clock.now)).status == 200


def test_an_unexpected_iam_error_names_the_step(
    api: Api, clock: Clock, aws_error: Callable[..., None]
) -> None:
    token = enrollment_token(api)
    aws_error("CreateVirtualMFADevice", "AccessDenied", status=403)

    reply = api.call("POST", "/onboarding/mfa", {"token": token})

    assert (reply.status, reply.body["error"]["code"]) == (502, "aws_error")
    assert "CreateVirtualMFADevice (AccessDenied)" in reply.body["error"]["message"]


def test_claiming_reissued_credentials_replaces_a_started_enrollment_without_an_orphan(
    api: Api, clock: Clock
) -> None:
    old = enrollment_token(api)
    start(api, old)
    reissued = api.as_admin("POST", "/admin/users/alice/credentials").body["bundle"]["url"]

    claimed = api.call("POST", "/onboarding/credentials", {"token": token_of(reissued)})

    assert claimed.status == 200
    assert virtual_devices() == []
    assert api.call("POST", "/onboarding/mfa", {"token": old}).status == 410
    assert enroll(api, clock, claimed.body["enrollment"]["token"]) in enabled_devices()
