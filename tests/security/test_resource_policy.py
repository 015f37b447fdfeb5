"""API Gateway's resource policy, as the merged template deploys it: other accounts, no MFA, stale MFA.

The template is `make package`'s own output; `Fn::Sub` is resolved as CloudFormation would for the
stack's account, and the statements are evaluated by the local gate (which refuses what it cannot
evaluate, so nothing in the policy goes unread).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from app import app
from local.gate import ResourcePolicyGate

STACK_ACCOUNT = "123456789012"
OWN = {"aws:PrincipalAccount": STACK_ACCOUNT}
FOREIGN = {"aws:PrincipalAccount": "999999999999"}
FRESH_MFA = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "120"}


def resolve(value: Any) -> Any:
    """`value` with `Fn::Sub` of the stack's pseudo parameters resolved (the only intrinsic used here)."""
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        return re.sub(r"\$\{AWS::AccountId\}", STACK_ACCOUNT, value["Fn::Sub"])
    if isinstance(value, dict):
        return {k: resolve(v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v) for v in value]
    return value


@pytest.fixture(scope="module")
def gate(template: dict[str, Any]) -> ResourcePolicyGate:
    body = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    return ResourcePolicyGate.from_policy(resolve(body["x-amazon-apigateway-policy"]))


def signed_routes() -> list[tuple[str, str]]:
    """Every route of the app behind IAM auth, with `{param}` filled in."""
    return [
        (method, re.sub(r"\{[^}]+\}", "alice", path))
        for path, methods in app.routes.items()
        for method, route in methods.items()
        if route.authorizer is not None
    ]


def test_the_app_has_signed_routes_to_check() -> None:
    assert len(signed_routes()) >= 10


@pytest.mark.parametrize(("method", "path"), signed_routes())
def test_another_account_is_denied_every_signed_route_even_with_fresh_mfa(
    gate: ResourcePolicyGate, method: str, path: str
) -> None:
    assert gate.allows(method, path, {**FOREIGN, **FRESH_MFA}) is False


def test_our_own_admin_with_fresh_mfa_is_let_through(gate: ResourcePolicyGate) -> None:
    assert gate.allows("POST", "/admin/users", {**OWN, **FRESH_MFA}) is True


@pytest.mark.parametrize(
    "mfa",
    [{}, {"aws:MultiFactorAuthPresent": "false"}],
    ids=["long-term key", "session without mfa"],
)
def test_our_own_principal_without_mfa_is_denied_admin_routes(
    gate: ResourcePolicyGate, mfa: dict[str, str]
) -> None:
    assert gate.allows("POST", "/admin/users", {**OWN, **mfa}) is False


def test_an_mfa_session_older_than_an_hour_is_denied_admin_routes(gate: ResourcePolicyGate) -> None:
    stale = {**OWN, "aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "3601"}

    assert gate.allows("POST", "/admin/users", stale) is False
    assert gate.allows("GET", "/session/mfa", stale) is True


def test_our_own_principal_without_mfa_may_still_ask_who_it_is(gate: ResourcePolicyGate) -> None:
    assert gate.allows("GET", "/session", OWN) is True


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/onboarding/credentials"), ("POST", "/slack/commands")]
)
def test_anonymous_routes_stay_open_to_requests_without_a_principal(
    gate: ResourcePolicyGate, method: str, path: str
) -> None:
    assert gate.allows(method, path, {}) is True


def test_the_policy_names_the_stacks_account_through_fn_sub(template: dict[str, Any]) -> None:
    body = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    denying = [
        s
        for s in body["x-amazon-apigateway-policy"]["Statement"]
        if "StringNotEquals" in s.get("Condition", {})
    ]

    assert [s["Condition"]["StringNotEquals"] for s in denying] == [
        {"aws:PrincipalAccount": {"Fn::Sub": "${AWS::AccountId}"}}
    ]
