"""Stalled onboarding, links that expired unused, and orphaned virtual MFA devices."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.audit.checks import onboarding as o
from chalicelib.models.records import LinkKind, LinkRecord, UserRecord
from tests.unit.audit.checks.factory import NOW, ago, by_name, found, row, snapshot, user


def record(name: str, state: str, bundle: str | None = None, enrollment: str | None = None) -> UserRecord:
    return UserRecord(name, f"arn:{name}", "2026-11-01T00:00:00Z", state, bundle, enrollment)


def link(link_id: str, kind: LinkKind, name: str, expires_in_hours: float, **kw: object) -> LinkRecord:
    expires = int((NOW + timedelta(hours=expires_in_hours)).timestamp())
    return LinkRecord(link_id, kind, name, expires, **kw)  # type: ignore[arg-type]


def test_invited_more_than_n_days_ago_without_password_use_or_mfa_is_stalled() -> None:
    snap = snapshot(
        users=by_name(
            user("never", age=8),
            user("nomfa", age=8),
            user("done", age=30),
            user("fresh", age=6),
            user("admin", path="/", groups=("administrator",), age=90),
        ),
        credential_rows=(
            row("never", mfa=False),
            row("nomfa", last_used=ago(1), mfa=False),
            row("done", last_used=ago(1)),
            row("fresh", mfa=False),
            row("admin", mfa=False),
        ),
        mfa_users=frozenset({"done"}),
    )

    assert found(o.stalled_onboarding, snap) == [
        (
            "never",
            "User never was invited over 7 days ago and has never used their password and has no MFA device.",
        ),
        ("nomfa", "User nomfa was invited over 7 days ago and has no MFA device."),
    ]


def test_the_stalled_threshold_is_configurable() -> None:
    snap = snapshot(users=by_name(user("alice", age=3)), stalled_after=timedelta(days=2))

    assert found(o.stalled_onboarding, snap) == [
        (
            "alice",
            "User alice was invited over 2 days ago and has never used their password and has no MFA device.",
        )
    ]


def test_credential_link_that_expired_before_it_was_opened_is_reported() -> None:
    snap = snapshot(
        users=by_name(user("alice"), user("bob"), user("carol")),
        records={
            "alice": record("alice", "invited", bundle="a"),
            "bob": record("bob", "invited", bundle="b"),
            "carol": record("carol", "invited", bundle="gone"),
        },
        links={
            "a": link("a", LinkKind.CREDENTIALS, "alice", -1),
            "b": link("b", LinkKind.CREDENTIALS, "bob", 1),
        },
    )

    # carol's link is already deleted by the table's TTL: it expired all the same.
    assert found(o.expired_unused_links, snap) == [
        ("alice", "The credential link of alice expired unused."),
        ("carol", "The credential link of carol expired unused."),
    ]


def test_enrollment_link_expired_while_the_user_has_no_mfa_is_reported_but_not_once_enrolled() -> None:
    snap = snapshot(
        users=by_name(user("alice"), user("bob")),
        records={
            "alice": record("alice", "credentials_viewed", bundle="a", enrollment="e1"),
            "bob": record("bob", "credentials_viewed", bundle="b", enrollment="e2"),
        },
        links={
            "a": link("a", LinkKind.CREDENTIALS, "alice", -10, claimed_at="2026-11-28T00:00:00Z"),
            "e1": link("e1", LinkKind.ENROLLMENT, "alice", -1),
            "e2": link("e2", LinkKind.ENROLLMENT, "bob", -1),
        },
        mfa_users=frozenset({"bob"}),
    )

    assert found(o.expired_unused_links, snap) == [("alice", "The enrollment link of alice expired unused.")]


def test_unassigned_device_is_orphaned_unless_an_enrollment_in_progress_owns_it() -> None:
    pending = "arn:aws:iam::123456789012:mfa/alice-1"
    stale = "arn:aws:iam::123456789012:mfa/bob-1"
    snap = snapshot(
        unassigned_mfa_devices=(pending, stale, "arn:aws:iam::123456789012:mfa/zed"),
        links={
            "e1": link("e1", LinkKind.ENROLLMENT, "alice", 1, pending_serial=pending),
            "e2": link("e2", LinkKind.ENROLLMENT, "bob", -1, pending_serial=stale),
        },
        records={"alice": record("alice", "credentials_viewed", enrollment="e1")},
    )

    assert found(o.orphaned_devices, snap) == [
        (stale, f"Virtual MFA device {stale} is assigned to no user."),
        (
            "arn:aws:iam::123456789012:mfa/zed",
            "Virtual MFA device arn:aws:iam::123456789012:mfa/zed is assigned to no user.",
        ),
    ]


def test_a_device_named_by_an_unexpired_link_of_an_offboarded_user_is_orphaned() -> None:
    device = "arn:aws:iam::123456789012:mfa/carol-1"
    snap = snapshot(
        unassigned_mfa_devices=(device,),
        links={"e1": link("e1", LinkKind.ENROLLMENT, "carol", 1, pending_serial=device)},
    )

    assert found(o.orphaned_devices, snap) == [
        (device, f"Virtual MFA device {device} is assigned to no user.")
    ]


def test_a_device_named_by_a_link_the_user_no_longer_points_at_is_orphaned() -> None:
    old, new = "arn:aws:iam::123456789012:mfa/dave-1", "arn:aws:iam::123456789012:mfa/dave-2"
    snap = snapshot(
        unassigned_mfa_devices=(old, new),
        links={
            "e1": link("e1", LinkKind.ENROLLMENT, "dave", 1, pending_serial=old),
            "e2": link("e2", LinkKind.ENROLLMENT, "dave", 1, pending_serial=new),
        },
        records={"dave": record("dave", "credentials_viewed", enrollment="e2")},
    )

    assert found(o.orphaned_devices, snap) == [(old, f"Virtual MFA device {old} is assigned to no user.")]
