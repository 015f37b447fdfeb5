"""Preparing a real account: only what is missing, never anything that was there before."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from moto import mock_aws

from chalicelib import aws
from chalicelib.config import POLICIES_DIR
from deploy.bootstrap_account import plan
from tests.conftest import ACCOUNT_ID, reset_caches

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

FORCE_MFA = f"arn:aws:iam::{ACCOUNT_ID}:policy/Force-MFA"


@pytest.fixture
def iam() -> Iterator[IAMClient]:
    """An emulated account that already has a user, a group of its own and a password policy."""
    reset_caches()
    with mock_aws():
        client = aws.iam()
        client.create_user(UserName="bob", Path="/")
        client.create_group(GroupName="ops")
        client.add_user_to_group(GroupName="ops", UserName="bob")
        client.update_account_password_policy(MinimumPasswordLength=12)
        yield client
    reset_caches()


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
