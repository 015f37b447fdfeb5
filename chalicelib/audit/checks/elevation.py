"""Checks of temporary elevation (SPEC §15): nobody stands in an `elevate` group without a live grant."""

from __future__ import annotations

from chalicelib.audit.checks.base import Failures, check
from chalicelib.audit.snapshot import AccountSnapshot
from chalicelib.models.audit import Severity


@check(
    id="elevate_group_member_without_grant",
    severity=Severity.HIGH,
    remediation="Remove the user from the group (they ask with `iam-onboarding elevate` when they need it), "
    "or, for a deliberate break-glass user, list them under the group's break_glass in policies/groups.json.",
)
def standing_members_of_elevate_groups(snapshot: AccountSnapshot) -> Failures:
    """Members of a group marked `elevate` who hold no live grant for it, break-glass users excepted.

    Our own check (Prowler has none): a grant whose schedule was missed is ended by the audit's sweep
    before this runs, so what is left is standing access nobody approved for now.
    """
    now = int(snapshot.now.timestamp())
    live = {(g.user_name.lower(), g.group) for g in snapshot.grants if g.live_at(now)}
    for name, spec in sorted(snapshot.managed_groups.items()):
        if not spec.elevate:
            continue
        exempt = {u.lower() for u in spec.break_glass}
        for user in sorted(snapshot.users.values(), key=lambda u: u.name):
            key = user.name.lower()
            if name in user.groups and key not in exempt and (key, name) not in live:
                yield (
                    f"{user.name}/{name}",
                    f"User {user.name} is a member of {name}, a group joined by temporary elevation, "
                    "without a live grant.",
                )


CHECKS = (standing_members_of_elevate_groups,)
