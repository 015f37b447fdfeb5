"""Who is calling, as API Gateway's IAM authorizer established it, and whether they may administer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.aws import error_code
from chalicelib.errors import MissingAuthentication, NotAnAdmin

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

# API Gateway never sets this key and a client cannot write `requestContext`; only the local dev
# gateway (local/gateway.py) does, to stand for a session whose MFA state is known.
LOCAL_MFA_KEY = "localMfaPresent"


@dataclass(frozen=True)
class Caller:
    """An IAM principal that called the API."""

    arn: str
    account_id: str
    user_name: str | None
    access_key: str | None
    mfa_present: bool | None

    @property
    def credential_type(self) -> str:
        """`long-term` for an IAM user's access key (`AKIA…`), else `temporary`."""
        return "long-term" if (self.access_key or "").startswith("AKIA") else "temporary"


def caller_from_identity(identity: Mapping[str, Any] | None) -> Caller:
    """The caller described by `requestContext.identity`; 401 when there is none."""
    identity = identity or {}
    arn = identity.get("userArn")
    if not arn:
        raise MissingAuthentication("Sign the request with your AWS credentials (SigV4).")
    resource = arn.split(":", 5)[5] if arn.count(":") >= 5 else ""
    user_name = resource.rsplit("/", 1)[-1] if resource.startswith("user/") else None
    access_key = identity.get("accessKey")
    mfa: bool | None = None
    if (access_key or "").startswith("AKIA"):
        mfa = False  # long-term keys never carry aws:MultiFactorAuthPresent
    elif identity.get(LOCAL_MFA_KEY) in ("true", "false"):
        mfa = identity[LOCAL_MFA_KEY] == "true"
    return Caller(
        arn=arn, account_id=arn.split(":")[4], user_name=user_name, access_key=access_key, mfa_present=mfa
    )


def require_admin(iam: IAMClient, caller: Caller, admin_groups: Iterable[str]) -> None:
    """Raise 403 unless the caller is an IAM user in one of `admin_groups` (one IAM call)."""
    if caller.user_name is None:
        raise NotAnAdmin("Only IAM users in an admin group may use this endpoint.")
    try:
        groups = iam.list_groups_for_user(UserName=caller.user_name)["Groups"]
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            raise NotAnAdmin("Only IAM users in an admin group may use this endpoint.") from error
        raise
    if not {g["GroupName"] for g in groups} & set(admin_groups):
        raise NotAnAdmin("Only IAM users in an admin group may use this endpoint.")
