"""The Makefile's deployment targets: the caller's own region, and a help that lists them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ["ARTIFACT_BUCKET=my-artifacts", "PUBLIC_BASE_URL=https://api.example.com"]

pytestmark = pytest.mark.skipif(shutil.which("aws") is None, reason="needs the AWS CLI, as make deploy does")


def make(
    home: Path, *args: str, region_in_profile: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """`make` in the project, with an AWS configuration of its own (a profile region at most)."""
    config = home / "config"
    config.write_text(f"[default]\nregion = {region_in_profile}\n" if region_in_profile else "")
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        **env,
    }
    return subprocess.run(  # noqa: S603 - make, in our own project
        ["make", "--no-print-directory", "-C", str(ROOT), *args],  # noqa: S607
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def aws_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.lstrip().startswith("aws ")]


def test_make_deploy_goes_to_the_region_of_the_callers_profile(tmp_path: Path) -> None:
    done = make(tmp_path, "-n", "deploy", *SETTINGS, region_in_profile="eu-west-1")

    assert done.returncode == 0, done.stderr
    lines = aws_lines(done.stdout)
    assert len(lines) == 2
    assert all("--region eu-west-1 " in line for line in lines)
    assert "us-east-1" not in done.stdout


def test_make_deploy_prefers_the_region_set_in_the_environment(tmp_path: Path) -> None:
    done = make(
        tmp_path,
        "-n",
        "deploy",
        *SETTINGS,
        region_in_profile="eu-west-1",
        AWS_DEFAULT_REGION="ap-northeast-1",
    )

    assert done.returncode == 0, done.stderr
    assert all("--region ap-northeast-1 " in line for line in aws_lines(done.stdout))


def test_make_deploy_without_a_configured_region_refuses_before_building(tmp_path: Path) -> None:
    build = tmp_path / "build"

    done = make(tmp_path, "deploy", *SETTINGS, f"BUILD={build}")

    assert done.returncode != 0
    assert "No AWS region is configured" in done.stdout
    assert "aws configure set region" in done.stdout
    assert not build.exists()


def test_make_help_lists_package_and_deploy(tmp_path: Path) -> None:
    done = make(tmp_path, "help")

    assert done.returncode == 0, done.stderr
    listed = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("make ")]
    assert {"run", "test", "package", "deploy"} <= set(listed)


@pytest.mark.parametrize(
    ("url", "wrong"),
    [
        ("http://abc.example.com", "must start with https://"),
        ("https://abc.execute-api.eu-west-1.amazonaws.com/api/", "must not end with /"),
        ("https://abc example.com", "must not contain spaces"),
    ],
)
def test_make_deploy_refuses_a_public_base_url_of_the_wrong_form_before_building(
    tmp_path: Path, url: str, wrong: str
) -> None:
    build = tmp_path / "build"

    done = make(
        tmp_path,
        "deploy",
        "ARTIFACT_BUCKET=my-artifacts",
        f"PUBLIC_BASE_URL={url}",
        f"BUILD={build}",
        region_in_profile="eu-west-1",
    )

    assert done.returncode != 0
    assert f"PUBLIC_BASE_URL {wrong}" in done.stdout
    assert not build.exists()


def test_make_package_ends_with_the_deploy_command_to_run_next(tmp_path: Path) -> None:
    done = make(tmp_path, "-n", "package")

    assert done.returncode == 0, done.stderr
    assert "Next: make deploy ARTIFACT_BUCKET=" in done.stdout


def test_make_deploy_does_not_tell_to_run_make_deploy_next(tmp_path: Path) -> None:
    done = make(tmp_path, "-n", "deploy", *SETTINGS, region_in_profile="eu-west-1")

    assert done.returncode == 0, done.stderr
    assert "Next: make deploy" not in done.stdout
