"""The command line itself: usage errors are exit 2 and reach no API; where the region comes from."""

from __future__ import annotations

import pytest

from iam_onboarding_cli.api import region_of
from tests.support.cli import Recorder, cli, run_cli


@pytest.fixture(autouse=True)
def no_endpoint_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test names its endpoint, or none."""
    monkeypatch.delenv("IAM_ONBOARDING_URL", raising=False)


def test_create_without_a_group_is_a_usage_error_with_exit_2() -> None:
    result = cli("--local", "users", "create", "alice")

    assert result.returncode == 2
    assert "--group" in result.stderr


def test_an_unknown_command_is_a_usage_error_with_exit_2() -> None:
    assert run_cli("--local", "users", "promote", "alice").code == 2


def test_help_is_exit_0() -> None:
    result = cli("users", "offboard", "--help")

    assert result.returncode == 0
    assert "--dry-run" in result.stdout


def test_options_may_come_after_the_command(recorder: Recorder) -> None:
    result = run_cli("users", "list", "--local", "--endpoint", recorder.base, "--as", "bea", "--json")

    assert result.code == 0, result.stderr
    assert result.stdout.strip() == '{\n  "users": []\n}'
    assert recorder.received[0].headers["x-dev-caller"] == "bea"


def test_without_an_endpoint_the_usage_error_names_the_variable() -> None:
    result = run_cli("users", "list")

    assert result.code == 2
    assert "IAM_ONBOARDING_URL" in result.stderr


def test_as_is_only_for_the_local_stack() -> None:
    result = run_cli(
        "--endpoint", "https://abc123.execute-api.eu-west-1.amazonaws.com/api", "--as", "x", "whoami"
    )

    assert (result.code, "--local" in result.stderr) == (2, True)


def test_plain_http_to_another_machine_is_refused_before_any_credential_is_used() -> None:
    result = run_cli("--endpoint", "http://api.example.com", "users", "list")

    assert result.code == 2
    assert "https://" in result.stderr


def test_a_duration_over_the_apis_one_hour_mfa_freshness_is_a_usage_error() -> None:
    assert run_cli("--local", "--duration", "3601", "whoami").code == 2


def test_the_region_comes_from_an_execute_api_host() -> None:
    assert region_of("https://abc123.execute-api.eu-west-1.amazonaws.com/api") == "eu-west-1"
    assert region_of("https://abc123.execute-api.cn-north-1.amazonaws.com.cn/prod") == "cn-north-1"


def test_a_custom_domain_names_no_region() -> None:
    assert region_of("https://iam.example.com/api") is None
    assert region_of("https://execute-api.eu-west-1.amazonaws.com.example.com/") is None


@pytest.mark.parametrize(
    ("argv", "refusal"),
    [
        (
            ["--duration", "3601", "users", "list"],
            "must be 900-3600 seconds (15 min to 1 h: /admin/* takes no older MFA)",
        ),
        (["--duration", "899", "users", "list"], "must be 900-3600 seconds"),
        (
            ["credential-process", "--profile", "p", "--duration", "129601"],
            "must be 900-129600 seconds (15 min to 36 h)",
        ),
        (["configure", "--duration", "soon"], "'soon' is not a number of seconds"),
    ],
)
def test_a_duration_out_of_its_range_is_a_usage_error_that_names_the_range(
    argv: list[str], refusal: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli("--local", *argv).code == 2

    assert refusal in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "seconds"),
    [
        (["--duration", "900", "users", "list"], 900),
        (["credential-process", "--profile", "p", "--duration", "129600"], 129600),
    ],
)
def test_a_duration_at_the_edge_of_its_range_is_taken(argv: list[str], seconds: int) -> None:
    from iam_onboarding_cli.main import build_parser

    args = build_parser().parse_args(argv)

    assert (getattr(args, "session_duration", None) or args.duration) == seconds
