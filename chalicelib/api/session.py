"""`/session`: any IAM caller asks who they are and whether their session is MFA-authenticated."""

from __future__ import annotations

from chalice.app import Blueprint, IAMAuthorizer, Response

from chalicelib import aws
from chalicelib.api.http import json_response, signed_caller, translating_errors
from chalicelib.models.mfa import MfaSessionProof
from chalicelib.people.session import session_report

session = Blueprint(__name__)
iam_auth = IAMAuthorizer()


@session.route("/session", methods=["GET"], authorizer=iam_auth)
@translating_errors
def describe_session() -> Response:
    """Who the caller is, their credential type, MFA devices and what is known of MFA on this session."""
    caller = signed_caller(session)
    return json_response(session_report(aws.iam(), caller))


@session.route("/session/mfa", methods=["GET"], authorizer=iam_auth)
@translating_errors
def prove_mfa() -> Response:
    """Reachable only with MFA: the API's resource policy denies it otherwise, so answering proves it."""
    signed_caller(session)
    return json_response(MfaSessionProof(multi_factor_auth_present=True))
