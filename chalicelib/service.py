"""What every service is built on: this deployment's IAM client, state table and settings, and a clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalicelib.config import Settings
from chalicelib.state import StateStore
from chalicelib.trail import Trail

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient


def utc_now() -> datetime:
    """The services' default clock."""
    return datetime.now(UTC)


class Service:
    """A service of the product; `trail` writes its admin actions (see `chalicelib.trail.recorded`)."""

    def __init__(
        self,
        iam: IAMClient,
        store: StateStore,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._iam = iam
        self._store = store
        self._settings = settings
        self._clock = clock
        self.trail = Trail(store, clock)
