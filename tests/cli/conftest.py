"""Fixtures of the CLI's tests; the helpers they use are in tests/support/cli.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.cli import Recorder, recording_endpoint


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A recording endpoint for one test."""
    with recording_endpoint() as endpoint:
        yield endpoint
