"""A leaked link's use can be timed and told apart: the claim and the enrollment are trailed with the IP.

Driven through `app.app(event, context)` with the saved API Gateway event, whose
`requestContext.identity.sourceIp` is what API Gateway saw (a header the caller writes is not).
"""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib import wiring
from tests.functional.mfa.support import codes
from tests.security.lambda_entry import invoke, request_event
from tests.support.api import Api, token_of

SOURCE_IP = "198.51.100.7"  # the saved event's sourceIp


def onboarding(resource: str, body: dict[str, str]) -> tuple[int, dict[str, object]]:
    event = request_event("POST", resource, body=body, user_arn=None)
    event["headers"]["X-Forwarded-For"] = "203.0.113.66"  # written by the caller: not the source
    return invoke(event)


def newcomer_entries(action: str) -> list[tuple[str, str, str]]:
    return [(e.actor, e.target, e.channel) for e in wiring.store().trail() if e.action == action]


def claimed(api: Api) -> dict[str, object]:
    reply = api.as_admin("POST", "/admin/users", {"user_name": "alice", "groups": ["developer"]})
    status, body = onboarding("/onboarding/credentials", {"token": token_of(reply.body["bundle"]["url"])})
    assert status == 200, body
    return body


def test_a_credential_claim_is_trailed_with_the_source_ip(api: Api) -> None:
    claimed(api)

    assert newcomer_entries("claim_credentials") == [
        (f"alice (newcomer from {SOURCE_IP})", "alice", "onboarding")
    ]


def test_an_enrollment_is_trailed_with_the_source_ip(api: Api) -> None:
    token = str(claimed(api)["enrollment"]["token"])  # type: ignore[index]
    status, started = onboarding("/onboarding/mfa", {"token": token})
    assert status == 200, started
    code1, code2 = codes(str(started["secret"]), datetime.now(UTC))

    status, body = onboarding("/onboarding/mfa/verify", {"token": token, "code1": code1, "code2": code2})

    assert status == 200, body
    assert newcomer_entries("enroll_mfa") == [(f"alice (newcomer from {SOURCE_IP})", "alice", "onboarding")]
