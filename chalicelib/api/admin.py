"""`/admin/*`: IAM-authorized (SigV4), MFA-gated by the API's resource policy, admin groups only."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib import wiring
from chalicelib.api.http import route
from chalicelib.models import (
    CreatedUser,
    CreateUserRequest,
    Offboarded,
    ReissuedCredentials,
    UserDetail,
    UserList,
)
from chalicelib.models.mfa import EnrollmentIssued, MfaReset
from chalicelib.models.records import Actor

admin = Blueprint(__name__)


@route(
    admin,
    "/admin/users",
    "POST",
    "Create a user in groups",
    body=CreateUserRequest,
    returns=CreatedUser,
    status=201,
    access="admin",
)
def create_user(body: CreateUserRequest, actor: Actor) -> CreatedUser:
    """Create a user in groups, with a first password and a one-time credential link."""
    return wiring.creation().create_user(body.user_name, body.groups, actor)


@route(admin, "/admin/users", "GET", "List managed users", returns=UserList, access="admin")
def list_users() -> UserList:
    """Every managed user with groups and onboarding state."""
    return UserList(users=wiring.directory().list_users())


@route(
    admin, "/admin/users/{user_name}", "GET", "Describe a managed user", returns=UserDetail, access="admin"
)
def describe_user(user_name: str) -> UserDetail:
    """One managed user in detail."""
    return wiring.directory().describe_user(user_name)


@route(
    admin,
    "/admin/users/{user_name}/credentials",
    "POST",
    "Reissue first password and link",
    returns=ReissuedCredentials,
    access="admin",
)
def reissue_credentials(user_name: str, actor: Actor) -> ReissuedCredentials:
    """A new first password and link; older links die."""
    return ReissuedCredentials(bundle=wiring.reissue().reissue_credentials(user_name, actor))


@route(
    admin,
    "/admin/users/{user_name}",
    "DELETE",
    "Offboard a user",
    returns=Offboarded,
    query_flags={"dry_run": "true to only list what would be removed"},
    access="admin",
)
def offboard_user(user_name: str, actor: Actor, dry_run: bool) -> Offboarded:
    """Remove the user and everything attached; `?dry_run=true` only lists it."""
    offboarding = wiring.offboarding()
    removed = offboarding.inventory(user_name, actor) if dry_run else offboarding.offboard(user_name, actor)
    return Offboarded(dry_run=dry_run, removed=removed)


@route(
    admin,
    "/admin/users/{user_name}/enrollment",
    "POST",
    "Issue an MFA enrollment link",
    returns=EnrollmentIssued,
    access="admin",
)
def issue_enrollment(user_name: str, actor: Actor) -> EnrollmentIssued:
    """A fresh MFA enrollment link for a user without MFA."""
    return EnrollmentIssued(enrollment=wiring.mfa_admin().issue_enrollment(user_name, actor))


@route(
    admin,
    "/admin/users/{user_name}/mfa",
    "DELETE",
    "Reset a lost MFA device",
    returns=MfaReset,
    access="admin",
)
def reset_mfa(user_name: str, actor: Actor) -> MfaReset:
    """Remove a lost MFA device and hand out a fresh enrollment link."""
    removed, link = wiring.mfa_admin().reset(user_name, actor)
    return MfaReset(removed=removed, enrollment=link)
