"""Watch the AWS calls our code makes, through botocore's own event hooks (tests and benchmarks)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
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
