"""`/session`: any IAM caller asks who they are and whether their session is MFA-authenticated."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib import wiring
from chalicelib.api.http import route
from chalicelib.models.mfa import MfaSessionProof, SessionReport
from chalicelib.people.identity import Caller

session = Blueprint(__name__)


@route(
    session,
    "/session",
    "GET",
    "Who am I, and is my session MFA-authenticated",
    returns=SessionReport,
    access="iam",
)
def describe_session(caller: Caller) -> SessionReport:
    """Who the caller is, their credential type, MFA devices and what is known of MFA on this session."""
    return wiring.session_report(caller)


@route(
    session, "/session/mfa", "GET", "Answers only to an MFA session", returns=MfaSessionProof, access="iam"
)
def prove_mfa() -> MfaSessionProof:
    """Reachable only with MFA: the API's resource policy denies it otherwise, so answering proves it."""
    return MfaSessionProof(multi_factor_auth_present=True)
