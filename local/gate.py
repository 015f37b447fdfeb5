"""The local twin of the API's resource policy: it reads `policies/api-gateway.json` itself.

Only what that file uses is understood (Allow/Deny on `execute-api:Invoke` with `Bool[IfExists]` and
`NumericGreaterThan[IfExists]` on the MFA keys, `StringNotEquals` on `aws:PrincipalAccount`, and the
`${AWS::AccountId}` the merged template substitutes); anything else fails loudly at load, so the local
gate can never silently drift from what the deployed API enforces.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

POLICY_FILE = Path(__file__).resolve().parent.parent / "policies" / "api-gateway.json"
_KEYS = {"aws:MultiFactorAuthPresent", "aws:MultiFactorAuthAge", "aws:PrincipalAccount"}
_OPERATORS = {"Bool", "BoolIfExists", "NumericGreaterThan", "NumericGreaterThanIfExists", "StringNotEquals"}
# The one template variable the file may use; `deploy/merge_template.py` turns it into `Fn::Sub`.
ACCOUNT_VARIABLE = "${AWS::AccountId}"


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _condition_holds(operator: str, actual: str | None, expected: Any) -> bool:
    if operator == "StringNotEquals":
        # IAM: a negated operator matches when the key is absent (an anonymous request has no account).
        return actual is None or actual not in _as_list(expected)
    if isinstance(expected, list):
        raise ValueError(f"local gate cannot evaluate {operator} over a list")
    if actual is None:
        return operator.endswith("IfExists")
    if operator.startswith("Bool"):
        return actual.lower() == str(expected).lower()
    return float(actual) > float(expected)


@dataclass(frozen=True)
class ResourcePolicyGate:
    """Decides, like API Gateway would, whether a request may reach the Lambda."""

    statements: tuple[dict[str, Any], ...]

    @classmethod
    def from_file(cls, path: Path = POLICY_FILE, *, account_id: str) -> ResourcePolicyGate:
        """Load and check the policy file for the API of `account_id`."""
        text = path.read_text().replace(ACCOUNT_VARIABLE, account_id)
        return cls.from_policy(json.loads(text))

    @classmethod
    def from_policy(cls, policy: dict[str, Any]) -> ResourcePolicyGate:
        """Check a resource policy with its variables resolved."""
        statements = tuple(policy["Statement"])
        if "${" in json.dumps(statements):
            raise ValueError("local gate cannot evaluate a policy with unresolved variables")
        for s in statements:
            if _as_list(s["Action"]) != ["execute-api:Invoke"] or s["Effect"] not in ("Allow", "Deny"):
                raise ValueError(f"local gate cannot evaluate statement {s.get('Sid')}")
            for operator, pairs in s.get("Condition", {}).items():
                if operator not in _OPERATORS or not set(pairs) <= _KEYS:
                    raise ValueError(f"local gate cannot evaluate condition {operator} {sorted(pairs)}")
        return cls(statements)

    def allows(self, method: str, path: str, context: dict[str, str]) -> bool:
        """Whether `method path` is allowed for a request with these condition keys."""
        # The file may name resources as full ARNs (what the IAM linter accepts) or in API Gateway's
        # `execute-api:/stage/METHOD/path` shorthand; the request matches either form.
        resources = (
            f"arn:aws:execute-api:local:000000000000:local/api/{method}{path}",
            f"execute-api:/api/{method}{path}",
        )

        def applies(s: dict[str, Any]) -> bool:
            patterns = _as_list(s["Resource"])
            if not any(fnmatch.fnmatchcase(res, r) for res in resources for r in patterns):
                return False
            return all(
                _condition_holds(op, context.get(key), expected)
                for op, pairs in s.get("Condition", {}).items()
                for key, expected in pairs.items()
            )

        matching = [s for s in self.statements if applies(s)]
        return any(s["Effect"] == "Allow" for s in matching) and not any(
            s["Effect"] == "Deny" for s in matching
        )
