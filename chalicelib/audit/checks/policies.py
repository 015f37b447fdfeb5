"""Checks that the account's users, groups and policies are the ones the service provisions."""

from __future__ import annotations

from typing import Any

from chalicelib.audit.checks.base import Failures, check
from chalicelib.audit.snapshot import AccountSnapshot
from chalicelib.models.audit import Severity


@check(
    id="iam_policy_attached_only_to_group_or_roles",
    severity=Severity.LOW,
    remediation="Move the permissions to a group (or role) and remove the user's own policies.",
)
def users_with_direct_policies(snapshot: AccountSnapshot) -> Failures:
    """Users with managed or inline policies of their own instead of group permissions."""
    for user in sorted(snapshot.users.values(), key=lambda u: u.name):
        for policy in user.attached_policies:
            yield f"{user.name}/{policy}", f"User {user.name} has the policy {policy} attached."
        for policy in user.inline_policies:
            yield f"{user.name}/{policy}", f"User {user.name} has the inline policy {policy} attached."


@check(
    id="user_outside_managed_groups",
    severity=Severity.MEDIUM,
    remediation="Add the user to a managed group (administrator or developer), or offboard the user.",
)
def users_outside_managed_groups(snapshot: AccountSnapshot) -> Failures:
    """Users in none of the managed groups, so Force-MFA does not apply to them."""
    managed = set(snapshot.managed_groups)
    for user in sorted(snapshot.users.values(), key=lambda u: u.name):
        if not managed & set(user.groups):
            yield (
                user.name,
                f"User {user.name} is in none of the managed groups ({', '.join(sorted(managed))}).",
            )


@check(
    id="managed_group_missing_force_mfa",
    severity=Severity.HIGH,
    remediation="Attach Force-MFA to the group again (running the bootstrap does it).",
)
def groups_missing_force_mfa(snapshot: AccountSnapshot) -> Failures:
    """Managed groups that are missing, or lack the Force-MFA policy the manifest attaches."""
    for name, spec in sorted(snapshot.managed_groups.items()):
        group = snapshot.groups.get(name)
        if group is None:
            yield name, f"Managed group {name} does not exist."
            continue
        for policy in spec.local_policies:
            if policy not in group.attached_policies:
                yield name, f"Managed group {name} does not have the policy {policy} attached."


def _statement_ids(document: Any) -> dict[str, Any]:
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    return {str(s.get("Sid", i)): s for i, s in enumerate(statements) if isinstance(s, dict)}


@check(
    id="force_mfa_policy_drift",
    severity=Severity.HIGH,
    remediation="Make policies/force-mfa.json the default version again (running the bootstrap does it).",
)
def force_mfa_drift(snapshot: AccountSnapshot) -> Failures:
    """The deployed Force-MFA policy (default version) differs from policies/force-mfa.json, compared as
    parsed JSON documents.
    """
    for name, expected in sorted(snapshot.expected_policies.items()):
        deployed = snapshot.deployed_policies.get(name)
        if deployed is None:
            yield name, f"Policy {name} is not deployed."
        elif deployed != expected:
            want, have = _statement_ids(expected), _statement_ids(deployed)
            changed = sorted(sid for sid in want.keys() | have.keys() if want.get(sid) != have.get(sid))
            where = f"statements {', '.join(changed)}" if changed else "outside its statements"
            yield name, f"Policy {name} differs from policies/{name.lower()}.json ({where})."


CHECKS = [users_with_direct_policies, users_outside_managed_groups, groups_missing_force_mfa, force_mfa_drift]
