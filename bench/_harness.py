"""What the benchmarks share: the Lambda handler invoked as API Gateway does, and the figures' rows.

The emulated account and the call log are local/emulator.py's and local/observe.py's.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.emulator import ACCOUNT_ID, use_in_process_emulator

use_in_process_emulator()


# --- invoking the Lambda handler as API Gateway does ------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
EVENT = json.loads((ROOT / "tests" / "events" / "apigw_post_admin_users.json").read_text())


class LambdaContext:
    """The parts of Lambda's context object Chalice reads."""

    function_name = "iam-onboarding-dev-api_handler"
    memory_limit_in_mb = 512
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        """What is left of the invocation's time."""
        return 30_000


def invoke(
    method: str,
    path: str,
    body: Any = None,
    *,
    caller: str | None = "admin",
    raw: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Invoke the API's Lambda handler with the event API Gateway sends for `method path`.

    `caller` is the IAM user that signed the request (with an MFA session's temporary key); None for the
    newcomer's and Slack's routes, which carry no IAM identity.
    """
    from app import app

    event: dict[str, Any] = copy.deepcopy(EVENT)
    sent = {"Content-Type": "application/json", **(headers or {})}
    event.update(
        resource=path,
        path=path,
        httpMethod=method,
        headers=sent,
        multiValueHeaders={k: [v] for k, v in sent.items()},
        body=raw if raw is not None else (json.dumps(body) if body is not None else None),
    )
    context = event["requestContext"]
    context.update(resourcePath=path, httpMethod=method, path=f"/api{path}")
    identity = context["identity"]
    if caller is None:
        identity.update(userArn=None, caller=None, user=None, accessKey=None)
    else:
        identity.update(userArn=f"arn:aws:iam::{ACCOUNT_ID}:user/{caller}", accessKey="ASIABENCHSESSION00")
    response: dict[str, Any] = app(event, LambdaContext())
    return response


def reply(response: dict[str, Any], status: int) -> Any:
    """The JSON body of a handler response that must have `status`."""
    assert response["statusCode"] == status, response["body"]
    return json.loads(response["body"]) if response["body"] else None


@dataclass(frozen=True)
class Row:
    """One line of `make bench`'s table: an operation's AWS calls beside the fewest it needs, and time."""

    operation: str
    cold_calls: int
    warm_calls: int
    minimum: int
    median_ms: float
    why: str
    detail: str
