"""Every elevation service the app builds in these tests runs on one clock the test moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import aws, wiring, wiring_elevation
from chalicelib.config import settings
from chalicelib.elevation.decisions import ElevationDecisions
from chalicelib.elevation.ending import GrantEnding
from chalicelib.elevation.requests import ElevationRequests


class Clock:
    """The wall clock of the elevation services, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move on by `delta` (timedelta's keywords); the new time."""
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(aws_account: None, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The clock of every elevation service built while the test runs."""
    clock = Clock()
    for name, cls in (
        ("elevation_requests", ElevationRequests),
        ("elevation_decisions", ElevationDecisions),
        ("grant_ending", GrantEnding),
    ):
        monkeypatch.setattr(
            wiring_elevation,
            name,
            lambda cls=cls: cls(aws.iam(), wiring.store(), settings(), aws.scheduler(), clock=clock),
        )
    return clock
