"""Checks over the credential report: console MFA, unused passwords and keys, key hygiene.

Verdicts follow Prowler's checks of the same ids (same thresholds, `days > limit`), except where a
check's docstring says otherwise.
"""

from __future__ import annotations

from chalicelib.audit.checks.base import Failures, check
from chalicelib.audit.snapshot import AccountSnapshot
from chalicelib.models.audit import Severity

UNUSED_DAYS = 45
ROTATION_DAYS = 90


@check(
    id="iam_user_mfa_enabled_console_access",
    severity=Severity.HIGH,
    remediation="Have the user enroll a virtual MFA device (POST /admin/users/{user_name}/enrollment).",
)
def console_users_without_mfa(snapshot: AccountSnapshot) -> Failures:
    """Users with a console password and no MFA device. Unlike Prowler, MFA state is fresh: users the (up to
    4-hour-old) credential report marks without MFA are confirmed with a live call first.
    """
    for row in snapshot.credential_rows:
        if row.password_enabled and not snapshot.has_mfa(row.user):
            yield row.user, f"User {row.user} has Console Password enabled but MFA disabled."


@check(
    id="iam_user_console_access_unused",
    severity=Severity.MEDIUM,
    remediation="Delete the login profile of a user who no longer signs in, or offboard the user.",
)
def unused_console_passwords(snapshot: AccountSnapshot) -> Failures:
    """Console passwords not used for more than `UNUSED_DAYS` days."""
    for row in snapshot.credential_rows:
        if row.password_enabled and row.password_last_used is not None:
            days = (snapshot.now - row.password_last_used).days
            if days > UNUSED_DAYS:
                yield (
                    row.user,
                    f"User {row.user} has not logged in to the console in the past {UNUSED_DAYS} days "
                    f"({days} days).",
                )


@check(
    id="iam_user_accesskey_unused",
    severity=Severity.MEDIUM,
    remediation="Deactivate and delete access keys that are no longer used.",
)
def unused_access_keys(snapshot: AccountSnapshot) -> Failures:
    """Active access keys last used more than `UNUSED_DAYS` days ago."""
    for row in snapshot.credential_rows:
        for key in row.access_keys:
            if key.active and key.last_used is not None:
                days = (snapshot.now - key.last_used).days
                if days > UNUSED_DAYS:
                    yield (
                        f"{row.user}/AccessKey{key.number}",
                        f"User {row.user} has not used access key {key.number} in the last {UNUSED_DAYS} "
                        f"days ({days} days).",
                    )


@check(
    id="iam_user_no_setup_initial_access_key",
    severity=Severity.MEDIUM,
    remediation="Delete access keys created with the user; a user creates their own key when needed.",
)
def initial_access_keys(snapshot: AccountSnapshot) -> Failures:
    """Console users with an active access key that was never used (created at setup)."""
    for row in snapshot.credential_rows:
        for key in row.access_keys:
            if row.password_enabled and key.active and key.last_used is None:
                yield row.user, f"User {row.user} has never used access key {key.number}."


@check(
    id="iam_user_two_active_access_key",
    severity=Severity.MEDIUM,
    remediation="Keep one active access key per user; deactivate and delete the other.",
)
def two_active_access_keys(snapshot: AccountSnapshot) -> Failures:
    """Users with two active access keys."""
    for row in snapshot.credential_rows:
        if sum(key.active for key in row.access_keys) == 2:
            yield row.user, f"User {row.user} has 2 active access keys."


@check(
    id="iam_rotate_access_key_90_days",
    severity=Severity.MEDIUM,
    remediation="Create a new access key, move its users to it, then deactivate and delete the old one.",
)
def unrotated_access_keys(snapshot: AccountSnapshot) -> Failures:
    """Active access keys older than `ROTATION_DAYS` days. One finding per key where Prowler gives one per
    user; the verdict per user is the same.
    """
    for row in snapshot.credential_rows:
        for key in row.access_keys:
            if key.active and key.last_rotated is not None:
                days = (snapshot.now - key.last_rotated).days
                if days > ROTATION_DAYS:
                    yield (
                        f"{row.user}/AccessKey{key.number}",
                        f"User {row.user} has not rotated access key {key.number} in over {ROTATION_DAYS} "
                        f"days ({days} days).",
                    )


CHECKS = [
    console_users_without_mfa,
    unused_console_passwords,
    unused_access_keys,
    initial_access_keys,
    two_active_access_keys,
    unrotated_access_keys,
]
