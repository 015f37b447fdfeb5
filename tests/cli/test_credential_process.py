"""`iam-onboarding credential-process`: the AWS contract, the prompt on the terminal, the cache (SPEC §14).

Each run is a real child process against moto's server, started the way botocore starts a
`credential_process`: stdout and stderr piped, a pty as the terminal.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.terminal import SCRIPT, Account, age, emulated_account, run_in_terminal, without_terminal

PROCESS = [str(SCRIPT), "credential-process", "--profile", "dev"]
# botocore's own ProcessProvider, through a boto3 session of profile `dev`, in a child process.
SDK = (
    "import json, boto3\n"
    "session = boto3.Session(profile_name='dev')\n"
    "frozen = session.get_credentials().get_frozen_credentials()\n"
    "identity = session.client('sts').get_caller_identity()\n"
    "print(json.dumps({'method': session.get_credentials().method, 'key': frozen.access_key,\n"
    "                  'token': frozen.token, 'account': identity['Account']}))\n"
)


@pytest.fixture
def account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    """Ada's account in the emulator and her AWS files in SPEC §14's layout."""
    with emulated_account(tmp_path, monkeypatch) as ada:
        ada.write_profiles()
        yield ada


def test_botocores_process_provider_gets_the_mfa_session_with_the_code_typed_on_the_terminal(
    account: Account,
) -> None:
    code = account.totp.now()

    sdk = run_in_terminal([sys.executable, "-c", SDK], account.env(), typed=code)

    assert sdk.code == 0, sdk.stderr
    assert f"MFA code for {account.serial} (profile dev): " in sdk.terminal
    used = json.loads(sdk.stdout)
    [device_file] = account.cache().glob("terminal-*.json")
    session = json.loads(device_file.read_text())
    assert used["method"] == "custom-process"
    assert (used["key"], used["token"]) == (session["AccessKeyId"], session["SessionToken"])
    assert used["account"] == "123456789012"
    assert account.sessions == [{"SerialNumber": account.serial, "TokenCode": code, "DurationSeconds": 28800}]


def test_the_prompt_is_on_the_terminal_and_stderr_stays_empty(account: Account) -> None:
    run = run_in_terminal(PROCESS, account.env(), typed=account.totp.now())

    assert run.code == 0
    assert run.stderr == ""
    assert run.terminal.startswith(f"MFA code for {account.serial} (profile dev): ")


def test_stdout_is_the_credential_process_contract_exactly(account: Account) -> None:
    run = run_in_terminal(PROCESS, account.env(), typed=account.totp.now())

    answer = json.loads(run.stdout)
    assert list(answer) == ["Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"]
    assert answer["Version"] == 1
    assert answer["Expiration"].endswith("Z")
    left = datetime.fromisoformat(answer["Expiration"]) - datetime.now(UTC)
    assert timedelta(hours=7, minutes=58) < left <= timedelta(hours=8)  # the default: 8 h


def test_a_second_call_within_the_lifetime_makes_no_sts_call_and_needs_no_terminal(account: Account) -> None:
    first = run_in_terminal(PROCESS, account.env(), typed=account.totp.now())

    second = without_terminal(PROCESS, account.env())

    assert (second.code, second.stdout, second.stderr) == (0, first.stdout, "")
    assert len(account.sessions) == 1


def test_an_edited_aws_config_still_reuses_the_devices_session_without_asking(account: Account) -> None:
    first = run_in_terminal(PROCESS, account.env(), typed=account.totp.now())
    with (account.home / "config").open("a") as config:
        config.write("\n[profile other]\nregion = us-east-1\n")

    second = without_terminal(PROCESS, account.env())

    assert (second.code, second.stdout) == (0, first.stdout)
    assert len(account.sessions) == 1


def test_an_expired_session_asks_for_a_code_again(account: Account) -> None:
    run_in_terminal(PROCESS, account.env(), typed=account.totp.now())
    age(account, seconds_left=-60)

    again = run_in_terminal(PROCESS, account.env(), typed=account.totp.now())

    assert again.code == 0
    assert "MFA code for" in again.terminal
    assert len(account.sessions) == 2


def test_a_session_with_less_than_15_minutes_left_is_not_served(account: Account) -> None:
    # botocore refreshes credentials with less than 15 minutes left: it would call again at once.
    run_in_terminal(PROCESS, account.env(), typed=account.totp.now())
    age(account, seconds_left=14 * 60)

    again = without_terminal(PROCESS, account.env())

    assert again.code == 1
    assert len(account.sessions) == 1


def test_without_a_terminal_a_missing_session_is_exit_1_with_one_line_on_stderr(account: Account) -> None:
    run = without_terminal(PROCESS, account.env())

    assert (run.code, run.stdout) == (1, "")
    assert run.stderr.count("\n") == 1
    assert "No terminal to ask for the MFA code on" in run.stderr
    assert account.sessions == []


def test_a_malformed_code_is_refused_before_asking_aws(account: Account) -> None:
    run = run_in_terminal(PROCESS, account.env(), typed="12345")

    assert run.code == 1
    assert run.stderr == "iam-onboarding: An MFA code is the 6 digits your authenticator app shows.\n"
    assert account.sessions == []


def test_the_sessions_are_0600_files_in_a_0700_directory(account: Account) -> None:
    run_in_terminal(PROCESS, account.env(), typed=account.totp.now())

    files = list(account.cache().iterdir())
    assert sorted(p.suffix for p in files) == [".answer", ".json"]  # the device's session, the ready answer
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    assert stat.S_IMODE(account.cache().stat().st_mode) == 0o700


def test_a_cached_answer_others_may_read_is_not_served(account: Account) -> None:
    run_in_terminal(PROCESS, account.env(), typed=account.totp.now())
    for path in account.cache().iterdir():
        path.chmod(0o644)

    again = without_terminal(PROCESS, account.env())

    assert again.code == 1
    assert "No terminal" in again.stderr


def test_the_cached_path_imports_neither_boto3_nor_botocore(account: Account) -> None:
    run_in_terminal(PROCESS, account.env(), typed=account.totp.now())
    probe = (
        "import sys\n"
        "sys.argv = ['iam-onboarding', 'credential-process', '--profile', 'dev']\n"
        "from iam_onboarding_cli.entry import run\n"
        "run()\n"
        "heavy = ('boto3', 'botocore', 'configparser', 'json')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "print(loaded, file=sys.stderr)\n"
    )

    run = subprocess.run(  # noqa: S603 - this interpreter
        [sys.executable, "-c", probe], env=account.env(), capture_output=True, text=True, check=True
    )

    assert json.loads(run.stdout)["Version"] == 1
    assert run.stderr == "[]\n"


def test_duration_asks_aws_for_that_long(account: Account) -> None:
    run_in_terminal([*PROCESS, "--duration", "129600"], account.env(), typed=account.totp.now())

    assert [s["DurationSeconds"] for s in account.sessions] == [129600]


def test_a_duration_over_36_hours_is_a_usage_error(account: Account) -> None:
    run = without_terminal([*PROCESS, "--duration", "129601"], account.env())

    assert run.code == 2
    assert "900-129600 seconds" in run.stderr
