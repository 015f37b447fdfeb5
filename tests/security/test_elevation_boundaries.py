"""Temporary elevation's trust boundaries, each crossed with a forgery through the real entry point:
another account, a role session, a long-term key, a stale MFA session, and a direct invocation of the
revoke function with an event the table does not back."""

from __future__ import annotations

import json
import re

import pytest

from app import app, elevation_revoke
from chalicelib import aws, wiring
from chalicelib.elevation.ending import NotDueYet
from local.gate import ResourcePolicyGate
from tests.security.lambda_entry import OWN_ACCOUNT, invoke, request_event
from tests.support.api import Api

ELEVATION_ROUTES = sorted(
    (method, path)
    for path, methods in app.routes.items()
    if path.startswith(("/elevations", "/admin/elevations"))
    for method in methods
)
OWN_ROUTES = [(m, p) for m, p in ELEVATION_ROUTES if p.startswith("/elevations")]
ROLE_SESSION = f"arn:aws:sts::{OWN_ACCOUNT}:assumed-role/deployer/alice"
ASK = {"group": "administrator", "minutes": 60, "reason": "deploy the fix"}


def test_every_elevation_route_of_the_spec_is_served() -> None:
    assert len(ELEVATION_ROUTES) == 7


def _event(method: str, path: str, user_arn: str, access_key: str = "ASIAEXAMPLEBOBSESSION") -> dict:  # type: ignore[type-arg]
    params = dict.fromkeys(re.findall(r"\{([^}]+)\}", path), "0123456789ab")
    body = ASK if (method, path) == ("POST", "/elevations") else None
    event = request_event(method, path, path_parameters=params or None, body=body, user_arn=user_arn)
    event["requestContext"]["identity"]["accessKey"] = access_key
    return event


def _grants() -> list[object]:
    return list(wiring.store().list_grants())


@pytest.mark.parametrize(("method", "path"), ELEVATION_ROUTES)
def test_a_user_of_another_account_is_refused_every_elevation_route(api: Api, method: str, path: str) -> None:
    status, body = invoke(_event(method, path, "arn:aws:iam::999999999999:user/onboarding/alice"))

    assert (status, body["error"]["code"]) == (403, "foreign_account")
    assert _grants() == []


@pytest.mark.parametrize(("method", "path"), OWN_ROUTES)
def test_a_role_session_of_this_account_is_refused_every_own_elevation_route(
    api: Api, method: str, path: str
) -> None:
    status, body = invoke(_event(method, path, ROLE_SESSION))

    assert (status, body["error"]["code"]) == (403, "forbidden")
    assert _grants() == []


def test_a_role_session_cannot_approve(api: Api) -> None:
    status, body = invoke(_event("POST", "/admin/elevations/{elevation_id}/approve", ROLE_SESSION))

    assert (status, body["error"]["code"]) == (403, "forbidden")


def test_a_long_term_key_cannot_ask_for_elevation(api: Api) -> None:
    aws.iam().create_user(UserName="alice", Path="/onboarding/")
    event = _event(
        "POST", "/elevations", f"arn:aws:iam::{OWN_ACCOUNT}:user/onboarding/alice", "AKIAEXAMPLEALICEKEY0"
    )

    status, body = invoke(event)

    assert (status, body["error"]["code"]) == (403, "mfa_required")
    assert _grants() == []


@pytest.mark.parametrize(("method", "path"), ELEVATION_ROUTES)
def test_the_resource_policy_refuses_a_stale_or_missing_mfa_session_on_every_elevation_route(
    method: str, path: str
) -> None:
    gate = ResourcePolicyGate.from_file(account_id=OWN_ACCOUNT)
    concrete = path.replace("{elevation_id}", "0123456789ab")
    own = {"aws:PrincipalAccount": OWN_ACCOUNT}

    assert gate.allows(
        method, concrete, {**own, "aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "120"}
    )
    assert not gate.allows(
        method, concrete, {**own, "aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "3601"}
    )
    assert not gate.allows(method, concrete, {**own, "aws:MultiFactorAuthPresent": "false"})
    assert not gate.allows(method, concrete, own)  # a long-term key carries no MFA key at all
    assert not gate.allows(
        method, concrete, {"aws:PrincipalAccount": "999999999999", "aws:MultiFactorAuthPresent": "true"}
    )


def test_a_stale_mfa_session_cannot_ask_or_approve_through_the_local_gateway(api: Api) -> None:
    aws.iam().create_user(UserName="alice", Path="/onboarding/")
    stale = {"X-Dev-Mfa-Age": "3601"}

    asked = api.call("POST", "/elevations", ASK, caller="alice", mfa="true", headers=stale)
    fresh = api.call("POST", "/elevations", ASK, caller="alice", mfa="true", headers={"X-Dev-Mfa-Age": "60"})
    approved = api.as_admin("POST", f"/admin/elevations/{fresh.body['id']}/approve", headers=stale)

    assert (asked.status, asked.body["error"]["code"]) == (403, "mfa_required")
    assert fresh.status == 201
    assert (approved.status, approved.body["error"]["code"]) == (403, "mfa_required")
    assert "administrator" not in {
        g["GroupName"] for g in aws.iam().list_groups_for_user(UserName="alice")["Groups"]
    }


def _live_grant(api: Api) -> str:
    aws.iam().create_user(UserName="alice", Path="/onboarding/")
    grant_id = str(api.call("POST", "/elevations", ASK, caller="alice", mfa="true").body["id"])
    assert api.as_admin("POST", f"/admin/elevations/{grant_id}/approve").status == 200
    return grant_id


def _alice_is_admin() -> bool:
    groups = aws.iam().list_groups_for_user(UserName="alice")["Groups"]
    return "administrator" in {g["GroupName"] for g in groups}


def test_a_forged_revoke_event_naming_a_live_grant_ends_nothing(api: Api) -> None:
    grant_id = _live_grant(api)

    with pytest.raises(NotDueYet):
        elevation_revoke({"grant_id": grant_id}, None)

    assert _alice_is_admin()
    assert wiring.store().get_grant(grant_id).state.value == "approved"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "event",
    [
        {"sweep": True},
        {"grant_id": "ffffffffffff"},
        {"user_name": "alice", "group": "administrator"},
        {"grant_id": ["x"], "sweep": "yes"},
    ],
    ids=json.dumps,
)
def test_a_forged_revoke_event_of_any_other_shape_ends_nothing(api: Api, event: dict) -> None:  # type: ignore[type-arg]
    _live_grant(api)

    assert elevation_revoke(event, None) == {"ended": []}

    assert _alice_is_admin()
