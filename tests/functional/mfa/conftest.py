"""Fixtures of the MFA tests: the API's MFA service on a test clock, and IAM errors the emulator lacks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib import aws, wiring
from chalicelib.config import settings
from chalicelib.onboarding.enrollment import Enrollment
from chalicelib.people.mfa_admin import MfaAdmin
from tests.functional.mfa.support import Clock


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


class _Http:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.headers: dict[str, str] = {}


@pytest.fixture
def aws_error(aws_account: None) -> Iterator[Callable[..., None]]:
    """Make the next `times` IAM calls of `operation` fail with `code`, as real IAM would answer.

    A botocore `before-call` hook short-circuits the request, so the emulator never sees it and our code
    gets the very ClientError botocore raises for such an answer.
    """
    registered: list[tuple[str, Callable[..., Any]]] = []

    def fail(operation: str, code: str, times: int = 1, status: int = 400) -> None:
        left = [times]

        def hook(**_: Any) -> Any:
            if left[0] == 0:
                return None
            left[0] -= 1
            return _Http(status), {
                "Error": {"Code": code, "Message": f"{code} (injected)"},
                "ResponseMetadata": {"HTTPStatusCode": status},
            }

        event = f"before-call.iam.{operation}"
        aws.iam().meta.events.register(event, hook)
        registered.append((event, hook))

    yield fail
    for event, hook in registered:
        aws.iam().meta.events.unregister(event, hook)
