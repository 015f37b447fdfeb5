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


@pytest.mark.parametrize(
    ("parameter", "reported"),
    [
        (SecretParameter("/iam-onboarding/dev/slack-signing-secret", "SecureString", "alias/aws/ssm"), True),
        (SecretParameter("/iam-onboarding/dev/slack-signing-secret", "SecureString", None), True),
        (
            SecretParameter(
                "/iam-onboarding/dev/slack-signing-secret",
                "SecureString",
                "arn:aws:kms:us-east-1:123456789012:alias/aws/ssm",
            ),
            True,
        ),
        (SecretParameter("/iam-onboarding/dev/slack-signing-secret", "String", None), True),
        (
            SecretParameter(
                "/iam-onboarding/dev/slack-signing-secret", "SecureString", "alias/iam-onboarding-dev-slack"
            ),
            False,
        ),
    ],
    ids=["aws/ssm", "no key named", "aws/ssm by arn", "plain text", "the stack's key"],
)
def test_a_slack_secret_every_ssm_reader_can_decrypt_is_reported(
    parameter: SecretParameter, reported: bool
) -> None:
    findings = found(a.slack_secret_readable_with_ssm_read, snapshot(secret_parameters=(parameter,)))

    assert [resource for resource, _ in findings] == ([parameter.name] if reported else [])
