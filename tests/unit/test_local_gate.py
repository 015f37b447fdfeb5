"""The local gate decides as the deployed resource policy file says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.gate import ResourcePolicyGate

OWN, FOREIGN = {"aws:PrincipalAccount": "123456789012"}, {"aws:PrincipalAccount": "999999999999"}
GATE = ResourcePolicyGate.from_file(account_id="123456789012")
MFA = {**OWN, "aws:MultiFactorAuthPresent": "true"}
NO_MFA = {**OWN, "aws:MultiFactorAuthPresent": "false"}
LONG_TERM = OWN


@pytest.mark.parametrize(
    ("method", "path", "context", "allowed"),
    [
        ("GET", "/admin/users", MFA, True),
        ("POST", "/admin/users", NO_MFA, False),
        ("DELETE", "/admin/users/alice", LONG_TERM, False),
        ("GET", "/session/mfa", MFA, True),
        ("GET", "/session/mfa", NO_MFA, False),
        ("GET", "/session/mfa", LONG_TERM, False),
        ("GET", "/session", LONG_TERM, True),
        ("POST", "/onboarding/credentials", LONG_TERM, True),
        ("POST", "/onboarding/credentials", {}, True),
        ("GET", "/admin/users", {**MFA, "aws:MultiFactorAuthAge": "3601"}, False),
        ("GET", "/admin/users", {**MFA, "aws:MultiFactorAuthAge": "60"}, True),
        ("GET", "/admin/users", {**MFA, **FOREIGN}, False),
        ("GET", "/session", FOREIGN, False),
        ("GET", "/session/mfa", {**MFA, **FOREIGN}, False),
    ],
)
def test_the_gate_follows_the_resource_policy(
    method: str, path: str, context: dict[str, str], allowed: bool
) -> None:
    assert GATE.allows(method, path, context) is allowed


def test_a_policy_the_gate_cannot_evaluate_is_refused_at_load(tmp_path: Path) -> None:
    policy = {
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "execute-api:Invoke",
                "Resource": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            }
        ]
    }
    (tmp_path / "p.json").write_text(json.dumps(policy))

    with pytest.raises(ValueError, match="IpAddress"):
        ResourcePolicyGate.from_file(tmp_path / "p.json", account_id="123456789012")


def test_without_an_allow_nothing_passes(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text(json.dumps({"Statement": []}))

    assert (
        ResourcePolicyGate.from_file(tmp_path / "p.json", account_id="123456789012").allows(
            "GET", "/onboarding/credentials", {}
        )
        is False
    )
