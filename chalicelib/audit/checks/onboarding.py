"""Checks no common tool has: onboarding that stalled, links that expired unused, orphaned MFA devices."""

from __future__ import annotations

from chalicelib.audit.checks.base import Failures, check
from chalicelib.audit.snapshot import AccountSnapshot
from chalicelib.models import OnboardingState
from chalicelib.models.audit import Severity
from chalicelib.models.records import LinkKind
from chalicelib.onboarding import links


@check(
    id="onboarding_stalled",
    severity=Severity.MEDIUM,
    remediation=(
        "Ask the newcomer to finish onboarding; reissue the link (POST /admin/users/{user_name}/credentials) "
        "or offboard the user."
    ),
)
def stalled_onboarding(snapshot: AccountSnapshot) -> Failures:
    """Managed users created (invited) longer ago than AUDIT_STALLED_DAYS (default 7) who still have not used
    their password or have no MFA device (MFA state is fresh). The emulator never records password use, so
    locally every such user counts as not having used it.
    """
    rows = {row.user: row for row in snapshot.credential_rows}
    days = snapshot.stalled_after.days
    for user in snapshot.managed_users():
        if snapshot.now - user.created_at <= snapshot.stalled_after:
            continue
        row = rows.get(user.name)
        missing = []
        if row is None or row.password_last_used is None:
            missing.append("has never used their password")
        if not snapshot.has_mfa(user.name):
            missing.append("has no MFA device")
        if missing:
            yield user.name, f"User {user.name} was invited over {days} days ago and {' and '.join(missing)}."


@check(
    id="onboarding_link_expired_unused",
    severity=Severity.LOW,
    remediation=(
        "Send a new link: POST /admin/users/{user_name}/credentials (credentials) or "
        "POST /admin/users/{user_name}/enrollment (MFA)."
    ),
)
def expired_unused_links(snapshot: AccountSnapshot) -> Failures:
    """Credential links that expired before the newcomer opened them, and enrollment links that expired while
    the user still has no MFA device. A link the table's TTL already deleted counts.
    """
    now = int(snapshot.now.timestamp())
    for user in snapshot.managed_users():
        record = snapshot.record_of(user.name)
        if record is None or snapshot.has_mfa(user.name):
            continue
        for kind, link_id, pending in (
            ("credential", record.bundle_id, record.state == OnboardingState.INVITED),
            ("enrollment", record.enrollment_id, True),
        ):
            if not (pending and link_id):
                continue
            link = snapshot.links.get(link_id)
            if link is None or (link.claimed_at is None and link.expires_at <= now):
                yield user.name, f"The {kind} link of {user.name} expired unused."


@check(
    id="orphaned_virtual_mfa_device",
    severity=Severity.LOW,
    remediation="Delete the device (aws iam delete-virtual-mfa-device --serial-number <serial>).",
)
def orphaned_devices(snapshot: AccountSnapshot) -> Failures:
    """Virtual MFA devices assigned to nobody, other than the device of an enrollment still in progress.

    In progress means the live enrollment of a user who exists (`links.is_live`): a stale link that still
    names a device, of a user who was offboarded or whose link was replaced, keeps nothing from the list.
    """
    pending = {
        link.pending_serial
        for link in snapshot.links.values()
        if link.kind == LinkKind.ENROLLMENT
        and link.pending_serial
        and links.is_live(link, snapshot.record_of(link.user_name), snapshot.now)
    }
    for serial in sorted(snapshot.unassigned_mfa_devices):
        if serial not in pending:
            yield serial, f"Virtual MFA device {serial} is assigned to no user."


CHECKS = [stalled_onboarding, expired_unused_links, orphaned_devices]
