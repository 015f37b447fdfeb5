"""The service's secrets in SSM Parameter Store: read under the stack's key, kept, and failing clearly."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib import account
from chalicelib.aws_errors import error_code
from chalicelib.errors import SecretUnavailable

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

# What SSM answers when KMS refuses the decrypt: the roles deny kms:Decrypt on any key but the stack's.
_UNDECRYPTABLE = frozenset({"AccessDeniedException", "InvalidKeyId", "KMSAccessDeniedException"})


def read_secret(ssm: SSMClient, name: str, *, key_arn: str | None) -> str:
    """An SSM SecureString by name, kept for a few minutes (`account.CACHE_SECONDS`).

    Not for the container's life: a secret rotated after a leak must stop working within minutes
    everywhere. A parameter that does not exist, or that this function may not decrypt, is
    `SecretUnavailable` and is remembered for `account.MISSING_SECONDS`: an anonymous flood of Slack
    requests then costs SSM one call a minute, not one each. Other failures (throttling) are not kept.
    """
    return account.cached(f"ssm:{name}", lambda: _get(ssm, name, key_arn), keep=(SecretUnavailable,))


def _get(ssm: SSMClient, name: str, key_arn: str | None) -> str:
    try:
        return ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except ClientError as error:
        code = error_code(error)
        if code == "ParameterNotFound":
            raise SecretUnavailable(
                f"The SSM parameter {name} does not exist: put it as a SecureString under the stack's key."
            ) from error
        message = str(error.response.get("Error", {}).get("Message", ""))
        if code in _UNDECRYPTABLE and (code != "AccessDeniedException" or "kms" in message.lower()):
            key = key_arn or "alias/iam-onboarding-<stage>-slack"
            raise SecretUnavailable(
                f"The SSM parameter {name} is encrypted with a key this function may not use: put it again "
                f"under the stack's key: aws ssm put-parameter --overwrite --type SecureString --key-id "
                f"{key} --name {name} --value ..."
            ) from error
        raise
