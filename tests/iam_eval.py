"""A small IAM identity-policy evaluator, for tests of the policies under `policies/`.

It follows the documented evaluation logic for identity-based policies in one account: an explicit deny
wins over any allow, an allow wins over the implicit deny. It understands what our policies and the AWS
managed policies we attach use — Action/NotAction and Resource/NotResource with `*`/`?` wildcards,
`${key}` policy variables (plus the `${*}`, `${?}`, `${$}` escapes), and the `Bool` and `StringEquals`
condition operators with or without `IfExists`, and `ForAllValues:StringNotEquals` (a multi-valued key
given comma-separated) — and refuses anything else loudly, so a test can never pass because the evaluator
silently ignored part of a policy.

Faithful details that matter for Force-MFA:
- action names match case-insensitively, resource ARNs case-sensitively;
- an ARN pattern is matched segment by segment (a wildcard never spans a `:`), but inside the resource
  segment `*` spans `/`, so `user/*/alice` matches `user/onboarding/alice`;
- a substituted variable is a literal, and a variable whose key is absent makes the pattern match nothing;
- `Bool` on an absent key is false; `BoolIfExists` on an absent key is true (a long-term access key carries
  no `aws:MultiFactorAuthPresent` at all);
- an action without resource-level permissions is requested on `*`, which only the pattern `*` matches.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
_OPERATORS = {"Bool", "StringEquals", "ForAllValues:StringNotEquals"}
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


class Decision(enum.Enum):
    """The outcome of evaluating one request."""

    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"

    @property
    def allowed(self) -> bool:
        """Whether the request would succeed."""
        return self is Decision.ALLOW


@dataclass(frozen=True)
class Request:
    """One API request: the action, the resource ARN (or `*`) and the request context keys."""

    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@functools.cache
def _wildcard(pattern: str, *, case_sensitive: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, 0 if case_sensitive else re.IGNORECASE | re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    """Whether an Action/NotAction entry covers `action` (`service:Name`, case-insensitive)."""
    return _wildcard(pattern, case_sensitive=False).fullmatch(action) is not None


def _segment_regex(segment: str, context: Mapping[str, str]) -> str | None:
    """The regex for one ARN segment, variables substituted as literals; None if a variable is absent."""
    parts: list[str] = []
    position = 0
    for variable in _VARIABLE.finditer(segment):
        parts.append(_wildcard(segment[position : variable.start()], case_sensitive=True).pattern)
        name = variable.group(1)
        if "," in name:
            raise ValueError(f"policy variable defaults are not supported: ${{{name}}}")
        value = _ESCAPES.get(name, _lookup(context, name))
        if value is None:
            return None
        parts.append(re.escape(value))
        position = variable.end()
    parts.append(_wildcard(segment[position:], case_sensitive=True).pattern)
    return "".join(parts)


def resource_matches(pattern: str, resource: str, context: Mapping[str, str]) -> bool:
    """Whether a Resource/NotResource entry covers `resource` for a request with `context`."""
    if pattern == "*":
        return True
    wanted = pattern.split(":", 5)
    actual = resource.split(":", 5)
    if len(wanted) != 6 or len(actual) != 6:
        return False
    for segment, value in zip(wanted, actual, strict=True):
        regex = _segment_regex(segment, context)
        if regex is None or re.fullmatch(regex, value, re.DOTALL) is None:
            return False
    return True


def _lookup(context: Mapping[str, str], key: str) -> str | None:
    # Condition keys are case-insensitive.
    return next((v for k, v in context.items() if k.lower() == key.lower()), None)


def _condition_holds(operator: str, key: str, expected: str | list[str], context: Mapping[str, str]) -> bool:
    base, if_exists = (
        (operator[: -len("IfExists")], True) if operator.endswith("IfExists") else (operator, False)
    )
    actual = _lookup(context, key)
    if base == "ForAllValues:StringNotEquals":
        # A multi-valued key (kms:ResourceAliases), given comma-separated; absent or empty is the empty
        # set, for which ForAllValues holds.
        values = [v for v in (actual or "").split(",") if v]
        return all(v not in _as_list(expected) for v in values)
    if actual is None:
        return if_exists
    if base == "Bool":
        return any(actual.lower() == str(e).lower() for e in _as_list(expected))
    return any(actual == e for e in _as_list(expected))


def _check(statement: Mapping[str, Any]) -> None:
    unknown = set(statement) - _STATEMENT_KEYS
    if unknown:
        raise ValueError(f"unsupported statement elements {sorted(unknown)} in {statement.get('Sid')}")
    if statement.get("Effect") not in ("Allow", "Deny"):
        raise ValueError(f"bad Effect in {statement.get('Sid')}")
    if ("Action" in statement) == ("NotAction" in statement):
        raise ValueError(f"exactly one of Action/NotAction needed in {statement.get('Sid')}")
    if ("Resource" in statement) == ("NotResource" in statement):
        raise ValueError(f"exactly one of Resource/NotResource needed in {statement.get('Sid')}")
    for operator in statement.get("Condition", {}):
        if operator.removesuffix("IfExists") not in _OPERATORS:
            raise ValueError(f"unsupported condition operator {operator} in {statement.get('Sid')}")


def statements_of(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The checked statements of one policy document."""
    if policy.get("Version") != "2012-10-17":
        # Policy variables are only substituted under this version.
        raise ValueError("policies must say Version 2012-10-17")
    statements = policy["Statement"]
    statements = [statements] if isinstance(statements, dict) else list(statements)
    for statement in statements:
        _check(statement)
    return statements


def applies(statement: Mapping[str, Any], request: Request) -> bool:
    """Whether `statement` matches `request` (action, resource and every condition)."""
    if "Action" in statement:
        if not any(action_matches(p, request.action) for p in _as_list(statement["Action"])):
            return False
    elif any(action_matches(p, request.action) for p in _as_list(statement["NotAction"])):
        return False
    if "Resource" in statement:
        if not any(
            resource_matches(p, request.resource, request.context) for p in _as_list(statement["Resource"])
        ):
            return False
    elif any(
        resource_matches(p, request.resource, request.context) for p in _as_list(statement["NotResource"])
    ):
        return False
    return all(
        _condition_holds(operator, key, expected, request.context)
        for operator, pairs in statement.get("Condition", {}).items()
        for key, expected in pairs.items()
    )


def matching(policies: Iterable[Mapping[str, Any]], request: Request) -> list[dict[str, Any]]:
    """Every statement of `policies` that applies to `request`."""
    return [s for policy in policies for s in statements_of(policy) if applies(s, request)]


def evaluate(policies: Iterable[Mapping[str, Any]], request: Request) -> Decision:
    """Explicit deny > allow > implicit deny, over the union of `policies`."""
    effects = {s["Effect"] for s in matching(policies, request)}
    if "Deny" in effects:
        return Decision.EXPLICIT_DENY
    return Decision.ALLOW if "Allow" in effects else Decision.IMPLICIT_DENY
