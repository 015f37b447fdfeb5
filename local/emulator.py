"""moto, the emulator under `make run`, the tests and the benchmarks: made faithful where our guarantees
need it (never a fake of AWS), and a fresh emulated account inside this process.

DynamoDB applies each conditional write atomically: of two concurrent `UpdateItem`s conditioned on
`attribute_not_exists(claimed_at)`, exactly one succeeds. moto evaluates the condition and writes in two
steps with no lock, so concurrent requests can both win. One lock around moto's write paths restores
DynamoDB's behaviour; reads stay unlocked, as they are in DynamoDB.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


# moto's own throwaway credentials: set, never defaulted, so that nothing run against the in-process
# emulator can pick up a developer's real ones.
_IN_PROCESS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",  # AdministratorAccess, ReadOnlyAccess exist
}
ACCOUNT_ID = "123456789012"  # moto's default account


def use_in_process_emulator() -> None:
    """Point this process's AWS clients at moto inside it (tests, benchmarks): fake credentials, no
    `AWS_ENDPOINT_URL`."""
    os.environ.update(_IN_PROCESS_ENVIRONMENT)
    os.environ.pop("AWS_ENDPOINT_URL", None)


@contextmanager
def emulated_account() -> Iterator[None]:
    """A fresh in-process emulated account, bootstrapped as `make run` does, in a cold container."""
    from moto import mock_aws

    from chalicelib import aws, wiring
    from chalicelib.config import settings
    from local.bootstrap import bootstrap

    use_in_process_emulator()
    wiring.reset()
    try:
        with mock_aws():
            bootstrap(aws.iam(), aws.dynamodb(), settings(), ACCOUNT_ID)
            yield
    finally:
        wiring.reset()
