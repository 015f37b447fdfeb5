"""Every AWS call of every operation fails in turn: the operation succeeds after retries, or fails clearly
and leaves IAM and the state table as they were (or as documented, where that cannot be by nature).
The second phase makes each call take effect and then answer an error, which botocore retries: the
operation must end exactly as if nothing had failed.

The cases come from each operation's recorded happy path (`tests.fault_cases`); `make faults-table`
prints the same run as the table in docs/evidence.md. About two minutes: each case is a fresh account.

A harness that records nothing passes by checking nothing, as this one did from 3f9efe7 on: each
operation's happy path must record at least the AWS calls the operation needs, and the whole suite at
least the cases it ran when last checked.
"""

from __future__ import annotations

import contextlib
import functools
from collections import Counter

import pytest

from tests import fault_cases
from tests.fault_cases import (
    FAULTS,
    FEWEST_CASES,
    FEWEST_CASES_BY_PHASE,
    OPERATIONS,
    Fault,
    Operation,
    happy_path,
    phase,
    run_case,
)

pytestmark = pytest.mark.slow

_happy_path = functools.cache(happy_path)


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.name)
def test_each_aws_call_failing_ends_in_success_or_a_clear_error_that_changes_nothing(
    operation: Operation, fault: Fault
) -> None:
    calls, _, expected = _happy_path(operation)
    outcomes = [run_case(operation, call, fault, expected) for call in calls if fault.code_for(call)]

    problems = [f"{o.call}: {o.summary}: {'; '.join(o.problems)}" for o in outcomes if o.problems]
    assert problems == []


def test_the_suite_runs_at_least_as_many_cases_as_when_it_last_checked_everything() -> None:
    cases = [(o, c, f) for o in OPERATIONS for c in _happy_path(o)[0] for f in FAULTS if f.code_for(c)]

    assert len(cases) >= FEWEST_CASES


def test_each_phase_runs_at_least_as_many_cases_as_when_it_last_checked_everything() -> None:
    ran = Counter(phase(f) for o in OPERATIONS for c in _happy_path(o)[0] for f in FAULTS if f.code_for(c))

    assert {p: ran[p] >= n for p, n in FEWEST_CASES_BY_PHASE.items()} == dict.fromkeys(
        FEWEST_CASES_BY_PHASE, True
    )


def test_a_recording_that_loses_the_calls_fails_instead_of_checking_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fault_cases, "observing_calls", lambda *_: contextlib.nullcontext())

    with pytest.raises(AssertionError, match="the recording loses calls"):
        happy_path(OPERATIONS[0])
