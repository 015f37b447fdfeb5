"""Make one AWS operation answer with an error, the way AWS would, on top of the emulator.

Two depths, through botocore's own hooks; everything else still reaches moto. `failing` answers at
`before-call`, instead of sending the request: botocore raises the same `ClientError` it raises for a
real AWS error, without retrying it. `failing_on_the_wire` answers at `before-send`, as the wire would:
the error takes botocore's whole response path, its retries included (the fault-injection suite).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import AWSResponse


@contextmanager
def failing(
    client: Any, operation: str, code: str, *, status: int = 400, times: int = 1, skip: int = 0
) -> Iterator[list[int]]:
    """Fail the next `times` calls of `operation` on `client` with AWS error `code`, after letting `skip`
    calls through; yields the hit count."""
    hits: list[int] = []
    skipped = [0]
    event = f"before-call.{client.meta.service_model.service_id.hyphenize()}.{operation}"

    def answer(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if skipped[0] < skip:
            skipped[0] += 1
            return None
        if len(hits) >= times:
            return None
        hits.append(1)
        body = {
            "Error": {"Code": code, "Message": f"injected {code}"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        return AWSResponse("https://aws.invalid", status, {}, None), body

    client.meta.events.register(event, answer)
    try:
        yield hits
    finally:
        client.meta.events.unregister(event, answer)


class _Body:
    """The raw body of an injected answer, as botocore reads it."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def error_body(protocol: str, code: str) -> bytes:
    """An AWS error response body in the service's protocol (query/XML for IAM and STS, JSON for DynamoDB)."""
    if protocol.startswith("json"):
        return json.dumps(
            {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": f"injected {code}"}
        ).encode()
    return (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>injected {code}</Message></Error>"
        "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    ).encode()


@contextmanager
def failing_on_the_wire(
    client: Any,
    operation: str,
    code: str,
    *,
    status: int = 400,
    nth: int = 1,
    attempts: int | None = None,
    after_effect: bool = False,
) -> Iterator[list[int]]:
    """Answer `code` to the `nth` call of `operation` (and every later one), as AWS would on the wire.

    Unlike `failing`, the answer takes botocore's whole response path, retry handler included: with
    `attempts=2` the first two attempts of the `nth` call fail and its retry succeeds; with `attempts=None`
    every attempt of that call and of the later calls fails. With `after_effect`, each failing attempt
    reaches the emulator first and takes effect, and only its answer is the error: a write that happened
    although the client saw it fail (botocore's retry then sends it again). Yields one entry per injected
    answer.
    """
    hits: list[int] = []
    service = client.meta.service_model.service_id.hyphenize()
    protocol = client.meta.service_model.protocol
    calls = [0]
    lock = threading.Lock()
    current = threading.local()  # a call and its retries run in one thread; parallel calls do not share

    def count(**_: Any) -> None:
        with lock:
            calls[0] += 1
            current.index, current.failed = calls[0], 0

    def answer(request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        index = getattr(current, "index", 0)
        if index < nth or (attempts is not None and (index != nth or current.failed >= attempts)):
            return None
        if getattr(current, "forwarding", False):
            return None  # the emulator's own hook, next in line, answers this one
        current.failed += 1
        hits.append(index)
        if after_effect:
            current.forwarding = True
            try:
                client.meta.events.emit_until_response(event_name, request=request)
            finally:
                current.forwarding = False
        request.url = "https://fault.invalid/"  # the emulator (also a before-send hook) must not act on it
        return AWSResponse(request.url, status, {}, _Body(error_body(protocol, code)))

    client.meta.events.register_first(f"before-call.{service}.{operation}", count)
    client.meta.events.register_first(f"before-send.{service}.{operation}", answer)
    try:
        yield hits
    finally:
        client.meta.events.unregister(f"before-call.{service}.{operation}", count)
        client.meta.events.unregister(f"before-send.{service}.{operation}", answer)
