"""The state table's atomic writes for MFA enrollment: pending devices and counted tries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import wiring
from chalicelib.models.records import LinkKind, LinkRecord
from chalicelib.state import Conflict

NOW = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)


def put_link(attempts: int = 0, serial: str | None = None) -> None:
    store = wiring.store()
    expires = int((NOW + timedelta(hours=1)).timestamp())
    link = LinkRecord("id", LinkKind.ENROLLMENT, "alice", expires, None, None, attempts, serial)
    store.transact([store.link_put(link)])


def test_of_two_failures_racing_for_the_last_try_exactly_one_gets_it(aws_account: None) -> None:
    put_link(attempts=3)
    store = wiring.store()

    assert store.count_failed_attempt("id", NOW, 5) == 4
    assert store.count_failed_attempt("id", NOW, 5) == 5
    with pytest.raises(Conflict):
        store.count_failed_attempt("id", NOW, 5)


def test_a_failure_on_an_expired_link_is_not_counted(aws_account: None) -> None:
    put_link()

    with pytest.raises(Conflict):
        wiring.store().count_failed_attempt("id", NOW + timedelta(hours=2), 5)


def test_a_pending_device_replaces_only_the_device_the_caller_saw(aws_account: None) -> None:
    put_link(serial="first")
    store = wiring.store()

    store.set_pending_device(
        "id", sealed=b"x", serial_number="second", previous_serial="first", now=NOW, max_attempts=5
    )
    with pytest.raises(Conflict):
        store.set_pending_device(
            "id", sealed=b"y", serial_number="third", previous_serial="first", now=NOW, max_attempts=5
        )

    link = store.get_link("id")
    assert link is not None
    assert (link.pending_serial, link.sealed) == ("second", b"x")


def test_a_first_pending_device_needs_a_link_without_one(aws_account: None) -> None:
    put_link(serial="someone-elses")

    with pytest.raises(Conflict):
        wiring.store().set_pending_device(
            "id", sealed=b"x", serial_number="mine", previous_serial=None, now=NOW, max_attempts=5
        )
