"""`/onboarding/*`: the newcomer's calls, authorized only by a one-time token in the JSON body."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib import aws, wiring
from chalicelib.api.http import json_response, parse_body, translating_errors
from chalicelib.config import settings
from chalicelib.models import TokenRequest
from chalicelib.models.mfa import VerifyMfaRequest
from chalicelib.onboarding.claim import claim_bundle

onboarding = Blueprint(__name__)


@onboarding.route("/onboarding/credentials", methods=["POST"])
@translating_errors
def claim_credentials() -> Response:
    """Open the credential bundle, once."""
    body = parse_body(onboarding.current_request, TokenRequest)
    claimed = claim_bundle(body.token, iam=aws.iam(), store=wiring.store(), settings=settings())
    return json_response(claimed)


@onboarding.route("/onboarding/mfa", methods=["POST"])
@translating_errors
def start_mfa_enrollment() -> Response:
    """Create the pending virtual MFA device: serial, secret, otpauth URI and QR code."""
    body = parse_body(onboarding.current_request, TokenRequest)
    return json_response(wiring.enrollment().start(body.token))


@onboarding.route("/onboarding/mfa/verify", methods=["POST"])
@translating_errors
def verify_mfa_enrollment() -> Response:
    """Enable the pending device once two consecutive codes match it."""
    body = parse_body(onboarding.current_request, VerifyMfaRequest)
    return json_response(wiring.enrollment().verify(body.token, body.code1, body.code2))
