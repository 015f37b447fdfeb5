"""Long-term keys become an MFA session once (GetSessionToken), cached 0600 until it expires.

The admin is an IAM user of an emulated account (moto), signing with a named profile; the API is a
recording endpoint, so each test also sees which credentials signed. Moto's GetSessionToken accepts any
code; the refusal AWS gives a wrong one comes from botocore's Stubber.
"""

from __future__ import annotations

import json
import logging
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pyotp
import pytest
from botocore.credentials import ReadOnlyCredentials
from botocore.stub import Stubber
from moto import mock_aws

from iam_onboarding_cli.errors import CredentialsError
from iam_onboarding_cli.mfa import MfaSessions
from tests.support.cli import Recorder, authorization, run_cli, signature_verifies


@dataclass(frozen=True)
class Admin:
    """The admin's IAM user, long-term key and MFA device, and where the CLI caches sessions."""

    user_name: str
    access_key_id: str
    secret_access_key: str
    serial: str
    cache: Path
    code: str  # the line an admin types: the device's current code (moto takes any; AWS takes this one)

    def cached(self) -> list[Path]:
        """The session files in the cache."""
        return sorted(self.cache.glob("session-*.json"))


@pytest.fixture
def admin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Admin]:
    """`--profile ops`: an IAM user's long-term key, with one enabled virtual MFA device."""
    for name in (
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "IAM_ONBOARDING_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_user(UserName="ada")
        key = iam.create_access_key(UserName="ada")["AccessKey"]
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName="ada")["VirtualMFADevice"]
        serial, totp = device["SerialNumber"], pyotp.TOTP(device["Base32StringSeed"].decode())
        step = totp.timecode(datetime.now(UTC))
        iam.enable_mfa_device(
            UserName="ada",
            SerialNumber=serial,
            AuthenticationCode1=totp.generate_otp(step - 1),
            AuthenticationCode2=totp.generate_otp(step),
        )
        credentials = tmp_path / "credentials"
        credentials.write_text(
            f"[ops]\naws_access_key_id = {key['AccessKeyId']}\n"
            f"aws_secret_access_key = {key['SecretAccessKey']}\n"
        )
        config = tmp_path / "config"
        config.write_text("[profile ops]\nregion = eu-west-1\n")
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
        monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
        yield Admin(
            user_name="ada",
            access_key_id=key["AccessKeyId"],
            secret_access_key=key["SecretAccessKey"],
            serial=serial,
            cache=tmp_path / "cache" / "iam-onboarding",
            code=totp.now() + "\n",
        )


def users_list(recorder: Recorder, *options: str, answers: str = "", **kwargs: object) -> tuple[int, str]:
    """`iam-onboarding --profile ops users list` against the recorder: exit code and stderr."""
    result = run_cli(
        "--profile", "ops", "--endpoint", recorder.base, *options, "users", "list", answers=answers, **kwargs
    )
    return result.code, result.stderr


def test_long_term_keys_ask_for_one_code_and_sign_with_the_mfa_session(
    admin: Admin, recorder: Recorder
) -> None:
    code, stderr = users_list(recorder, answers=admin.code)

    assert code == 0, stderr
    assert stderr == f"MFA code for {admin.serial}: "  # the device found with iam:ListMFADevices
    [received] = recorder.received
    [path] = admin.cached()
    session = json.loads(path.read_text())
    assert authorization(received)["key"] == session["AccessKeyId"] != admin.access_key_id
    assert received.headers["x-amz-security-token"] == session["SessionToken"]
    assert authorization(received)["region"] == "eu-west-1"  # the profile's: a 127.0.0.1 host names none
    credentials = ReadOnlyCredentials(
        session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"]
    )
    assert signature_verifies(received, credentials)


def test_the_session_is_cached_in_a_0600_file_under_the_xdg_cache_dir(
    admin: Admin, recorder: Recorder
) -> None:
    users_list(recorder, answers=admin.code)

    [path] = admin.cached()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(admin.cache.stat().st_mode) == 0o700
    assert json.loads(path.read_text())["SerialNumber"] == admin.serial
    assert [p.name for p in admin.cache.iterdir()] == [path.name]  # no temporary file left behind


def test_a_second_command_reuses_the_cached_session_without_asking(admin: Admin, recorder: Recorder) -> None:
    users_list(recorder, answers=admin.code)

    code, stderr = users_list(recorder)  # nothing to type: asking would fail

    assert (code, stderr) == (0, "")
    first, second = recorder.received
    assert authorization(second)["key"] == authorization(first)["key"]
    assert second.headers["x-amz-security-token"] == first.headers["x-amz-security-token"]


def test_the_default_session_lasts_one_hour_the_apis_limit_on_mfa_age(
    admin: Admin, recorder: Recorder
) -> None:
    users_list(recorder, answers=admin.code)

    [path] = admin.cached()
    left = datetime.fromisoformat(json.loads(path.read_text())["Expiration"]) - datetime.now(UTC)
    assert timedelta(minutes=58) < left <= timedelta(hours=1)


def test_duration_asks_for_a_shorter_session(admin: Admin, recorder: Recorder) -> None:
    users_list(recorder, "--duration", "900", answers=admin.code)

    [path] = admin.cached()
    left = datetime.fromisoformat(json.loads(path.read_text())["Expiration"]) - datetime.now(UTC)
    assert timedelta(minutes=13) < left <= timedelta(minutes=15)


def test_an_expired_session_asks_for_a_code_again(admin: Admin, recorder: Recorder) -> None:
    users_list(recorder, answers=admin.code)
    two_hours_later = datetime.now(UTC) + timedelta(hours=2)

    code, stderr = users_list(recorder, answers=admin.code, now=lambda: two_hours_later)

    assert (code, stderr) == (0, f"MFA code for {admin.serial}: ")


def test_a_session_about_to_expire_is_not_reused(admin: Admin, recorder: Recorder) -> None:
    users_list(recorder, answers=admin.code)
    in_59_minutes_30 = datetime.now(UTC) + timedelta(minutes=59, seconds=30)

    code, stderr = users_list(recorder, now=lambda: in_59_minutes_30)

    assert code == 1
    assert "An MFA code is needed and there is no terminal to ask on" in stderr


def test_a_cache_file_others_may_read_is_not_used_and_is_replaced(admin: Admin, recorder: Recorder) -> None:
    users_list(recorder, answers=admin.code)
    [path] = admin.cached()
    path.chmod(0o644)

    code, stderr = users_list(recorder, answers=admin.code)

    assert (code, stderr) == (0, f"MFA code for {admin.serial}: ")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_mfa_serial_names_the_device_without_looking_it_up(admin: Admin, recorder: Recorder) -> None:
    other = "arn:aws:iam::123456789012:mfa/ada-hardware"

    code, stderr = users_list(recorder, "--mfa-serial", other, answers=admin.code)

    assert (code, stderr) == (0, f"MFA code for {other}: ")


def test_a_user_without_an_mfa_device_is_told_to_enroll_one(admin: Admin, recorder: Recorder) -> None:
    boto3.client("iam", region_name="us-east-1").deactivate_mfa_device(
        UserName="ada", SerialNumber=admin.serial
    )

    code, stderr = users_list(recorder, answers=admin.code)

    assert (code, stderr) == (1, "iam-onboarding: ada has no MFA device: enroll one, then try again.\n")
    assert recorder.received == []


def test_a_malformed_code_is_refused_before_asking_aws(admin: Admin, recorder: Recorder) -> None:
    code, stderr = users_list(recorder, answers="12ab56\n")

    assert code == 1
    assert "6 digits" in stderr
    assert admin.cached() == []


def test_no_code_and_no_terminal_is_exit_1_saying_why(admin: Admin, recorder: Recorder) -> None:
    code, stderr = users_list(recorder)

    assert code == 1
    assert "there is no terminal to ask on" in stderr
    assert (recorder.received, admin.cached()) == ([], [])


def test_a_code_aws_refuses_is_exit_1_with_awss_reason(admin: Admin, monkeypatch: pytest.MonkeyPatch) -> None:
    session = boto3.Session(profile_name="ops")
    sts = session.client("sts")
    stubber = Stubber(sts)
    stubber.add_client_error(
        "get_session_token",
        service_error_code="AccessDenied",
        service_message="MultiFactorAuthentication failed with invalid MFA one time pass code.",
        http_status_code=403,
        expected_params={"DurationSeconds": 3600, "SerialNumber": admin.serial, "TokenCode": "654321"},
    )
    monkeypatch.setattr(session, "client", lambda name, **_: sts)
    sessions = MfaSessions(ask_code=lambda serial: "654321", mfa_serial=admin.serial, cache=admin.cache)

    with stubber, pytest.raises(CredentialsError, match="invalid MFA one time pass code") as refused:
        sessions.signing_credentials(session)

    assert refused.value.exit_code == 1
    assert admin.cached() == []


def test_an_unknown_profile_is_exit_1_naming_it(admin: Admin, recorder: Recorder) -> None:
    result = run_cli("--profile", "nope", "--endpoint", recorder.base, "users", "list")

    assert result.code == 1
    assert "nope" in result.stderr


def test_neither_key_nor_session_secret_reaches_a_log(
    admin: Admin, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    botocore = logging.getLogger("botocore")
    previous = botocore.level
    # As in a process that never imported the app (whose chalicelib.aws raises botocore's level itself).
    botocore.setLevel(logging.NOTSET)
    try:
        code, _ = users_list(recorder, answers=admin.code)
    finally:
        botocore.setLevel(previous)

    assert code == 0
    [path] = admin.cached()
    session = json.loads(path.read_text())
    secrets = [admin.secret_access_key, session["SecretAccessKey"], session["SessionToken"]]
    assert [s for s in secrets if s in caplog.text] == []
