"""The test evaluator decides known cases right, so the Force-MFA tests cannot pass vacuously."""

from __future__ import annotations

from typing import Any

import pytest

from tests.iam_eval import Decision, Request, evaluate, resource_matches

ALICE = {"aws:username": "alice"}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def test_an_empty_policy_denies_everything() -> None:
    assert evaluate([policy()], Request("s3:ListAllMyBuckets", "*")) is Decision.IMPLICIT_DENY


def test_no_policy_at_all_denies_everything() -> None:
    assert (
        evaluate([], Request("iam:GetUser", "arn:aws:iam::123456789012:user/alice")) is Decision.IMPLICIT_DENY
    )


def test_an_allow_of_everything_allows_anything() -> None:
    assert (
        evaluate([policy(allow("*"))], Request("iam:CreateUser", "arn:aws:iam::1:user/x")) is Decision.ALLOW
    )


def test_an_explicit_deny_beats_an_allow_in_another_policy() -> None:
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    decision = evaluate([policy(allow("*")), policy(deny)], Request("s3:ListAllMyBuckets", "*"))
    assert decision is Decision.EXPLICIT_DENY


def test_not_action_exempts_the_listed_actions_from_a_deny() -> None:
    deny = {"Effect": "Deny", "NotAction": ["iam:ChangePassword"], "Resource": "*"}
    everything = [policy(allow("*"), deny)]
    assert evaluate(everything, Request("iam:ChangePassword", "*")) is Decision.ALLOW
    assert evaluate(everything, Request("iam:GetUser", "*")) is Decision.EXPLICIT_DENY


@pytest.mark.parametrize(
    ("pattern", "action", "matches"),
    [
        ("iam:List*", "iam:ListUsers", True),
        ("iam:List*", "iam:GetUser", False),
        ("iam:list*", "IAM:ListUsers", True),
        ("iam:Get?ser", "iam:GetUser", True),
        ("iam:Get?ser", "iam:GetUsers", False),
        ("iam:*", "sts:GetSessionToken", False),
    ],
)
def test_action_wildcards_and_case(pattern: str, action: str, matches: bool) -> None:
    decision = evaluate([policy(allow(pattern))], Request(action, "*"))
    assert decision.allowed is matches


def test_an_action_without_resource_types_is_only_covered_by_a_star_resource() -> None:
    scoped = policy(allow("iam:GetAccountPasswordPolicy", "arn:aws:iam::*:user/*"))
    assert evaluate([scoped], Request("iam:GetAccountPasswordPolicy", "*")) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("pattern", "resource", "matches"),
    [
        ("arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::123456789012:user/alice", True),
        ("arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::123456789012:user/onboarding/alice", False),
        ("arn:aws:iam::*:user/*/${aws:username}", "arn:aws:iam::123456789012:user/onboarding/alice", True),
        ("arn:aws:iam::*:user/*/${aws:username}", "arn:aws:iam::123456789012:user/alice", False),
        ("arn:aws:iam::*:user/*/${aws:username}", "arn:aws:iam::123456789012:user/onboarding/malice", False),
        # The seed's pattern: it covers a different user whose name ends with alice's.
        ("arn:aws:iam::*:user/*${aws:username}", "arn:aws:iam::123456789012:user/malice", True),
        ("arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::123456789012:user/Alice", False),
        ("arn:aws:iam::*:mfa/*", "arn:aws:iam::123456789012:mfa/onboarding/any-name", True),
        ("arn:aws:iam::*:mfa/*", "arn:aws:iam::123456789012:user/alice", False),
        ("arn:aws:iam::*:user/alice", "arn:aws:s3:::user/alice", False),
        ("arn:aws:iam::1?:user/*", "arn:aws:iam::12:user/x", True),
        ("arn:aws:iam::*:user/${*}", "arn:aws:iam::1:user/*", True),
        ("arn:aws:iam::*:user/${*}", "arn:aws:iam::1:user/alice", False),
        ("*", "*", True),
    ],
)
def test_resource_patterns(pattern: str, resource: str, matches: bool) -> None:
    assert resource_matches(pattern, resource, ALICE) is matches


def test_a_wildcard_never_spans_an_arn_segment() -> None:
    assert not resource_matches("arn:aws:iam::*", "arn:aws:iam::123456789012:user/alice", ALICE)


def test_a_variable_whose_key_is_absent_matches_nothing() -> None:
    assert not resource_matches("arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::1:user/", {})


def test_a_substituted_variable_is_a_literal_not_a_wildcard() -> None:
    assert not resource_matches(
        "arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::1:user/bob", {"aws:username": "*"}
    )


def test_not_resource_applies_to_every_other_resource() -> None:
    deny = {"Effect": "Deny", "Action": "iam:GetUser", "NotResource": "arn:aws:iam::*:user/${aws:username}"}
    policies = [policy(allow("*"), deny)]
    assert evaluate(policies, Request("iam:GetUser", "arn:aws:iam::1:user/alice", ALICE)) is Decision.ALLOW
    assert (
        evaluate(policies, Request("iam:GetUser", "arn:aws:iam::1:user/bob", ALICE)) is Decision.EXPLICIT_DENY
    )


@pytest.mark.parametrize(
    ("operator", "context", "holds"),
    [
        ("Bool", {"aws:MultiFactorAuthPresent": "true"}, True),
        ("Bool", {"aws:MultiFactorAuthPresent": "false"}, False),
        ("Bool", {}, False),
        ("BoolIfExists", {"aws:MultiFactorAuthPresent": "true"}, True),
        ("BoolIfExists", {"aws:MultiFactorAuthPresent": "false"}, False),
        ("BoolIfExists", {}, True),
        ("Bool", {"aws:multifactorauthpresent": "TRUE"}, True),
    ],
)
def test_bool_conditions_and_if_exists_on_an_absent_key(
    operator: str, context: dict[str, str], holds: bool
) -> None:
    statement = allow("s3:ListAllMyBuckets", Condition={operator: {"aws:MultiFactorAuthPresent": "true"}})
    assert evaluate([policy(statement)], Request("s3:ListAllMyBuckets", "*", context)).allowed is holds


def test_string_equals_compares_exactly() -> None:
    statement = allow(
        "s3express:CreateSession", Condition={"StringEquals": {"s3express:SessionMode": "ReadOnly"}}
    )
    request = Request("s3express:CreateSession", "*", {"s3express:SessionMode": "readonly"})
    assert evaluate([policy(statement)], request) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    "statement",
    [
        allow("*", Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}),
        allow("*", Principal="*"),
        {"Effect": "Allow", "Action": "*"},
        {"Effect": "Allow", "Action": "*", "NotAction": "iam:*", "Resource": "*"},
        {"Effect": "Maybe", "Action": "*", "Resource": "*"},
    ],
)
def test_what_the_evaluator_does_not_understand_fails_loudly(statement: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"unsupported|exactly one|bad Effect"):
        evaluate([policy(statement)], Request("s3:ListAllMyBuckets", "*"))


def test_a_policy_without_the_2012_version_is_refused() -> None:
    with pytest.raises(ValueError, match="Version"):
        evaluate([{"Statement": [allow("*")]}], Request("s3:ListAllMyBuckets", "*"))
