"""What the API can tell a caller about their own session: who they are and whether MFA is present."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.models.mfa import SessionReport
from chalicelib.onboarding import devices
from chalicelib.people.identity import Caller

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

LONG_TERM_REASON = (
    "Long-term access keys (AKIA...) never carry aws:MultiFactorAuthPresent, so this request is not "
    "MFA-authenticated. Use temporary credentials from `aws sts get-session-token --serial-number "
    "<device> --token-code <code>`."
)
UNKNOWN_REASON = (
    "API Gateway does not pass a temporary session's MFA state on to the API. Call GET /session/mfa: "
    "it answers 200 only to a session with MFA, 403 otherwise."
)


def _reason(caller: Caller) -> str:
    if caller.credential_type == "long-term":
        return LONG_TERM_REASON
    if caller.mfa_present is None:
        return UNKNOWN_REASON
    return f"This temporary session was {'' if caller.mfa_present else 'not '}authenticated with MFA."


def session_report(iam: IAMClient, caller: Caller) -> SessionReport:
    """The caller's identity, credential type, MFA devices (IAM users only) and MFA state."""
    serials = devices.mfa_devices_of(iam, caller.user_name) if caller.user_name is not None else []
    return SessionReport(
        arn=caller.arn,
        user_name=caller.user_name,
        account_id=caller.account_id,
        credential_type="long-term" if caller.credential_type == "long-term" else "temporary",
        mfa_devices=serials,
        multi_factor_auth_present=caller.mfa_present,
        reason=_reason(caller),
    )
