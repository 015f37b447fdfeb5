"""`iam-onboarding configure`: SPEC §14's profiles into ~/.aws/config, the credentials file only read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_cli

SERIAL = "arn:aws:iam::123456789012:mfa/ada"


@pytest.fixture
def aws_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """An AWS config with one unrelated profile, and a credentials file holding ada's long-term key."""
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text(
        "# mine\n[profile other]\nregion = us-east-1\n\n[profile dev]\nregion = ap-northeast-1\n"
    )
    credentials.write_text("[dev-long-term]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    return config, credentials


def configure(*options: str, answers: str = "", terminal: bool = False) -> tuple[int, str, str]:
    result = run_cli(
        "configure", "--profile", "dev", "--mfa-serial", SERIAL, *options, answers=answers, terminal=terminal
    )
    return result.code, result.stdout, result.stderr


def test_configure_writes_both_profiles_of_the_layout_and_keeps_every_other_line(
    aws_files: tuple[Path, Path],
) -> None:
    config, _ = aws_files

    code, _, _ = configure("--yes")

    assert code == 0
    text = config.read_text()
    assert text.startswith("# mine\n[profile other]\nregion = us-east-1\n")
    assert "[profile dev-long-term]\nregion = ap-northeast-1\nmfa_serial = " + SERIAL in text
    assert "source_profile = dev-long-term\ncredential_process = " in text
    assert text.rstrip().endswith("credential-process --profile dev")
    assert text.count("[profile dev]") == 1


def test_configure_shows_the_profiles_and_asks_before_writing(aws_files: tuple[Path, Path]) -> None:
    config, _ = aws_files
    before = config.read_text()

    code, _, stderr = configure(answers="n\n", terminal=True)

    assert code == 1
    assert "[profile dev]" in stderr and "Write them to" in stderr
    assert config.read_text() == before


def test_configure_never_writes_the_credentials_file_and_names_keys_that_would_win(
    aws_files: tuple[Path, Path],
) -> None:
    _, credentials = aws_files
    credentials.write_text(
        credentials.read_text() + "[dev]\naws_access_key_id = AKIAOLD\naws_secret_access_key = s\n"
    )
    before = credentials.read_text()

    code, _, stderr = configure("--yes")

    assert code == 0
    assert credentials.read_text() == before
    assert "has keys under [dev]: they would win over credential_process (aws-cli#9869)" in stderr
    assert "AKIAOLD" not in stderr


def test_configure_refuses_the_default_profile(aws_files: tuple[Path, Path]) -> None:
    result = run_cli("configure", "--profile", "default", "--mfa-serial", SERIAL, "--yes")

    assert result.code == 2
    assert "never `default`" in result.stderr
