"""`iam-onboarding doctor`: each check says what it found and how to fix it; exit 0 only with MFA proved.

Real parts throughout: botocore resolves the profiles from real AWS files (its `ProcessProvider` runs the
real `credential-process` for the end-to-end cases, against moto's server), the API's answers come over
HTTP from a local endpoint that records each request, so the signature can be checked with botocore's own
signer. Only the `aws` executable is a stand-in: a script on PATH that prints a version line.
"""

from __future__ import annotations

import json
import stat
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.credentials import ReadOnlyCredentials

from iam_onboarding_cli import doctor
from iam_onboarding_cli.api import Api, SigV4Signing
from iam_onboarding_cli.errors import ApiError
from tests.support.cli import Recorder, recording_endpoint, run_cli, signature_verifies
from tests.support.terminal import SCRIPT, Account, emulated_account, run_in_terminal

REPORT = {
    "arn": "arn:aws:iam::123456789012:user/onboarding/ada",
    "user_name": "ada",
    "account_id": "123456789012",
    "credential_type": "temporary",
    "mfa_devices": [],
    "multi_factor_auth_present": None,
    "reason": "…",
}
REFUSED = (403, {"error": {"code": "mfa_required", "message": "This route needs an MFA session."}})


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Empty AWS files of a person's own, and no AWS settings from the machine running the tests."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "IAM_ONBOARDING_URL", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


def aws_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version_line: str | None) -> None:
    """PATH holds only an `aws` that prints `version_line` (None: no `aws` at all)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if version_line is not None:
        aws = bin_dir / "aws"
        aws.write_text(f"#!/bin/sh\necho '{version_line}'\n")
        aws.chmod(aws.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(bin_dir))


@pytest.fixture
def api() -> Iterator[Recorder]:
    """The API as doctor meets it: /session answers the report, /session/mfa proves MFA."""
    with recording_endpoint() as endpoint:
        endpoint.answers = {
            "/session": (200, REPORT),
            "/session/mfa": (200, {"multi_factor_auth_present": True}),
        }
        yield endpoint


# --- AWS CLI version ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "ok", "what"),
    [
        ("aws-cli/2.32.0 Python/3.13.7 Linux/6.1 exe/x86_64.debian.12", True, "AWS CLI 2.32.0"),
        ("aws-cli/2.34.1 Python/3.13.7 Darwin/24.0 source/arm64", True, "AWS CLI 2.34.1"),
        (
            "aws-cli/2.31.39 Python/3.13.7 Linux/6.1 exe/x86_64",
            False,
            "AWS CLI 2.31.39: `aws login` needs 2.32.0",
        ),
        (
            "aws-cli/1.40.2 Python/3.9.2 Linux/5.10 botocore/1.38.3",
            False,
            "AWS CLI 1.40.2: `aws login` needs",
        ),
        ("command not found", False, "--version names no version"),
    ],
)
def test_the_aws_cli_version_passes_from_2_32_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, ok: bool, what: str
) -> None:
    aws_on_path(tmp_path, monkeypatch, line)

    check = doctor.aws_cli_version()

    assert check.ok is ok
    assert what in check.what
    assert ("2.32 or newer" in check.fix) is (not ok)
    assert ("fix:" in check.line()) is (not ok)


def test_no_aws_cli_at_all_is_only_a_note_since_the_sdks_do_not_need_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws_on_path(tmp_path, monkeypatch, None)

    check = doctor.aws_cli_version()

    assert (check.ok, check.what) == (None, "AWS CLI not found (SDKs alone do not need it)")
    assert check.line().startswith("note  ")


# --- which credential source wins ----------------------------------------------------------------------


def test_keys_under_a_login_profile_silently_win_and_the_fix_says_to_rename_them(files: Path) -> None:
    (files / "config").write_text("[profile acme]\nlogin_session = arn:aws:iam::123456789012:user/ada\n")
    (files / "credentials").write_text("[acme]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n")

    [check] = doctor.shadowing_keys("acme")

    assert check.ok is False
    assert check.what == f"{files / 'credentials'} has keys under [acme]: they win over its login_session"
    assert check.fix == "rename that section to [acme-long-term] or delete it"


def test_keys_under_a_credential_process_profile_shadow_it_too(files: Path) -> None:
    (files / "config").write_text("[profile acme]\ncredential_process = iam-onboarding credential-process\n")
    (files / "credentials").write_text("[acme]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n")

    [check] = doctor.shadowing_keys("acme")

    assert (check.ok, check.what.endswith("win over its credential_process")) == (False, True)


def test_a_login_profile_with_its_key_under_the_long_term_name_has_nothing_shadowing_it(files: Path) -> None:
    (files / "config").write_text("[profile acme]\nlogin_session = arn:aws:iam::123456789012:user/ada\n")
    (files / "credentials").write_text("[acme-long-term]\naws_access_key_id = AKIAEXAMPLE\n")

    assert doctor.shadowing_keys("acme") == []


def test_a_key_in_the_environment_is_noted_because_it_wins_without_profile(
    files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")

    [check] = doctor.shadowing_keys("acme")

    assert check.ok is None
    assert check.fix == "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN"


def test_a_long_term_key_never_carries_mfa_and_the_fix_names_both_ways(files: Path) -> None:
    (files / "credentials").write_text("[acme]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n")

    check, frozen = doctor.credential_source(boto3.Session(profile_name="acme"), "acme")

    assert check.ok is False
    assert (
        check.what
        == "profile acme uses a long-term access key (shared-credentials-file): it never carries MFA"
    )
    assert check.fix == "`aws login --profile acme`, or `iam-onboarding configure --profile acme`"
    assert frozen.access_key == "AKIAEXAMPLE"


def test_a_session_kept_in_the_credentials_file_counts_as_temporary(files: Path) -> None:
    # aws-mfa's layout: the MFA session written under the profile's own name, with its token.
    (files / "credentials").write_text(
        "[acme]\naws_access_key_id = ASIAEXAMPLE\naws_secret_access_key = s\naws_session_token = t\n"
    )

    check, frozen = doctor.credential_source(boto3.Session(profile_name="acme"), "acme")

    assert check.ok is True
    assert check.what == "profile acme gets temporary credentials from shared-credentials-file"
    assert frozen.token == "t"


def test_a_credential_process_profile_gets_temporary_credentials_from_botocores_process_provider(
    files: Path,
) -> None:
    answer = {"Version": 1, "AccessKeyId": "ASIAPROC", "SecretAccessKey": "s", "SessionToken": "t"}
    helper = files / "helper.py"
    helper.write_text(f"print({json.dumps(answer)!r})\n")
    (files / "config").write_text(f"[profile acme]\ncredential_process = {sys.executable} {helper}\n")

    check, frozen = doctor.credential_source(boto3.Session(profile_name="acme"), "acme")

    assert (check.ok, check.what) == (True, "profile acme gets temporary credentials from custom-process")
    assert frozen.access_key == "ASIAPROC"


def test_a_profile_whose_credentials_cannot_be_had_fails_with_the_set_up_commands(files: Path) -> None:
    (files / "config").write_text("[profile acme]\ncredential_process = /nonexistent/credential-helper\n")

    check, frozen = doctor.credential_source(boto3.Session(profile_name="acme"), "acme")

    assert (check.ok, frozen) == (False, None)
    assert check.what.startswith("no credentials for profile acme: ")
    assert "iam-onboarding configure --profile acme" in check.fix


# --- region -----------------------------------------------------------------------------------------------


def test_a_region_in_the_profile_passes(files: Path) -> None:
    (files / "config").write_text("[profile acme]\nregion = ap-northeast-1\n")

    assert doctor.region(boto3.Session(profile_name="acme"), "acme") == doctor.Check(
        True, "region ap-northeast-1"
    )


def test_no_region_fails_with_the_command_that_sets_it(files: Path) -> None:
    (files / "config").write_text("[profile acme]\noutput = json\n")

    check = doctor.region(boto3.Session(profile_name="acme"), "acme")

    assert (check.ok, check.fix) == (False, "aws configure set region eu-west-1 --profile acme")


# --- clock skew -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("skew", "ok"), [(0, True), (25, True), (-25, True), (45, False), (-45, False), (400, False)]
)
def test_a_clock_more_than_one_totp_step_off_the_apis_date_fails(api: Recorder, skew: int, ok: bool) -> None:
    check = doctor.clock_skew(api.base, now=lambda: datetime.now(UTC) + timedelta(seconds=skew))

    assert check.ok is ok
    # The Date header has whole seconds: the skew measured is `skew` or one more.
    assert f"clock {skew:+d} s" in check.what or f"clock {skew + 1:+d} s" in check.what
    assert ("timedatectl set-ntp true" in check.fix) is (not ok)
    assert [r.headers.get("authorization") for r in api.received] == [None]  # only the Date matters


def test_an_api_that_cannot_be_reached_fails_the_clock_check_with_its_address() -> None:
    with recording_endpoint() as gone:
        base = gone.base

    check = doctor.clock_skew(base)

    assert check.ok is False
    assert check.what.startswith(f"cannot reach {base}")


# --- MFA, over the API's own report ----------------------------------------------------------------------

SESSION = ReadOnlyCredentials("ASIADOCTOR0000000001", "doctor-secret", "doctor-token")


def signed_api(base: str) -> Api:
    return Api(base, SigV4Signing(SESSION, "us-east-1"))


def test_an_mfa_session_reaches_session_mfa_and_both_requests_are_signed(api: Recorder) -> None:
    report = doctor.session_checks(signed_api(api.base))

    assert report.mfa is True
    assert report.arn == REPORT["arn"]
    assert [c.line() for c in report.checks] == [
        f"ok    the API sees {REPORT['arn']} (temporary credentials)",
        "ok    GET /session/mfa: this session has MFA",
    ]
    assert [r.path for r in api.received] == ["/session", "/session/mfa"]
    assert all(signature_verifies(r, SESSION) for r in api.received)


def test_a_session_without_mfa_is_refused_at_session_mfa_and_the_fix_names_the_key_path(
    api: Recorder,
) -> None:
    api.answers["/session/mfa"] = REFUSED

    report = doctor.session_checks(signed_api(api.base))

    assert report.mfa is False
    assert report.checks[-1] == doctor.Check(
        False,
        "GET /session/mfa refused: this session has no MFA",
        "with `aws login`, MFA may not reach the CLI: use the key path, `iam-onboarding configure`",
    )


def test_another_error_at_session_mfa_is_not_mistaken_for_a_missing_mfa(api: Recorder) -> None:
    api.answers["/session/mfa"] = (502, {"error": {"code": "aws_error", "message": "AWS failed."}})

    with pytest.raises(ApiError) as error:
        doctor.session_checks(signed_api(api.base))

    assert error.value.status == 502


def test_a_refused_session_report_fails_before_asking_for_mfa(api: Recorder) -> None:
    api.answers["/session"] = (403, {"error": {"code": "foreign_account", "message": "Not this account."}})

    report = doctor.session_checks(signed_api(api.base))

    assert report.mfa is False
    [check] = report.checks
    assert check.ok is False and check.what.startswith("GET /session: ")
    assert [r.path for r in api.received] == ["/session"]


# --- the whole command, and its exit code -------------------------------------------------------------------


@pytest.fixture
def ada(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    """Ada's account in the emulator, her profiles in SPEC §14's layout, an MFA session already cached."""
    with emulated_account(tmp_path, monkeypatch) as account:
        account.write_profiles()
        first = run_in_terminal(
            [str(SCRIPT), "credential-process", "--profile", "dev"], account.env(), typed=account.totp.now()
        )
        assert first.code == 0, first.stderr
        for name, value in account.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("IAM_ONBOARDING_URL", raising=False)
        aws_on_path(tmp_path, monkeypatch, "aws-cli/2.32.3 Python/3.13.7 Linux/6.1 exe/x86_64")
        # The cached path of credential-process runs with this interpreter, found by its full path.
        monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{Path(sys.executable).parent}")
        yield account


def cached_session(account: Account) -> ReadOnlyCredentials:
    [cached] = account.cache().glob("terminal-*.json")
    session = json.loads(cached.read_text())
    return ReadOnlyCredentials(session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])


def test_doctor_exits_0_when_every_check_passes_and_a_signed_get_session_mfa_succeeds(
    ada: Account, api: Recorder
) -> None:
    run = run_cli("doctor", "--profile", "dev", "--endpoint", api.base)

    assert run.code == 0, run.stdout
    assert run.stdout.splitlines()[-1] == "Your terminal works, with MFA."
    assert "FAIL" not in run.stdout
    assert "ok    profile dev gets temporary credentials from custom-process" in run.stdout
    assert "ok    1 active access key" in run.stdout  # asked of IAM with the MFA session
    [proof] = [r for r in api.received if r.path == "/session/mfa"]
    assert signature_verifies(proof, cached_session(ada))


def test_doctor_exits_1_when_get_session_mfa_is_refused_and_prints_the_fix(
    ada: Account, api: Recorder
) -> None:
    api.answers["/session/mfa"] = REFUSED

    run = run_cli("doctor", "--profile", "dev", "--endpoint", api.base)

    assert run.code == 1
    assert "FAIL  GET /session/mfa refused: this session has no MFA" in run.stdout
    assert "      fix: with `aws login`, MFA may not reach the CLI" in run.stdout
    assert "Your terminal works" not in run.stdout


def test_doctor_exits_1_when_mfa_is_proved_but_another_check_fails(
    ada: Account, api: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws_on_path(tmp_path, monkeypatch, "aws-cli/2.31.0 Python/3.13.7 Linux/6.1 exe/x86_64")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{Path(sys.executable).parent}")

    run = run_cli("doctor", "--profile", "dev", "--endpoint", api.base)

    assert run.code == 1
    assert "ok    GET /session/mfa: this session has MFA" in run.stdout
    assert "FAIL  AWS CLI 2.31.0: `aws login` needs 2.32.0 or newer" in run.stdout


def test_doctor_without_the_apis_address_exits_1_and_says_how_to_name_it(ada: Account) -> None:
    run = run_cli("doctor", "--profile", "dev")

    assert run.code == 1
    assert "FAIL  the API is not named" in run.stdout
    assert "fix: export IAM_ONBOARDING_URL=<the base URL of your onboarding page>" in run.stdout


def test_doctor_with_a_profile_that_does_not_exist_exits_1(files: Path, api: Recorder) -> None:
    run = run_cli("doctor", "--profile", "nobody", "--endpoint", api.base)

    assert run.code == 1
    assert "FAIL  no profile nobody" in run.stdout
    assert api.received == []


def test_doctor_with_a_long_term_key_exits_1_and_says_it_never_carries_mfa(
    files: Path, api: Recorder
) -> None:
    (files / "credentials").write_text("[acme]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n")
    (files / "config").write_text("[profile acme]\nregion = eu-west-1\n")
    api.answers["/session/mfa"] = REFUSED  # what API Gateway's resource policy answers a long-term key

    run = run_cli("doctor", "--profile", "acme", "--endpoint", api.base)

    assert run.code == 1
    assert "FAIL  profile acme uses a long-term access key (shared-credentials-file)" in run.stdout
    assert "FAIL  GET /session/mfa refused: this session has no MFA" in run.stdout
