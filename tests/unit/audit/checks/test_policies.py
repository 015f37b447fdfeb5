"""Checks that users, groups and Force-MFA are what the service provisions."""

from __future__ import annotations

import json

from chalicelib.audit.checks import policies as p
from chalicelib.audit.snapshot import IamGroup
from chalicelib.config import POLICIES_DIR
from tests.unit.audit.checks.factory import by_name, found, snapshot, user

FORCE_MFA = json.loads((POLICIES_DIR / "force-mfa.json").read_text())
HEALTHY_GROUPS = {
    "administrator": IamGroup("administrator", ("AdministratorAccess", "Force-MFA")),
    "developer": IamGroup("developer", ("ReadOnlyAccess", "Force-MFA")),
}


def test_users_own_managed_and_inline_policies_are_each_reported() -> None:
    snap = snapshot(
        users=by_name(
            user("bob", attached_policies=("ReadOnlyAccess",), inline_policies=("extra",)),
            user("alice"),
        )
    )

    assert found(p.users_with_direct_policies, snap) == [
        ("bob/ReadOnlyAccess", "User bob has the policy ReadOnlyAccess attached."),
        ("bob/extra", "User bob has the inline policy extra attached."),
    ]


def test_user_in_no_managed_group_is_reported_wherever_it_lives() -> None:
    snap = snapshot(
        users=by_name(
            user("alice"),
            user("ops", path="/", groups=("billing",)),
            user("carol", groups=()),
            user("admin", path="/", groups=("administrator",)),
        )
    )

    assert found(p.users_outside_managed_groups, snap) == [
        ("carol", "User carol is in none of the managed groups (administrator, developer)."),
        ("ops", "User ops is in none of the managed groups (administrator, developer)."),
    ]


def test_managed_groups_with_force_mfa_attached_pass() -> None:
    assert found(p.groups_missing_force_mfa, snapshot(groups=HEALTHY_GROUPS)) == []


def test_managed_group_without_force_mfa_or_missing_altogether_is_reported() -> None:
    snap = snapshot(groups={"developer": IamGroup("developer", ("ReadOnlyAccess",))})

    assert found(p.groups_missing_force_mfa, snap) == [
        ("administrator", "Managed group administrator does not exist."),
        ("developer", "Managed group developer does not have the policy Force-MFA attached."),
    ]


def test_deployed_force_mfa_equal_to_the_file_as_json_passes() -> None:
    deployed = json.loads(json.dumps(FORCE_MFA, indent=4, sort_keys=True))  # other spacing and key order
    snap = snapshot(expected_policies={"Force-MFA": FORCE_MFA}, deployed_policies={"Force-MFA": deployed})

    assert found(p.force_mfa_drift, snap) == []


def test_deployed_force_mfa_with_a_changed_statement_is_drift_naming_the_statement() -> None:
    deployed = json.loads(json.dumps(FORCE_MFA))
    [deny] = [s for s in deployed["Statement"] if s["Sid"] == "DenyAllExceptListedIfNoMFA"]
    deny["NotAction"].append("s3:*")
    snap = snapshot(expected_policies={"Force-MFA": FORCE_MFA}, deployed_policies={"Force-MFA": deployed})

    assert found(p.force_mfa_drift, snap) == [
        (
            "Force-MFA",
            "Policy Force-MFA differs from policies/force-mfa.json (statements DenyAllExceptListedIfNoMFA).",
        )
    ]


def test_force_mfa_that_is_not_deployed_is_reported() -> None:
    snap = snapshot(expected_policies={"Force-MFA": FORCE_MFA}, deployed_policies={})

    assert found(p.force_mfa_drift, snap) == [("Force-MFA", "Policy Force-MFA is not deployed.")]


def test_a_force_mfa_deployed_before_terminal_access_is_drift_naming_the_two_new_statements() -> None:
    # An account bootstrapped before `aws login` and own access keys: the audit says to run it again.
    new = {"AllowManageOwnAccessKeysOnlyWithMFA", "AllowAwsLoginOnlyWithMFA"}
    deployed = json.loads(json.dumps(FORCE_MFA))
    deployed["Statement"] = [s for s in deployed["Statement"] if s["Sid"] not in new]
    snap = snapshot(expected_policies={"Force-MFA": FORCE_MFA}, deployed_policies={"Force-MFA": deployed})

    assert found(p.force_mfa_drift, snap) == [
        (
            "Force-MFA",
            "Policy Force-MFA differs from policies/force-mfa.json "
            "(statements AllowAwsLoginOnlyWithMFA, AllowManageOwnAccessKeysOnlyWithMFA).",
        )
    ]
