"""Checks of account-wide settings: the root user and the password policy (CIS via Prowler's ids)."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.audit.checks.base import Check, Failures, check
from chalicelib.audit.snapshot import ROOT, AccountSnapshot, PasswordPolicyFacts
from chalicelib.models.audit import Severity


@check(
    id="iam_root_mfa_enabled",
    severity=Severity.CRITICAL,
    remediation="Sign in as root and assign an MFA device (hardware or virtual) to the root user.",
)
def root_without_mfa(snapshot: AccountSnapshot) -> Failures:
    """The root user has no MFA device. Read from GetAccountSummary, which is current; Prowler reads the
    credential report's root row instead (which the emulator's report does not have).
    """
    if not snapshot.root.mfa_enabled:
        yield ROOT, "MFA is not enabled for root account."


@check(
    id="iam_no_root_access_key",
    severity=Severity.CRITICAL,
    remediation="Sign in as root and delete the root user's access keys; use IAM users or roles instead.",
)
def root_with_access_keys(snapshot: AccountSnapshot) -> Failures:
    """The root user has access keys. Read from GetAccountSummary, which is current; Prowler reads the
    credential report's root row instead.
    """
    if snapshot.root.access_keys_present:
        yield ROOT, "Root account has access keys."


def _password_rule(
    id: str, rule: str, remediation: str, holds: Callable[[PasswordPolicyFacts], bool]
) -> Check:
    @check(
        id=id,
        severity=Severity.MEDIUM,
        remediation=remediation,
    )
    def evaluate(snapshot: AccountSnapshot) -> Failures:
        """The account password policy must `rule` (a missing policy fails every rule)."""
        policy = snapshot.password_policy
        if policy is None:
            yield "password_policy", f"No account password policy is set (it must {rule})."
        elif not holds(policy):
            yield "password_policy", f"The account password policy does not {rule}."

    return evaluate


# CIS v1.5 and later no longer ask for password expiry (NIST SP 800-63B advises against it), so
# Prowler's iam_password_policy_expires_passwords_within_90_days_or_less is deliberately not run.
PASSWORD_CHECKS = [
    _password_rule(
        "iam_password_policy_minimum_length_14",
        "require at least 14 characters",
        "Set the account password policy's minimum length to 14 or more.",
        lambda p: p.minimum_length >= 14,
    ),
    _password_rule(
        "iam_password_policy_uppercase",
        "require an uppercase letter",
        "Require at least one uppercase letter in the account password policy.",
        lambda p: p.require_uppercase,
    ),
    _password_rule(
        "iam_password_policy_lowercase",
        "require a lowercase letter",
        "Require at least one lowercase letter in the account password policy.",
        lambda p: p.require_lowercase,
    ),
    _password_rule(
        "iam_password_policy_number",
        "require a number",
        "Require at least one number in the account password policy.",
        lambda p: p.require_numbers,
    ),
    _password_rule(
        "iam_password_policy_symbol",
        "require a symbol",
        "Require at least one symbol in the account password policy.",
        lambda p: p.require_symbols,
    ),
    _password_rule(
        "iam_password_policy_reuse_24",
        "prevent reuse of the last 24 passwords",
        "Set the account password policy to remember 24 passwords.",
        lambda p: (p.reuse_prevention or 0) >= 24,
    ),
]


@check(
    id="slack_secret_readable_with_ssm_read",
    severity=Severity.HIGH,
    remediation=(
        "Store it again under the stack's own key, which only the service's roles may decrypt: aws ssm "
        "put-parameter --overwrite --type SecureString --key-id alias/iam-onboarding-<stage>-slack --name "
        "<name> --value ... (the stack output SlackSecretsKeyAlias names the key)."
    ),
)
def slack_secret_readable_with_ssm_read(snapshot: AccountSnapshot) -> Failures:
    """A Slack secret of the service (the signing secret, the audit webhook URL) is stored in plain text or
    encrypted with any key but the stack's own: AWS's default aws/ssm key lets every principal with
    ssm:GetParameter decrypt it, and developers' ReadOnlyAccess has that. With the signing secret anyone
    can sign /iam commands. The key is compared by its resolved ARN, however the parameter names it (alias,
    id or ARN). Not a Prowler check.
    """
    for parameter in snapshot.secret_parameters:
        if parameter.type != "SecureString":
            yield (
                parameter.name,
                f"The parameter is a {parameter.type}: anyone who may read it reads the secret.",
            )
        elif snapshot.secrets_key_arn is None:
            yield (
                parameter.name,
                "The stack's key is not known to this function (SLACK_SECRETS_KEY_ARN), so the key of the "
                "parameter cannot be checked.",
            )
        elif parameter.key_arn != snapshot.secrets_key_arn:
            yield (
                parameter.name,
                f"The parameter is encrypted with {parameter.key_id or 'aws/ssm'}, not the stack's key: "
                "whoever that key lets decrypt reads it (with aws/ssm, every ssm:GetParameter).",
            )


CHECKS = [root_without_mfa, root_with_access_keys, *PASSWORD_CHECKS, slack_secret_readable_with_ssm_read]
