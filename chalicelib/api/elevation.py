"""`/elevations` (any IAM user of this account, MFA within the hour) and `/admin/elevations` (admins)."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib import wiring_elevation as wiring
from chalicelib.api.http import route
from chalicelib.errors import MfaRequired, NotAnIamUser
from chalicelib.models.elevation import Elevation, ElevationDecision, ElevationList, ElevationRequest
from chalicelib.models.records import Actor
from chalicelib.people.identity import Caller

elevation = Blueprint(__name__)


def _requester(caller: Caller) -> tuple[str, Actor]:
    """The IAM user behind `caller` and the actor they are. The resource policy refuses a session
    without MFA (or older than an hour) before this runs; a long-term key is refused here as well."""
    if caller.user_name is None:
        raise NotAnIamUser("Only IAM users of this account may ask for elevation; sign in as yours.")
    if caller.mfa_present is False:
        raise MfaRequired("Sign in with MFA to use this endpoint (a session from your MFA code, not a key).")
    return caller.user_name, Actor(id=caller.arn, channel="rest")


@route(
    elevation,
    "/elevations",
    "POST",
    "Ask to join an elevate group for a while",
    body=ElevationRequest,
    returns=Elevation,
    status=201,
    access="iam",
)
def request_elevation(body: ElevationRequest, caller: Caller) -> Elevation:
    """A pending request, posted to the Slack channel; another admin approves it."""
    user_name, actor = _requester(caller)
    asked = wiring.elevation_requests().request(user_name, body, actor, announce=wiring.announce_elevation)
    return asked


@route(
    elevation, "/elevations", "GET", "My elevation requests and grants", returns=ElevationList, access="iam"
)
def my_elevations(caller: Caller) -> ElevationList:
    """The caller's own requests and grants, newest first."""
    user_name, _ = _requester(caller)
    return ElevationList(elevations=wiring.elevation_requests().mine(user_name))


@route(
    elevation,
    "/elevations/{elevation_id}",
    "DELETE",
    "End my grant now, or withdraw my request",
    returns=Elevation,
    access="iam",
)
def end_my_elevation(elevation_id: str, caller: Caller) -> Elevation:
    """End the caller's own grant now ("I'm done"), or withdraw their pending request."""
    user_name, actor = _requester(caller)
    return wiring.grant_ending().end(elevation_id, actor, own=user_name)


@route(
    elevation,
    "/admin/elevations",
    "GET",
    "All elevation requests and grants",
    returns=ElevationList,
    access="admin",
)
def all_elevations() -> ElevationList:
    """Every request and grant kept, newest first."""
    return ElevationList(elevations=wiring.elevation_requests().everyone())


@route(
    elevation,
    "/admin/elevations/{elevation_id}/approve",
    "POST",
    "Approve another user's elevation request",
    body=ElevationDecision,
    returns=Elevation,
    access="admin",
)
def approve_elevation(elevation_id: str, body: ElevationDecision, caller: Caller, actor: Actor) -> Elevation:
    """The requester joins the group; one schedule ends it. Never the requester's own."""
    decided = wiring.elevation_decisions().approve(elevation_id, caller.user_name, actor, body.reason)
    return decided


@route(
    elevation,
    "/admin/elevations/{elevation_id}/deny",
    "POST",
    "Deny another user's elevation request",
    body=ElevationDecision,
    returns=Elevation,
    access="admin",
)
def deny_elevation(elevation_id: str, body: ElevationDecision, caller: Caller, actor: Actor) -> Elevation:
    """The request is denied; its user may ask again."""
    decided = wiring.elevation_decisions().deny(elevation_id, caller.user_name, actor, body.reason)
    return decided


@route(
    elevation,
    "/admin/elevations/{elevation_id}",
    "DELETE",
    "End any grant now",
    returns=Elevation,
    access="admin",
)
def end_elevation(elevation_id: str, actor: Actor) -> Elevation:
    """End a grant now (or withdraw a pending request), whoever's it is."""
    return wiring.grant_ending().end(elevation_id, actor)
