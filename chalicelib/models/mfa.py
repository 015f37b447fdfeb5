"""Bodies of MFA enrollment, MFA reset and the session report (no boto3, no chalice here)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.models import AccountFacts, Body, Link, Request, Token

# Any string is accepted here so that a malformed code is answered by the service's own check, with the
# message of the enrollment page; the length cap only keeps absurd bodies out.
# The format is checked by the service (a malformed pair is a 400 that does not count as a try) and
# documented here, so the OpenAPI document says what the server accepts.
Code = Annotated[
    str,
    Field(
        max_length=64,
        description="A 6-digit code from the authenticator app",
        json_schema_extra={"pattern": "^[0-9]{6}$"},
    ),
]


class MfaStart(AccountFacts):
    """`POST /onboarding/mfa`: the pending device, how to add it to an authenticator app, and the account."""

    serial_number: str
    secret: str = Field(description="The Base32 seed, for typing into an app by hand")
    otpauth_uri: str = Field(description="Key URI (issuer `Amazon Web Services`, label `<user>@<account>`)")
    qr_svg: str = Field(description="`otpauth_uri` as an inline SVG QR code")
    qr_data_uri: str = Field(description="The same QR code as a `data:image/svg+xml` URI, for an `<img>`")


class VerifyMfaRequest(Request):
    """`POST /onboarding/mfa/verify`: the codes of two consecutive 30-second steps, in order."""

    token: Token
    code1: Code
    code2: Code


class MfaVerified(Body):
    """`POST /onboarding/mfa/verify` → the device is enabled in IAM."""

    mfa_enabled: Literal[True]
    serial_number: str


class EnrollmentIssued(Body):
    """`POST /admin/users/{user_name}/enrollment`."""

    enrollment: Link


class MfaReset(Body):
    """`DELETE /admin/users/{user_name}/mfa`: the devices removed, and a fresh enrollment link."""

    removed: list[str]
    enrollment: Link


class SessionReport(Body):
    """`GET /session`: who the caller is and what is known of their session's MFA state."""

    arn: str
    user_name: str | None
    account_id: str
    credential_type: Literal["long-term", "temporary"]
    mfa_devices: list[str]
    multi_factor_auth_present: bool | None
    reason: str = Field(description="Why `multi_factor_auth_present` has this value, and how to learn more")


class MfaSessionProof(Body):
    """`GET /session/mfa`: reachable only with MFA, so reaching it proves it."""

    multi_factor_auth_present: Literal[True]
