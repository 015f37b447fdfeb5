"""Watch the AWS calls our code makes, through botocore's own event hooks (tests and benchmarks)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@contextmanager
def observing_calls(
    on_call: Callable[[Any, dict[str, Any]], None], clients: Iterable[Any] | None = None
) -> Iterator[None]:
    """Call `on_call(operation_model, params)` before each AWS call of `clients` while inside the block.

    By default every client `chalicelib.aws` makes is watched. The hook sees the parameters as the code
    passed them, which moto does not keep (e.g. CreateLoginProfile's PasswordResetRequired).
    """
    from chalicelib import aws

    watched = (
        list(clients)
        if clients is not None
        else [aws.iam(), aws.dynamodb(), aws.sts(), aws.ssm(), aws.lambda_()]
    )

    def hook(params: dict[str, Any], model: Any, **_: Any) -> None:
        on_call(model, params)

    for client in watched:
        client.meta.events.register("provide-client-params", hook)
    try:
        yield
    finally:
        for client in watched:
            client.meta.events.unregister("provide-client-params", hook)


@dataclass(frozen=True)
class Call:
    """One AWS API call as our code made it."""

    service: str  # botocore's service name: iam, dynamodb, sts, ssm, lambda
    operation: str
    params: dict[str, Any]


class CallLog(list[Call]):
    """The AWS calls made while `recording_calls` was active, in order."""

    def operations(self, service: str | None = None) -> list[str]:
        """The operation names, in order."""
        return [c.operation for c in self if service in (None, c.service)]

    def of(self, operation: str) -> list[dict[str, Any]]:
        """The parameters of each call to `operation`."""
        return [c.params for c in self if c.operation == operation]

    def counts(self) -> Counter[str]:
        """How many calls of each operation, by `service:Operation` (`iam:CreateUser`)."""
        return Counter(f"{c.service}:{c.operation}" for c in self)


@contextmanager
def recording_calls(clients: Iterable[Any] | None = None) -> Iterator[CallLog]:
    """Every AWS call of `clients` (by default, the container's) while inside the block."""
    log = CallLog()

    def record(model: Any, params: dict[str, Any]) -> None:
        log.append(Call(model.service_model.service_name, model.name, dict(params)))

    with observing_calls(record, clients):
        yield log
