"""moto, the emulator under `make run`, the tests and the benchmarks: made faithful where our guarantees
need it (never a fake of AWS), and a fresh emulated account inside this process.

Where moto is more lenient than AWS in a way our guarantees depend on, `make_faithful` makes it as strict:

- DynamoDB applies each conditional write atomically: of two concurrent `UpdateItem`s conditioned on
  `attribute_not_exists(claimed_at)`, exactly one succeeds. moto evaluates the condition and writes in two
  steps with no lock, so concurrent requests can both win. One lock around moto's write paths restores
  DynamoDB's behaviour; reads stay unlocked, as they are in DynamoDB.
- DynamoDB's `TransactWriteItems` is idempotent for 10 minutes per `ClientRequestToken`, which botocore
  fills in once per call and resends with each retry: a retry of a transaction that took effect succeeds
  without writing again. moto applies it again (and its conditions then fail).
- IAM refuses `DeleteUser` while anything is attached (login profile, keys, certificates, SSH keys, MFA
  devices, group memberships, policies), `DeleteVirtualMFADevice` while the device is assigned, and
  `EnableMFADevice` of a virtual device that does not exist or is assigned already. moto refuses
  only attached policies, and does none of the rest.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_LOCK = threading.RLock()
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")


def make_faithful() -> None:
    """Make moto as strict as AWS where the product's guarantees depend on it (idempotent)."""
    make_dynamodb_writes_atomic()
    _make_transactions_idempotent()
    _make_iam_strict()


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


# How long DynamoDB remembers a transaction's ClientRequestToken.
_TOKEN_SECONDS = 600
_SEEN_TOKENS: dict[str, tuple[float, str]] = {}


def _make_transactions_idempotent() -> None:
    from moto.core.responses import ActionResult
    from moto.dynamodb.responses import DynamoHandler

    original: Callable[..., Any] = DynamoHandler.transact_write_items
    if getattr(original, "_idempotent", False):
        return

    @functools.wraps(original)
    def idempotent(self: Any) -> Any:
        token = self.body.get("ClientRequestToken")
        if not token:
            return original(self)
        digest = json.dumps(self.body.get("TransactItems"), sort_keys=True, default=str)
        with _LOCK:
            now = time.monotonic()
            for seen, (at, _) in list(_SEEN_TOKENS.items()):
                if now - at > _TOKEN_SECONDS:
                    del _SEEN_TOKENS[seen]
            if token in _SEEN_TOKENS:
                if _SEEN_TOKENS[token][1] != digest:
                    from moto.dynamodb.exceptions import MockValidationException

                    raise MockValidationException("IdempotentParameterMismatch")
                return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
            answer = original(self)
            _SEEN_TOKENS[token] = (now, digest)
            return answer

    idempotent._idempotent = True  # type: ignore[attr-defined]
    setattr(DynamoHandler, "transact_write_items", idempotent)  # noqa: B010


def _make_iam_strict() -> None:
    from moto.iam import models
    from moto.iam.exceptions import DeleteConflictException, EntityAlreadyExists, NotFoundException

    backend = models.IAMBackend
    if getattr(backend.delete_user, "_strict", False):
        return
    delete_user, delete_device, enable_device = (
        backend.delete_user,
        backend.delete_virtual_mfa_device,
        backend.enable_mfa_device,
    )

    def strict_delete_user(self: Any, user_name: str) -> None:
        user = self.get_user(user_name)
        attached = {
            "login profile": user.password,
            "access keys": user.access_keys,
            "signing certificates": user.signing_certificates,
            "SSH public keys": user.ssh_public_keys,
            "MFA devices": user.mfa_devices,
            "groups": [g for g in self.groups.values() if user in g.users],
        }
        held = [kind for kind, things in attached.items() if things]
        if held:
            raise DeleteConflictException(f"Cannot delete entity, must remove {', '.join(held)} first.")
        delete_user(self, user_name)

    def strict_delete_device(self: Any, serial_number: str) -> None:
        device = self.virtual_mfa_devices.get(serial_number)
        if device is not None and device.user is not None:
            raise DeleteConflictException("MFA Device is still in use.")
        delete_device(self, serial_number)

    def strict_enable_device(
        self: Any, user_name: str, serial_number: str, *codes: Any, **named: Any
    ) -> None:
        if ":mfa/" in serial_number:
            device = self.virtual_mfa_devices.get(serial_number)
            if device is None:
                raise NotFoundException(f"VirtualMFADevice with serial number {serial_number} doesn't exist.")
            if device.user is not None:
                raise EntityAlreadyExists("MFA Device is already in use.")
        enable_device(self, user_name, serial_number, *codes, **named)

    stricter: dict[str, Any] = {
        "delete_user": strict_delete_user,
        "delete_virtual_mfa_device": strict_delete_device,
        "enable_mfa_device": strict_enable_device,
    }
    for name, strict in stricter.items():
        strict._strict = True
        setattr(backend, name, strict)


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


def use_local_revoke_function() -> None:
    """Invoking the revoke function, locally: its handler, in this process (there is no Lambda here)."""
    from app import elevation_revoke
    from chalicelib import wiring_elevation

    wiring_elevation.local_revoke_function = lambda event: elevation_revoke(event, None)


@contextmanager
def emulated_account() -> Iterator[None]:
    """A fresh in-process emulated account, bootstrapped as `make run` does, in a cold container."""
    from moto import mock_aws

    from chalicelib import aws, wiring
    from chalicelib.config import settings
    from local.bootstrap import bootstrap

    use_local_revoke_function()
    use_in_process_emulator()
    wiring.reset()
    try:
        with mock_aws():
            bootstrap(aws.iam(), aws.dynamodb(), settings(), ACCOUNT_ID, aws.scheduler())
            yield
    finally:
        wiring.reset()
