"""Checks over the credential report: each asserts the exact findings on a small hand-built account."""

from __future__ import annotations

from chalicelib.audit.checks import credentials as c
from tests.unit.audit.checks.factory import ago, found, key, row, snapshot


def test_console_user_without_mfa_is_reported() -> None:
    snap = snapshot(credential_rows=(row("alice", mfa=False), row("bob")), mfa_users=frozenset({"bob"}))

    assert found(c.console_users_without_mfa, snap) == [
        ("alice", "User alice has Console Password enabled but MFA disabled.")
    ]


def test_mfa_is_judged_by_the_fresh_state_not_the_report() -> None:
    # The report says no MFA, but the live call found a device since: nothing to report.
    snap = snapshot(credential_rows=(row("alice", mfa=False),), mfa_users=frozenset({"alice"}))

    assert found(c.console_users_without_mfa, snap) == []


def test_user_without_console_password_needs_no_mfa_for_this_check() -> None:
    snap = snapshot(credential_rows=(row("ci-bot", password=False, mfa=False),))

    assert found(c.console_users_without_mfa, snap) == []


def test_console_password_unused_for_46_days_is_reported_and_45_is_not() -> None:
    snap = snapshot(
        credential_rows=(row("old", last_used=ago(46)), row("recent", last_used=ago(45)), row("never"))
    )

    assert found(c.unused_console_passwords, snap) == [
        ("old", "User old has not logged in to the console in the past 45 days (46 days).")
    ]


def test_active_key_unused_for_over_45_days_is_reported_per_key() -> None:
    snap = snapshot(
        credential_rows=(
            row("alice", keys=(key(1, used=50), key(2, used=3))),
            row("bob", keys=(key(1, active=False, used=90),)),
        )
    )

    assert found(c.unused_access_keys, snap) == [
        ("alice/AccessKey1", "User alice has not used access key 1 in the last 45 days (50 days).")
    ]


def test_never_used_key_of_a_console_user_is_an_initial_access_key() -> None:
    snap = snapshot(
        credential_rows=(
            row("alice", keys=(key(1), key(2, used=1))),
            row("ci-bot", password=False, keys=(key(1),)),
            row("bob", keys=(key(1, active=False),)),
        )
    )

    assert found(c.initial_access_keys, snap) == [("alice", "User alice has never used access key 1.")]


def test_two_active_keys_are_reported_once_per_user() -> None:
    snap = snapshot(
        credential_rows=(
            row("alice", keys=(key(1, used=1), key(2, used=1))),
            row("bob", keys=(key(1, used=1), key(2, active=False))),
        )
    )

    assert found(c.two_active_access_keys, snap) == [("alice", "User alice has 2 active access keys.")]


def test_active_key_older_than_90_days_must_be_rotated() -> None:
    snap = snapshot(
        credential_rows=(
            row("alice", keys=(key(1, rotated=91, used=1), key(2, rotated=90, used=1))),
            row("bob", keys=(key(1, active=False, rotated=400),)),
        )
    )

    assert found(c.unrotated_access_keys, snap) == [
        ("alice/AccessKey1", "User alice has not rotated access key 1 in over 90 days (91 days).")
    ]
