"""The admin trail as the services write it: one entry per admin action, `ok` or how it failed."""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

from chalicelib.aws_errors import failure_text
from chalicelib.models.records import Actor, TrailEntry

if TYPE_CHECKING:
    from datetime import datetime

    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

    from chalicelib.state.trail import TrailItems


class Trail:
    """Entries of the trail, stamped by one clock."""

    def __init__(self, store: TrailItems, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    def ok(
        self, actor: Actor, action: str, target: str, *, outcome: str = "ok", detail: str | None = None
    ) -> TransactWriteItemTypeDef:
        """The success entry of an action, as a write of the transaction that does the action."""
        return self._store.trail_put(
            TrailEntry(actor.id, action, target, actor.channel, outcome, self._clock(), detail)
        )

    def failed(
        self, actor: Actor, action: str, target: str, error: BaseException, *, detail: str | None = None
    ) -> None:
        """Record that an action failed; losing this record must not hide the real error."""
        entry = TrailEntry(
            actor.id, action, target, actor.channel, failure_text(error), self._clock(), detail
        )
        with contextlib.suppress(Exception):
            self._store.record(entry)


class Recording(Protocol):
    """A service whose admin actions are `@recorded`."""

    trail: Trail


def recorded[F: Callable[..., Any]](action: str, *, target: str = "user_name") -> Callable[[F], F]:
    """Record a failure of the decorated admin action in the trail, then let the error through.

    The action's own success entry is written in its transaction (`Trail.ok`); this covers every way it
    can fail. The method takes an `actor`; the target is its argument named `target`, or else `target`
    itself (the audit's target is the account).
    """

    def decorate(method: F) -> F:
        signature = inspect.signature(method)

        @functools.wraps(method)
        def wrapper(self: Recording, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except Exception as error:
                called = signature.bind(self, *args, **kwargs)
                called.apply_defaults()
                arguments = called.arguments
                self.trail.failed(arguments["actor"], action, str(arguments.get(target, target)), error)
                raise

        return cast("F", wrapper)

    return decorate
