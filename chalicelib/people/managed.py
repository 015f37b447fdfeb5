"""Which IAM users this service manages, and the onboarding state it reports for each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.aws_errors import error_code
from chalicelib.config import Settings
from chalicelib.errors import UserNotFound, UserOutsideManagedPath
from chalicelib.models import OnboardingState
from chalicelib.models.records import UserRecord
from chalicelib.state import StateStore

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient


def effective_state(stored: str | None, *, has_mfa: bool, password_used: bool) -> OnboardingState:
    """The onboarding state: link progress from the store, MFA and sign-in from IAM (IAM wins)."""
    if has_mfa:
        return OnboardingState.ACTIVE if password_used else OnboardingState.MFA_ENROLLED
    if stored == OnboardingState.INVITED:
        return OnboardingState.INVITED
    return OnboardingState.CREDENTIALS_VIEWED if stored else OnboardingState.INVITED


def find_managed_user(
    iam: IAMClient, store: StateStore, settings: Settings, user_name: str
) -> tuple[UserRecord | None, dict[str, Any]]:
    """The record and IAM user of a managed user, found case-insensitively; 404 otherwise."""
    record = store.get_user(user_name)
    name = record.user_name if record else user_name
    try:
        user = iam.get_user(UserName=name)["User"]
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            raise UserNotFound(f"No managed user named {user_name}.") from error
        raise
    if not user.get("Path", "/").startswith(settings.user_path):
        raise UserOutsideManagedPath(
            f"{user['UserName']} exists in IAM but not under the managed path {settings.user_path} (its path "
            f"is {user.get('Path', '/')}), so this service does not act on it and nothing was changed. To "
            f"manage it here, move it back: aws iam update-user --user-name {user['UserName']} --new-path "
            f"{settings.user_path}"
        )
    return record, dict(user)
