"""`make load` in small: concurrent newcomers against `make run`'s stack, so its promises stay true."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.load import LoadReport, run_load
from local.stack import Stack, local_stack

NEWCOMERS = 10


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with local_stack() as running:
        yield running


@pytest.fixture(scope="module")
def report(stack: Stack) -> LoadReport:
    return run_load(stack, NEWCOMERS)


def test_concurrent_newcomers_each_claim_once_enroll_and_verify_with_nothing_lost(report: LoadReport) -> None:
    assert report.problems() == []


def test_every_duplicate_claim_fired_at_the_same_moment_is_gone(report: LoadReport) -> None:
    assert sorted(sorted(pair) for pair in report.claim_pairs) == [[200, 410]] * NEWCOMERS


def test_every_newcomer_ends_mfa_enrolled_with_one_assigned_device_and_no_orphan(report: LoadReport) -> None:
    assert set(report.final_states.values()) == {"mfa_enrolled"}
    assert (len(report.final_states), report.assigned_devices, report.unassigned_devices) == (
        NEWCOMERS,
        NEWCOMERS,
        0,
    )
