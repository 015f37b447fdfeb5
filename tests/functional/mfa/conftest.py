"""Fixtures of the MFA tests: the API's MFA service on a test clock, and IAM errors the emulator lacks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime

import pytest

from chalicelib import aws, wiring
from chalicelib.config import settings
from chalicelib.onboarding.enrollment import Enrollment
from chalicelib.people.mfa_admin import MfaAdmin
from tests.functional.mfa.support import Clock
from tests.support.faults import failing


@pytest.fixture
def clock(aws_account: None, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The API's MFA services (the newcomer's and the admin's) on a clock the test controls.

    It starts ten seconds into a 30-second step (so "this step" and "the step before" are unambiguous)
    and no later than the real now, since the credential claim issues links on the real clock.
    """
    real = int(datetime.now(UTC).timestamp())
    start = datetime.fromtimestamp(real - real % 30 - 20, UTC)
    moving = Clock(start)
    for name, service in (("enrollment", Enrollment), ("mfa_admin", MfaAdmin)):
        monkeypatch.setattr(
            wiring, name, lambda service=service: service(aws.iam(), wiring.store(), settings(), clock=moving)
        )
    return moving


@pytest.fixture
def aws_error(aws_account: None) -> Iterator[Callable[..., None]]:
    """Make the next `times` IAM calls of `operation` fail with `code`, as real IAM would answer, until the
    test ends (`tests.support.faults.failing`: the emulator never sees those calls)."""
    with ExitStack() as faults:

        def fail(operation: str, code: str, times: int = 1, status: int = 400) -> None:
            faults.enter_context(failing(aws.iam(), operation, code, status=status, times=times))

        yield fail
