"""The state table's atomic writes for MFA enrollment: pending devices and counted tries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import wiring
from chalicelib.models.records import LinkKind, LinkRecord
from chalicelib.state import Conflict

NOW = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)


def put_link(attempts: int = 0, serial: str | None = None) -> LinkRecord:
    store = wiring.store()
    expires = int((NOW + timedelta(hours=1)).timestamp())
    link = LinkRecord("id", LinkKind.ENROLLMENT, "alice", expires, None, None, attempts, serial)
    store.transact([store.link_put(link)])
    return link


def count_failure(link: LinkRecord, now: datetime = NOW) -> None:
    store = wiring.store()
    store.transact([store.failed_attempt_update(link, now, 5)])


def pend(link: LinkRecord, serial: str, sealed: bytes) -> None:
    store = wiring.store()
    store.transact(
        [store.pending_device_update(link, sealed=sealed, serial_number=serial, now=NOW, max_attempts=5)]
    )


def test_of_two_failures_racing_for_the_last_try_exactly_one_gets_it(aws_account: None) -> None:
    read = put_link(attempts=4)

    count_failure(read)
    with pytest.raises(Conflict):
        count_failure(read)  # the other one read the same count: it must look again, and find none left

    link = wiring.store().get_link("id")
    assert link is not None and link.attempts == 5


def test_a_try_counted_on_a_link_read_with_no_tries_left_is_refused(aws_account: None) -> None:
    read = put_link(attempts=5)

    with pytest.raises(Conflict):
        count_failure(read)


def test_a_failure_on_an_expired_link_is_not_counted(aws_account: None) -> None:
    read = put_link()

    with pytest.raises(Conflict):
        count_failure(read, NOW + timedelta(hours=2))


def test_a_pending_device_replaces_only_the_device_the_caller_saw(aws_account: None) -> None:
    read = put_link(serial="first")

    pend(read, "second", b"x")
    with pytest.raises(Conflict):
        pend(read, "third", b"y")

    link = wiring.store().get_link("id")
    assert link is not None
    assert (link.pending_serial, link.sealed) == ("second", b"x")


def test_the_same_pending_device_written_again_is_no_conflict(aws_account: None) -> None:
    read = put_link(serial="first")

    pend(read, "second", b"x")
    pend(read, "second", b"x")  # botocore's retry of a write whose answer was lost

    link = wiring.store().get_link("id")
    assert link is not None and link.pending_serial == "second"


def test_a_first_pending_device_needs_a_link_without_one(aws_account: None) -> None:
    put_link(serial="someone-elses")
    read_before = LinkRecord("id", LinkKind.ENROLLMENT, "alice", int((NOW + timedelta(hours=1)).timestamp()))

    with pytest.raises(Conflict):
        pend(read_before, "mine", b"x")
