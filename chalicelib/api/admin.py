"""`/admin/*`: IAM-authorized (SigV4), MFA-gated by the API's resource policy, admin groups only."""

from __future__ import annotations

import re

from chalice.app import Blueprint, IAMAuthorizer, Response

from chalicelib import aws, wiring
from chalicelib.api.http import json_response, parse_body, signed_caller, translating_errors
from chalicelib.config import settings
from chalicelib.errors import InvalidRequest
from chalicelib.models import USER_NAME_PATTERN, CreateUserRequest, Offboarded, ReissuedCredentials, UserList
from chalicelib.models.mfa import EnrollmentIssued, MfaReset
from chalicelib.models.records import Actor
from chalicelib.people.identity import require_admin

admin = Blueprint(__name__)
iam_auth = IAMAuthorizer()


def authorized_admin() -> Actor:
    """The calling admin; raises 401/403 before anything about the request is looked at."""
    caller = signed_caller(admin)
    require_admin(aws.iam(), caller.user_name, settings().admin_groups)
    return Actor(id=caller.arn, channel="rest")


def _user_name(value: str) -> str:
    if not re.fullmatch(USER_NAME_PATTERN, value):
        raise InvalidRequest("user_name must be 1-64 of A-Za-z0-9_+=,.@-.")
    return value


@admin.route("/admin/users", methods=["POST"], authorizer=iam_auth)
@translating_errors
def create_user() -> Response:
    """Create a user in groups, with a first password and a one-time credential link."""
    actor = authorized_admin()
    body = parse_body(admin.current_request, CreateUserRequest)
    created = wiring.creation().create_user(body.user_name, body.groups, actor)
    return json_response(created, status=201)


@admin.route("/admin/users", methods=["GET"], authorizer=iam_auth)
@translating_errors
def list_users() -> Response:
    """Every managed user with groups and onboarding state."""
    authorized_admin()
    return json_response(UserList(users=wiring.directory().list_users()))


@admin.route("/admin/users/{user_name}", methods=["GET"], authorizer=iam_auth)
@translating_errors
def describe_user(user_name: str) -> Response:
    """One managed user in detail."""
    authorized_admin()
    return json_response(wiring.directory().describe_user(_user_name(user_name)))


@admin.route("/admin/users/{user_name}/credentials", methods=["POST"], authorizer=iam_auth)
@translating_errors
def reissue_credentials(user_name: str) -> Response:
    """A new first password and link; older links die."""
    actor = authorized_admin()
    link = wiring.reissue().reissue_credentials(_user_name(user_name), actor)
    return json_response(ReissuedCredentials(bundle=link))


@admin.route("/admin/users/{user_name}", methods=["DELETE"], authorizer=iam_auth)
@translating_errors
def offboard_user(user_name: str) -> Response:
    """Remove the user and everything attached; `?dry_run=true` only lists it."""
    actor = authorized_admin()
    params = admin.current_request.query_params
    flag = str(params.get("dry_run", "false") if params else "false").lower()
    if flag not in ("true", "false"):
        raise InvalidRequest("dry_run must be true or false.")
    dry_run = flag == "true"
    offboarding, name = wiring.offboarding(), _user_name(user_name)
    removed = offboarding.inventory(name, actor) if dry_run else offboarding.offboard(name, actor)
    return json_response(Offboarded(dry_run=dry_run, removed=removed))


@admin.route("/admin/users/{user_name}/enrollment", methods=["POST"], authorizer=iam_auth)
@translating_errors
def issue_enrollment(user_name: str) -> Response:
    """A fresh MFA enrollment link for a user without MFA."""
    actor = authorized_admin()
    link = wiring.mfa_admin().issue_enrollment(_user_name(user_name), actor)
    return json_response(EnrollmentIssued(enrollment=link))


@admin.route("/admin/users/{user_name}/mfa", methods=["DELETE"], authorizer=iam_auth)
@translating_errors
def reset_mfa(user_name: str) -> Response:
    """Remove a lost MFA device and hand out a fresh enrollment link."""
    actor = authorized_admin()
    removed, link = wiring.mfa_admin().reset(_user_name(user_name), actor)
    return json_response(MfaReset(removed=removed, enrollment=link))
