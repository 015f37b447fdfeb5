"""The CLI against `make run`'s stack (moto server, bootstrap, dev gateway) over real sockets."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

import pyotp
import pytest

from local.run import free_port
from local.stack import local_stack
from tests.support.api import over_http
from tests.support.cli import cli, run_cli


@pytest.fixture(scope="module")
def stack() -> Iterator[str]:
    """`python -m local.run` on a free port, for this module."""
    with local_stack() as running:
        yield running.base


def local(stack: str, *args: str) -> list[str]:
    """The CLI's arguments for `make run` at `stack`."""
    return ["--local", "--endpoint", stack, *args]


def test_a_user_created_with_the_cli_claims_enrolls_mfa_and_is_offboarded_with_it(stack: str) -> None:
    created = cli(*local(stack, "users", "create", "carol", "--group", "developer", "--json"))
    assert created.returncode == 0, created.stderr
    token = json.loads(created.stdout)["bundle"]["url"].split("#", 1)[1]

    claimed = over_http(stack, "POST", "/onboarding/credentials", {"token": token})
    assert claimed.status == 200, claimed.body
    enrollment = claimed.body["enrollment"]["token"]
    started = over_http(stack, "POST", "/onboarding/mfa", {"token": enrollment})
    assert started.status == 200, started.body
    totp = pyotp.TOTP(started.body["secret"])
    step = totp.timecode(time.time())
    codes = {"code1": totp.generate_otp(step - 1), "code2": totp.generate_otp(step)}
    verified = over_http(stack, "POST", "/onboarding/mfa/verify", {"token": enrollment, **codes})
    assert verified.status == 200, verified.body

    shown = cli(*local(stack, "users", "show", "carol"))
    assert shown.returncode == 0, shown.stderr
    assert "mfa_enrolled" in shown.stdout
    assert started.body["serial_number"] in shown.stdout
    listed = cli(*local(stack, "users", "list"))
    assert [line.split()[:3] for line in listed.stdout.splitlines() if line.startswith("carol")] == [
        ["carol", "developer", "mfa_enrolled"]
    ]

    offboarded = cli(*local(stack, "users", "offboard", "carol", "--yes", "--json"))
    assert offboarded.returncode == 0, offboarded.stderr
    removed = json.loads(offboarded.stdout)["removed"]
    assert (removed["user"], removed["mfa_devices"], removed["groups"]) == (
        "carol",
        [started.body["serial_number"]],
        ["developer"],
    )
    gone = cli(*local(stack, "users", "show", "carol"))
    assert (gone.returncode, "user_not_found" in gone.stderr) == (1, True)


def test_create_prints_the_one_time_link_to_stdout_as_a_readable_answer(stack: str) -> None:
    created = cli(*local(stack, "users", "create", "dan", "--group", "developer"))

    assert created.returncode == 0, created.stderr
    link = next(word for word in created.stdout.split() if word.startswith(stack + "/onboard#"))
    assert len(link.split("#", 1)[1]) >= 43
    assert "Created dan in developer" in created.stdout
    assert created.stderr == ""


def test_an_unknown_user_exits_1_with_the_apis_error_code_and_message(stack: str) -> None:
    result = cli(*local(stack, "users", "show", "nobody"))

    assert result.returncode == 1
    assert result.stderr.startswith("iam-onboarding: user_not_found: ")
    assert "(HTTP 404)" in result.stderr
    assert result.stdout == ""


def test_a_caller_outside_the_admin_groups_is_refused_with_exit_1(stack: str) -> None:
    assert cli(*local(stack, "users", "create", "eve", "--group", "developer")).returncode == 0

    result = cli(*local(stack, "--as", "eve", "users", "list"))

    assert (result.returncode, result.stderr.split(":")[1].strip()) == (1, "forbidden")


def test_offboard_without_yes_on_a_pipe_is_refused_and_deletes_nothing(stack: str) -> None:
    assert cli(*local(stack, "users", "create", "fay", "--group", "developer")).returncode == 0

    result = cli(*local(stack, "users", "offboard", "fay"))

    assert result.returncode == 2
    assert "pass --yes" in result.stderr
    assert cli(*local(stack, "users", "show", "fay")).returncode == 0


def test_offboard_on_a_terminal_shows_the_dry_run_and_keeps_the_user_unless_confirmed(stack: str) -> None:
    assert cli(*local(stack, "users", "create", "gus", "--group", "developer")).returncode == 0

    declined = run_cli(*local(stack, "users", "offboard", "gus"), answers="n\n", terminal=True)

    assert declined.code == 1
    assert "Would remove gus" in declined.stderr
    assert "[y/N]" in declined.stderr
    assert cli(*local(stack, "users", "show", "gus")).returncode == 0


def test_offboard_on_a_terminal_deletes_once_confirmed(stack: str) -> None:
    assert cli(*local(stack, "users", "create", "hal", "--group", "developer")).returncode == 0

    confirmed = run_cli(*local(stack, "users", "offboard", "hal"), answers="y\n", terminal=True)

    assert confirmed.code == 0, confirmed.stderr
    assert confirmed.stdout.startswith("Removed hal")
    assert cli(*local(stack, "users", "show", "hal")).returncode == 1


def test_offboard_dry_run_changes_nothing_and_needs_no_confirmation(stack: str) -> None:
    assert cli(*local(stack, "users", "create", "ian", "--group", "developer")).returncode == 0

    result = cli(*local(stack, "users", "offboard", "ian", "--dry-run", "--json"))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["dry_run"] is True
    assert cli(*local(stack, "users", "show", "ian")).returncode == 0


def test_reissue_enrollment_and_reset_mfa_each_hand_out_a_new_link(stack: str) -> None:
    assert cli(*local(stack, "users", "create", "jo", "--group", "developer")).returncode == 0

    reissued = cli(*local(stack, "users", "reissue", "jo", "--json"))
    enrollment = cli(*local(stack, "users", "enrollment", "jo", "--json"))
    reset = cli(*local(stack, "users", "reset-mfa", "jo", "--json"))

    assert [r.returncode for r in (reissued, enrollment, reset)] == [0, 0, 0]
    assert json.loads(reissued.stdout)["bundle"]["url"].startswith(stack + "/onboard#")
    assert json.loads(enrollment.stdout)["enrollment"]["url"].startswith(stack + "/enroll#")
    assert json.loads(reset.stdout)["removed"] == []
    assert json.loads(reset.stdout)["enrollment"]["url"].startswith(stack + "/enroll#")


def test_audit_show_prints_the_report_audit_run_stored(stack: str) -> None:
    ran = cli(*local(stack, "audit", "run", "--json"))
    shown = cli(*local(stack, "audit", "show", "--json"))
    table = cli(*local(stack, "audit", "show"))

    assert (ran.returncode, shown.returncode, table.returncode) == (0, 0, 0)
    assert json.loads(shown.stdout) == json.loads(ran.stdout)
    assert "iam_root_mfa_enabled" in table.stdout


def test_whoami_locally_is_the_bootstrap_admin_with_mfa_proved_by_session_mfa(stack: str) -> None:
    result = cli(*local(stack, "whoami", "--json"))

    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["session"]["user_name"] == "admin"
    assert answer["mfa"] == {"multi_factor_auth_present": True}


def test_an_endpoint_that_is_down_is_one_clear_line_and_exit_1() -> None:
    result = cli("--local", "--endpoint", f"http://127.0.0.1:{free_port()}", "users", "list")

    assert result.returncode == 1
    assert result.stderr.startswith("iam-onboarding: Cannot reach the API at http://127.0.0.1:")
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_the_one_time_link_goes_to_the_terminal_and_never_to_a_log(
    stack: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    created = run_cli(*local(stack, "users", "create", "kim", "--group", "developer"))
    reissued = run_cli(*local(stack, "users", "reissue", "kim", "--json"))

    links = [
        next(w for w in created.stdout.split() if "#" in w),
        json.loads(reissued.stdout)["bundle"]["url"],
    ]
    tokens = [link.split("#", 1)[1] for link in links]
    assert all(tokens)
    assert [t for t in tokens if t in caplog.text] == []
