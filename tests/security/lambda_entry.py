"""The API function's real entry point, `app.app(event, context)`, as Lambda calls it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from app import app

EVENTS = Path(__file__).resolve().parent.parent / "events"
OWN_ACCOUNT = "123456789012"


class LambdaContext:
    """The parts of Lambda's context object Chalice and the app read; Lambda, not the caller, writes it."""

    def __init__(self, account_id: str = OWN_ACCOUNT) -> None:
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:{account_id}:function:iam-onboarding-dev-api_handler"
        )

    function_name = "iam-onboarding-dev-api_handler"
    memory_limit_in_mb = 512
    aws_request_id = "5a3c2f1e-7b8d-4e9f-a0b1-c2d3e4f5a6b7"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def saved_event(name: str) -> dict[str, Any]:
    """A copy of a saved API Gateway proxy event from tests/events/."""
    return copy.deepcopy(json.loads((EVENTS / f"{name}.json").read_text()))


def invoke(event: dict[str, Any], context: LambdaContext | None = None) -> tuple[int, dict[str, Any]]:
    """The status and JSON body the API function answers `event` with."""
    response = app(event, context or LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def request_event(
    method: str,
    resource: str,
    *,
    path_parameters: dict[str, str] | None = None,
    body: Any = None,
    user_arn: str | None = f"arn:aws:iam::{OWN_ACCOUNT}:user/admin",
) -> dict[str, Any]:
    """The saved API Gateway event, re-aimed at `method resource`, signed by `user_arn` (None: anonymous)."""
    event = saved_event("apigw_post_admin_users")
    path = resource
    for name, value in (path_parameters or {}).items():
        path = path.replace(f"{{{name}}}", value)
    event.update(
        resource=resource,
        path=path,
        httpMethod=method,
        pathParameters=path_parameters,
        body=None if body is None else json.dumps(body),
    )
    context = event["requestContext"]
    context.update(resourcePath=resource, httpMethod=method, path=f"/api{path}")
    if user_arn is None:
        context["identity"].update(userArn=None, accessKey=None, caller=None, user=None)
    else:
        context["identity"].update(userArn=user_arn, accountId=user_arn.split(":")[4])
    return event
