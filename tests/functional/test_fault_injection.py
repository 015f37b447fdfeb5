"""Every AWS call of every operation fails in turn: the operation succeeds after retries, or fails clearly
and leaves IAM and the state table as they were (or as documented, where that cannot be by nature).

The cases come from each operation's recorded happy path (`tests.fault_cases`); `make faults-table`
prints the same run as the README's table. About two minutes: each case is a fresh account.
"""

from __future__ import annotations

import functools

import pytest

from tests.fault_cases import FAULTS, OPERATIONS, Fault, Operation, happy_path, run_case

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
