"""Where the emulator is not faithful enough for our guarantees, make it so (never a fake of AWS).

DynamoDB applies each conditional write atomically: of two concurrent `UpdateItem`s conditioned on
`attribute_not_exists(claimed_at)`, exactly one succeeds. moto evaluates the condition and writes in two
steps with no lock, so concurrent requests can both win. One lock around moto's write paths restores
DynamoDB's behaviour; reads stay unlocked, as they are in DynamoDB.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_LOCK = threading.RLock()
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")


def make_dynamodb_writes_atomic() -> None:
    """Serialise moto's DynamoDB writes (idempotent)."""
    from moto.dynamodb.models import DynamoDBBackend

    for name in _WRITES:
        original: Callable[..., Any] = getattr(DynamoDBBackend, name)
        if getattr(original, "_atomic", False):
            continue

        @functools.wraps(original)
        def atomic(self: Any, *args: Any, _original: Callable[..., Any] = original, **kwargs: Any) -> Any:
            with _LOCK:
                return _original(self, *args, **kwargs)

        atomic._atomic = True  # type: ignore[attr-defined]
        setattr(DynamoDBBackend, name, atomic)
