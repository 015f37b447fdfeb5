"""Make one AWS operation answer with an error, the way AWS would, on top of the emulator.

A botocore `before-call` hook returns the error response instead of sending the request: botocore then
raises the same `ClientError` it raises for a real AWS error. Everything else still reaches moto.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import AWSResponse


@contextmanager
def failing(
    client: Any, operation: str, code: str, *, status: int = 400, times: int = 1
) -> Iterator[list[int]]:
    """Fail the next `times` calls of `operation` on `client` with AWS error `code`; yields the hit count."""
    hits: list[int] = []
    event = f"before-call.{client.meta.service_model.service_id.hyphenize()}.{operation}"

    def answer(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
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
