"""Preparing a real account: only what is missing, never anything that was there before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from moto import mock_aws

from chalicelib import aws, wiring
from chalicelib.config import POLICIES_DIR
from deploy.bootstrap_account import plan
from local.emulator import ACCOUNT_ID

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

ROOT = Path(__file__).resolve().parents[2]
FORCE_MFA = f"arn:aws:iam::{ACCOUNT_ID}:policy/Force-MFA"


@pytest.fixture
def iam() -> Iterator[IAMClient]:
    """An emulated account that already has a user, a group of its own and a password policy."""
    wiring.reset()
    with mock_aws():
        client = aws.iam()
        client.create_user(UserName="bob", Path="/")
        client.create_group(GroupName="ops")
        client.add_user_to_group(GroupName="ops", UserName="bob")
        client.update_account_password_policy(MinimumPasswordLength=12)
        yield client
    wiring.reset()


def _apply(iam: IAMClient, **options: bool) -> list[str]:
    steps = plan(iam, ACCOUNT_ID, **options)
    for step in steps:
        step.apply()
    return [step.description for step in steps]


def test_a_dry_run_changes_nothing(iam: IAMClient) -> None:
    assert plan(iam, ACCOUNT_ID)
    assert [g["GroupName"] for g in iam.list_groups()["Groups"]] == ["ops"]


def test_applying_creates_force_mfa_and_the_managed_groups_with_their_policies(iam: IAMClient) -> None:
    _apply(iam)
    document = iam.get_policy_version(PolicyArn=FORCE_MFA, VersionId="v1")["PolicyVersion"]["Document"]
    attached = {
        name: sorted(
            p["PolicyName"] for p in iam.list_attached_group_policies(GroupName=name)["AttachedPolicies"]
        )
        for name in ("administrator", "developer")
    }
    assert document == json.loads((POLICIES_DIR / "force-mfa.json").read_text())
    assert attached == {
        "administrator": ["AdministratorAccess", "Force-MFA"],
        "developer": ["Force-MFA", "ReadOnlyAccess"],
    }


def test_a_second_run_has_nothing_to_do(iam: IAMClient) -> None:
    _apply(iam)
    assert plan(iam, ACCOUNT_ID) == []


def test_existing_users_groups_and_password_policy_are_left_alone(iam: IAMClient) -> None:
    _apply(iam)
    assert iam.get_user(UserName="bob")["User"]["Path"] == "/"
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="bob")["Groups"]] == ["ops"]
    assert iam.list_attached_group_policies(GroupName="ops")["AttachedPolicies"] == []
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 12


def test_the_password_policy_is_replaced_only_when_asked(iam: IAMClient) -> None:
    _apply(iam, replace_password_policy=True)
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 16


def test_a_drifted_force_mfa_gets_a_new_default_version(iam: IAMClient) -> None:
    _apply(iam)
    iam.create_policy_version(
        PolicyArn=FORCE_MFA,
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
        ),
        SetAsDefault=True,
    )
    assert _apply(iam) == [
        "make policies/force-mfa.json the default version of Force-MFA (older versions kept)"
    ]
    assert iam.get_policy(PolicyArn=FORCE_MFA)["Policy"]["DefaultVersionId"] == "v3"


def _bootstrap_without_aws_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m deploy.bootstrap_account` with no AWS configuration but `env`."""
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",  # no instance role to find here, and no waiting for one
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "deploy.bootstrap_account"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_bootstrap_without_a_region_says_what_to_set_instead_of_a_traceback(tmp_path: Path) -> None:
    done = _bootstrap_without_aws_settings(
        tmp_path, AWS_ACCESS_KEY_ID="AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY="x"
    )

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "AWS_DEFAULT_REGION" in done.stderr
    assert "aws configure set region" in done.stderr


def test_bootstrap_without_credentials_says_what_to_set_instead_of_a_traceback(tmp_path: Path) -> None:
    done = _bootstrap_without_aws_settings(tmp_path, AWS_DEFAULT_REGION="eu-west-1")

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "No AWS credentials" in done.stderr
    assert "AWS_PROFILE" in done.stderr
