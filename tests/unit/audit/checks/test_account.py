"""Root and password-policy checks."""

from __future__ import annotations

import pytest

from chalicelib.audit.checks import account as a
from chalicelib.audit.snapshot import PasswordPolicyFacts, RootFacts, SecretParameter
from tests.unit.audit.checks.factory import found, snapshot

SEED_POLICY = PasswordPolicyFacts(
    minimum_length=16,
    require_uppercase=True,
    require_lowercase=True,
    require_numbers=True,
    require_symbols=True,
    reuse_prevention=24,
)


def test_root_without_mfa_is_reported() -> None:
    snap = snapshot(root=RootFacts(mfa_enabled=False, access_keys_present=False))

    assert found(a.root_without_mfa, snap) == [("<root_account>", "MFA is not enabled for root account.")]
    assert found(a.root_with_access_keys, snap) == []


def test_root_with_access_keys_is_reported() -> None:
    snap = snapshot(root=RootFacts(mfa_enabled=True, access_keys_present=True))

    assert found(a.root_with_access_keys, snap) == [("<root_account>", "Root account has access keys.")]
    assert found(a.root_without_mfa, snap) == []


def test_the_seed_policy_with_24_remembered_passwords_passes_every_password_check() -> None:
    snap = snapshot(password_policy=SEED_POLICY)

    assert [found(check, snap) for check in a.PASSWORD_CHECKS] == [[]] * 6


def test_the_seed_policy_without_reuse_prevention_fails_only_reuse_24() -> None:
    snap = snapshot(password_policy=PasswordPolicyFacts(**{**SEED_POLICY.__dict__, "reuse_prevention": None}))

    assert {check.id: found(check, snap) for check in a.PASSWORD_CHECKS if found(check, snap)} == {
        "iam_password_policy_reuse_24": [
            (
                "password_policy",
                "The account password policy does not prevent reuse of the last 24 passwords.",
            )
        ]
    }


@pytest.mark.parametrize(
    ("change", "check_id"),
    [
        ({"minimum_length": 13}, "iam_password_policy_minimum_length_14"),
        ({"require_uppercase": False}, "iam_password_policy_uppercase"),
        ({"require_lowercase": False}, "iam_password_policy_lowercase"),
        ({"require_numbers": False}, "iam_password_policy_number"),
        ({"require_symbols": False}, "iam_password_policy_symbol"),
        ({"reuse_prevention": 23}, "iam_password_policy_reuse_24"),
    ],
)
def test_each_rule_below_cis_fails_its_own_check(change: dict, check_id: str) -> None:
    snap = snapshot(password_policy=PasswordPolicyFacts(**{**SEED_POLICY.__dict__, **change}))

    assert [check.id for check in a.PASSWORD_CHECKS if found(check, snap)] == [check_id]


def test_no_password_policy_fails_every_password_check() -> None:
    snap = snapshot(password_policy=None)

    assert found(a.PASSWORD_CHECKS[0], snap) == [
        ("password_policy", "No account password policy is set (it must require at least 14 characters).")
    ]
    assert all(len(found(check, snap)) == 1 for check in a.PASSWORD_CHECKS)


SIGNING = "/iam-onboarding/dev/slack-signing-secret"
STACK_KEY = "arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-1111-2222-3333-444455556666"
AWS_SSM_KEY = "arn:aws:kms:us-east-1:123456789012:key/8f9b1ef9-32c0-4633-8394-e3add9a14d35"
OTHER_KEY = "arn:aws:kms:us-east-1:123456789012:key/12db2628-80fe-4b21-897e-3a7999741fd7"


@pytest.mark.parametrize(
    ("parameter", "reported"),
    [
        (SecretParameter(SIGNING, "SecureString", "alias/aws/ssm", AWS_SSM_KEY), True),
        (SecretParameter(SIGNING, "SecureString", None), True),
        (SecretParameter(SIGNING, "SecureString", AWS_SSM_KEY, AWS_SSM_KEY), True),
        (SecretParameter(SIGNING, "SecureString", "alias/someone-elses", OTHER_KEY), True),
        (SecretParameter(SIGNING, "SecureString", "alias/gone", None), True),
        (SecretParameter(SIGNING, "String", None), True),
        (SecretParameter(SIGNING, "SecureString", "alias/iam-onboarding-dev-slack", STACK_KEY), False),
        (SecretParameter(SIGNING, "SecureString", STACK_KEY.rsplit("/", 1)[1], STACK_KEY), False),
    ],
    ids=[
        "aws/ssm",
        "no key named",
        "aws/ssm by key arn",
        "another customer key",
        "a key kms does not know",
        "plain text",
        "the stack's key by alias",
        "the stack's key by id",
    ],
)
def test_a_slack_secret_under_any_key_but_the_stacks_is_reported(
    parameter: SecretParameter, reported: bool
) -> None:
    snap = snapshot(secret_parameters=(parameter,), secrets_key_arn=STACK_KEY)

    findings = found(a.slack_secret_readable_with_ssm_read, snap)

    assert [resource for resource, _ in findings] == ([parameter.name] if reported else [])


def test_a_slack_secret_is_reported_when_the_stacks_key_is_not_known() -> None:
    parameter = SecretParameter(SIGNING, "SecureString", "alias/iam-onboarding-dev-slack", STACK_KEY)

    findings = found(a.slack_secret_readable_with_ssm_read, snapshot(secret_parameters=(parameter,)))

    assert [message for _, message in findings] == [
        "The stack's key is not known to this function (SLACK_SECRETS_KEY_ARN), so the key of the parameter "
        "cannot be checked."
    ]
