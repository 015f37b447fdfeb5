"""`/session`: any IAM caller asks who they are and whether their session is MFA-authenticated."""

from __future__ import annotations

from chalice.app import Blueprint, IAMAuthorizer, Response

from chalicelib import aws
from chalicelib.api.http import json_response, translating_errors
from chalicelib.models.mfa import MfaSessionProof
from chalicelib.services.identity import caller_from_identity
from chalicelib.services.session import session_report

session = Blueprint(__name__)
iam_auth = IAMAuthorizer()


@session.route("/session", methods=["GET"], authorizer=iam_auth)
@translating_errors
def describe_session() -> Response:
    """Who the caller is, their credential type, MFA devices and what is known of MFA on this session."""
    caller = caller_from_identity(session.current_request.context.get("identity"))
    return json_response(session_report(aws.iam(), caller))


@session.route("/session/mfa", methods=["GET"], authorizer=iam_auth)
@translating_errors
def prove_mfa() -> Response:
    """Reachable only with MFA: the API's resource policy denies it otherwise, so answering proves it."""
    caller_from_identity(session.current_request.context.get("identity"))
    return json_response(MfaSessionProof(multi_factor_auth_present=True))
