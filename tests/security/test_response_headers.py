"""Headers a browser acts on: JSON is never sniffed into something else, the page insists on https.

Driven through the API function's real entry point, `app.app(event, context)`, with the saved API
Gateway event re-aimed at each route. API Gateway serves https only and says so in `X-Forwarded-Proto`.
"""

from __future__ import annotations

from typing import Any

import pytest

from app import app
from tests.security.lambda_entry import LambdaContext, request_event

HSTS = "Strict-Transport-Security"


def answer(method: str, resource: str, *, proto: str, body: Any = None) -> dict[str, Any]:
    event = request_event(method, resource, body=body, user_arn=None)
    event["headers"]["X-Forwarded-Proto"] = proto
    event["multiValueHeaders"]["X-Forwarded-Proto"] = [proto]
    response: dict[str, Any] = app(event, LambdaContext())
    return {k.lower(): v for k, v in {**response.get("headers", {})}.items()}


@pytest.mark.parametrize(
    ("method", "resource", "body"),
    [
        ("POST", "/onboarding/credentials", {"token": "A" * 43}),  # an error: 410 link_expired
        ("POST", "/onboarding/credentials", "not an object"),  # 400
        ("GET", "/openapi.json", None),  # a success
    ],
)
def test_every_json_response_forbids_content_type_sniffing(
    aws_account: None, method: str, resource: str, body: Any
) -> None:
    headers = answer(method, resource, proto="https", body=body)

    assert headers["content-type"].startswith("application/json")
    assert headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("resource", ["/", "/onboard", "/enroll", "/static/app.js", "/static/style.css"])
def test_the_page_served_over_https_tells_the_browser_to_use_https_only(
    aws_account: None, resource: str
) -> None:
    headers = answer("GET", resource, proto="https")

    assert headers[HSTS.lower()] == "max-age=31536000"


def test_the_page_served_over_plain_http_sends_no_hsts(aws_account: None) -> None:
    # Browsers ignore HSTS over http, and the local stack (http://127.0.0.1) must not pin itself.
    assert HSTS.lower() not in answer("GET", "/onboard", proto="http")
