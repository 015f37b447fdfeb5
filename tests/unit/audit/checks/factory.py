"""Snapshots built by hand: each check test states the account it audits in a few lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.audit.checks.base import Check
from chalicelib.audit.snapshot import AccessKeyRow, AccountSnapshot, CredentialRow, IamUser
from chalicelib.config import load_groups_manifest

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def snapshot(**changes: Any) -> AccountSnapshot:
    base: dict[str, Any] = {
        "now": NOW,
        "managed_path": "/onboarding/",
        "managed_groups": load_groups_manifest(),
        "stalled_after": timedelta(days=7),
    }
    return AccountSnapshot(**{**base, **changes})


def user(
    name: str,
    *,
    path: str = "/onboarding/",
    groups: tuple[str, ...] = ("developer",),
    age: float = 1,
    **kw: Any,
) -> IamUser:
    return IamUser(
        name=name,
        arn=f"arn:aws:iam::123456789012:user{path}{name}",
        path=path,
        created_at=ago(age),
        groups=groups,
        **kw,
    )


def by_name(*users: IamUser) -> dict[str, IamUser]:
    return {u.name: u for u in users}


def row(
    name: str,
    *,
    password: bool = True,
    last_used: datetime | None = None,
    mfa: bool = True,
    keys: tuple[AccessKeyRow, ...] = (),
) -> CredentialRow:
    return CredentialRow(
        user=name,
        arn=f"arn:aws:iam::123456789012:user/onboarding/{name}",
        password_enabled=password,
        password_last_used=last_used,
        mfa_active=mfa,
        access_keys=keys,
    )


def key(
    number: int, *, active: bool = True, rotated: float | None = 10, used: float | None = None
) -> AccessKeyRow:
    return AccessKeyRow(
        number=number,
        active=active,
        last_rotated=ago(rotated) if rotated is not None else None,
        last_used=ago(used) if used is not None else None,
    )


def found(check: Check, snap: AccountSnapshot) -> list[tuple[str, str]]:
    """(resource, message) of each finding; also asserts every finding carries the check's metadata."""
    findings = check.execute(snap)
    for f in findings:
        assert (f.check_id, f.severity, f.remediation) == (check.id, check.severity, check.remediation)
    return [(f.resource, f.message) for f in findings]
