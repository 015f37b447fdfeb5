"""Who is calling, as API Gateway's IAM authorizer established it, and whether they may administer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.aws_errors import error_code
from chalicelib.errors import ForeignAccount, MissingAuthentication, NotAnAdmin

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


def _arn_parts(arn: str) -> list[str]:
    """`arn:partition:service:region:account:resource` split in six (resource may hold colons)."""
    parts = arn.split(":", 5)
    return parts if len(parts) == 6 and parts[0] == "arn" else []


def caller_from_identity(identity: Mapping[str, Any] | None) -> Caller:
    """The caller described by `requestContext.identity`; 401 when there is none."""
    identity = identity or {}
    arn = identity.get("userArn")
    parts = _arn_parts(arn) if isinstance(arn, str) else []
    if not isinstance(arn, str) or not parts:
        raise MissingAuthentication("Sign the request with your AWS credentials (SigV4).")
    _, _, service, _, account_id, resource = parts
    # Only `arn:aws:iam::<account>:user/<path>/<name>` is an IAM user; roles, their sessions
    # (`sts:...:assumed-role/...`), federated users and root have no user name here.
    is_user = service == "iam" and resource.startswith("user/")
    user_name = resource.rsplit("/", 1)[-1] if is_user else None
    access_key = identity.get("accessKey")
    mfa: bool | None = None
    if (access_key or "").startswith("AKIA"):
        mfa = False  # long-term keys never carry aws:MultiFactorAuthPresent
    elif identity.get(LOCAL_MFA_KEY) in ("true", "false"):
        mfa = identity[LOCAL_MFA_KEY] == "true"
    return Caller(arn=arn, account_id=account_id, user_name=user_name, access_key=access_key, mfa_present=mfa)


def api_owner_account(request_context: Mapping[str, Any], lambda_context: Any) -> str | None:
    """The AWS account that owns this API, with no AWS call.

    The Lambda context's function ARN comes from Lambda itself, so it wins: a direct invocation can
    forge all of `requestContext`, but not the ARN of the function it invokes. Without one (a local
    server), API Gateway's `requestContext.accountId`, which it documents as the API owner's account.
    """
    parts = _arn_parts(getattr(lambda_context, "invoked_function_arn", None) or "")
    if parts and parts[2] == "lambda" and parts[4]:
        return parts[4]
    owner = request_context.get("accountId")
    return owner if isinstance(owner, str) and owner else None


def authenticated_caller(request_context: Mapping[str, Any], lambda_context: Any) -> Caller:
    """The signed caller, refused (403 `foreign_account`) unless it belongs to the API owner's account.

    API Gateway's IAM authorizer accepts a valid signature of *any* AWS account the resource policy lets
    in, so a user named `admin` in another account must not pass for ours. This runs before anything
    is looked up by name.
    """
    caller = caller_from_identity(request_context.get("identity"))
    owner = api_owner_account(request_context, lambda_context)
    claimed = (request_context.get("identity") or {}).get("accountId")
    if owner is None or caller.account_id != owner or claimed not in (None, owner):
        raise ForeignAccount()
    return caller


def require_admin(iam: IAMClient, user_name: str | None, admin_groups: Iterable[str]) -> None:
    """Raise 403 unless `user_name` is an IAM user of this account in one of `admin_groups` (one IAM call).

    From the REST API, the name is an `authenticated_caller`'s; from Slack, the IAM user an allow-listed
    Slack id is mapped to, checked at each command so that leaving the group ends the Slack power too.
    """
    if user_name is None:
        raise NotAnAdmin("Only IAM users in an admin group may use this endpoint.")
    try:
        groups = iam.list_groups_for_user(UserName=user_name)["Groups"]
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            raise NotAnAdmin("Only IAM users in an admin group may use this endpoint.") from error
        raise
    if not {g["GroupName"] for g in groups} & set(admin_groups):
        raise NotAnAdmin("Only IAM users in an admin group may use this endpoint.")
