"""Enrollment.verify against IAM answers only real IAM gives, with a botocore Stubber on IAM."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pyotp
import pytest
from botocore.stub import Stubber

from chalicelib import aws_errors, wiring
from chalicelib.config import settings
from chalicelib.errors import AwsUnavailable, InvalidMfaCodes, MfaAlreadyEnabled, MfaDeviceLimit
from chalicelib.models.records import LinkKind, LinkRecord, UserRecord
from chalicelib.onboarding import sealing
from chalicelib.onboarding.enrollment import Enrollment

NOW = datetime(2026, 11, 29, 12, 0, 10, tzinfo=UTC)
SECRET = pyotp.random_base32(64)
SERIAL = "arn:aws:iam::123456789012:mfa/alice-0badcafe"
TOKEN = sealing.new_token()


@pytest.fixture
def stubbed(aws_account: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Enrollment, Stubber]]:
    """An enrollment of alice with a pending device, and a service whose IAM client is stubbed."""
    monkeypatch.setattr(aws_errors.time, "sleep", lambda _: None)
    store = wiring.store()
    store.transact(
        [
            store.new_user_put(
                UserRecord(
                    "alice",
                    "arn:aws:iam::123456789012:user/onboarding/alice",
                    "2026-11-29T00:00:00Z",
                    "credentials_viewed",
                    enrollment_id=sealing.token_id(TOKEN),
                )
            ),
            store.link_put(
                LinkRecord(
                    link_id=sealing.token_id(TOKEN),
                    kind=LinkKind.ENROLLMENT,
                    user_name="alice",
                    expires_at=int((NOW + timedelta(hours=24)).timestamp()),
                    sealed=sealing.seal(TOKEN, SECRET),
                    pending_serial=SERIAL,
                )
            ),
        ]
    )
    iam = boto3.client("iam", region_name="us-east-1")
    with Stubber(iam) as stubber:
        yield Enrollment(iam, store, settings(), clock=lambda: NOW), stubber
        stubber.assert_no_pending_responses()


def right_codes() -> tuple[str, str]:
    totp = pyotp.TOTP(SECRET)
    return totp.at(NOW - timedelta(seconds=30)), totp.at(NOW)


def expect_enable(stubber: Stubber, error: str | None = None, status: int = 400) -> None:
    code1, code2 = right_codes()
    params = {
        "UserName": "alice",
        "SerialNumber": SERIAL,
        "AuthenticationCode1": code1,
        "AuthenticationCode2": code2,
    }
    if error:
        stubber.add_client_error("enable_mfa_device", error, http_status_code=status, expected_params=params)
    else:
        stubber.add_response("enable_mfa_device", {}, params)


def test_codes_iam_rejects_count_as_a_failed_try(stubbed: tuple[Enrollment, Stubber]) -> None:
    service, stubber = stubbed
    expect_enable(stubber, "InvalidAuthenticationCode", 403)

    with pytest.raises(InvalidMfaCodes, match="4 tries left") as refused:
        service.verify(TOKEN, *right_codes())

    assert refused.value.details == {"tries_left": 4}
    assert wiring.store().get_link(sealing.token_id(TOKEN)).attempts == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("aws_code", "error"),
    [("EntityAlreadyExists", MfaAlreadyEnabled), ("LimitExceeded", MfaDeviceLimit)],
)
def test_iam_conflicts_become_clear_conflicts(
    stubbed: tuple[Enrollment, Stubber], aws_code: str, error: type[Exception]
) -> None:
    service, stubber = stubbed
    expect_enable(stubber, aws_code, 409)
    if aws_code == "EntityAlreadyExists":  # is it our own enable, retried? Not here: another device
        stubber.add_response("list_mfa_devices", {"MFADevices": []}, {"UserName": "alice"})

    with pytest.raises(error):
        service.verify(TOKEN, *right_codes())


def test_an_enable_that_took_effect_before_its_retry_failed_counts_as_enabled(
    stubbed: tuple[Enrollment, Stubber],
) -> None:
    service, stubber = stubbed
    expect_enable(stubber, "EntityAlreadyExists", 409)
    device = {"UserName": "alice", "SerialNumber": SERIAL, "EnableDate": "2026-11-29T12:00:00Z"}
    stubber.add_response("list_mfa_devices", {"MFADevices": [device]}, {"UserName": "alice"})

    verified = service.verify(TOKEN, *right_codes())

    assert (verified.mfa_enabled, verified.serial_number) == (True, SERIAL)
    assert wiring.store().get_user("alice").state == "mfa_enrolled"  # type: ignore[union-attr]


def test_a_device_iam_is_still_settling_is_enabled_on_retry(stubbed: tuple[Enrollment, Stubber]) -> None:
    service, stubber = stubbed
    expect_enable(stubber, "EntityTemporarilyUnmodifiable", 409)
    expect_enable(stubber)

    verified = service.verify(TOKEN, *right_codes())

    assert (verified.mfa_enabled, verified.serial_number) == (True, SERIAL)
    assert wiring.store().get_link(sealing.token_id(TOKEN)) is None
    assert wiring.store().get_user("alice").state == "mfa_enrolled"  # type: ignore[union-attr]


def test_iam_settling_past_every_retry_is_a_try_again_later(stubbed: tuple[Enrollment, Stubber]) -> None:
    service, stubber = stubbed
    for _ in range(4):
        expect_enable(stubber, "EntityTemporarilyUnmodifiable", 409)

    with pytest.raises(AwsUnavailable, match="try the next two codes"):
        service.verify(TOKEN, *right_codes())

    assert wiring.store().get_link(sealing.token_id(TOKEN)).attempts == 0  # type: ignore[union-attr]
