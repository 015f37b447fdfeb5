"""All checks together: unique ids, Prowler's where they exist, and a deterministic order."""

from __future__ import annotations

from chalicelib.audit.checks import ALL_CHECKS, run_checks
from chalicelib.audit.snapshot import RootFacts
from tests.unit.audit.checks.factory import by_name, row, snapshot, user


def test_check_ids_are_unique_snake_case() -> None:
    ids = [c.id for c in ALL_CHECKS]

    assert len(ids) == len(set(ids)) == 23
    assert all(i == i.lower() and " " not in i for i in ids)


def test_findings_come_most_severe_first_then_by_check_resource_and_message() -> None:
    snap = snapshot(
        users=by_name(user("zed", groups=()), user("amy", groups=())),
        credential_rows=(row("zed", mfa=False), row("amy", mfa=False)),
        root=RootFacts(mfa_enabled=False, access_keys_present=False),
    )

    order = [(f.severity.value, f.check_id, f.resource) for f in run_checks(snap)]

    assert order[:5] == [
        ("critical", "iam_root_mfa_enabled", "<root_account>"),
        ("high", "iam_user_mfa_enabled_console_access", "amy"),
        ("high", "iam_user_mfa_enabled_console_access", "zed"),
        ("high", "managed_group_missing_force_mfa", "administrator"),
        ("high", "managed_group_missing_force_mfa", "developer"),
    ]
    assert run_checks(snap) == run_checks(snap)
