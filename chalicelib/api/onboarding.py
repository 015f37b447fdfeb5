"""`/onboarding/*`: the newcomer's calls, authorized only by a one-time token in the JSON body."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib import wiring
from chalicelib.api.http import route
from chalicelib.models import ClaimedCredentials, TokenRequest
from chalicelib.models.mfa import MfaStart, MfaVerified, VerifyMfaRequest

onboarding = Blueprint(__name__)


def _source_ip() -> str | None:
    """The caller's address as API Gateway saw it (never a header the caller wrote)."""
    identity = (onboarding.current_request.context or {}).get("identity") or {}
    return identity.get("sourceIp") or None


@route(
    onboarding,
    "/onboarding/credentials",
    "POST",
    "Claim the credential bundle once",
    body=TokenRequest,
    returns=ClaimedCredentials,
)
def claim_credentials(body: TokenRequest) -> ClaimedCredentials:
    """Open the credential bundle, once."""
    return wiring.claim_credentials(body.token, _source_ip())


@route(onboarding, "/onboarding/mfa", "POST", "Start MFA enrollment", body=TokenRequest, returns=MfaStart)
def start_mfa_enrollment(body: TokenRequest) -> MfaStart:
    """Create the pending virtual MFA device: serial, secret, otpauth URI and QR code."""
    return wiring.enrollment().start(body.token)


@route(
    onboarding,
    "/onboarding/mfa/verify",
    "POST",
    "Verify two consecutive codes and enable the device",
    body=VerifyMfaRequest,
    returns=MfaVerified,
)
def verify_mfa_enrollment(body: VerifyMfaRequest) -> MfaVerified:
    """Enable the pending device once two consecutive codes match it."""
    return wiring.enrollment().verify(body.token, body.code1, body.code2, source_ip=_source_ip())
