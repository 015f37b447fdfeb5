"""Pydantic models of the API's bodies and the product's records (no boto3, no chalice here)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

USER_NAME_PATTERN = r"^[A-Za-z0-9_+=,.@-]{1,64}$"
USER_NAME_RULE = "1-64 of A-Za-z0-9_+=,.@-"  # the pattern in words, for messages


class Request(BaseModel):
    """A request body: unknown fields and wrong types are errors, never coerced.

    `defer_build` keeps validator construction out of the Lambda's cold start: each model is built on
    first use, and most invocations use one or two of them.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class Body(BaseModel):
    """A response body (built on first use, like `Request`)."""

    model_config = ConfigDict(frozen=True, defer_build=True)


class OnboardingState(StrEnum):
    """Where a newcomer is in onboarding, in order."""

    INVITED = "invited"
    CREDENTIALS_VIEWED = "credentials_viewed"
    MFA_ENROLLED = "mfa_enrolled"
    ACTIVE = "active"


UserName = Annotated[str, Field(pattern=USER_NAME_PATTERN, description=USER_NAME_RULE)]


def _not_a_whole_link(token: str) -> str:
    # Tokens are base64url, so a '#' or '/' means the whole link was pasted: say so, rather than the
    # 410 an unknown token gets (no oracle either way: no token looks like that).
    if "#" in token or "/" in token:
        raise PydanticCustomError(
            "whole_link", "Paste only the part after # of the link, not the whole address"
        )
    return token


Token = Annotated[
    str,
    Field(min_length=1, max_length=256, description="A one-time token from a link"),
    AfterValidator(_not_a_whole_link),
]


class CreateUserRequest(Request):
    """`POST /admin/users`."""

    user_name: UserName
    groups: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=128)]], Field(min_length=1, max_length=10)
    ]

    @field_validator("groups")
    @classmethod
    def _without_repeats(cls, groups: list[str]) -> list[str]:
        return list(dict.fromkeys(groups))


class TokenRequest(Request):
    """A newcomer's call that carries only its one-time token."""

    token: Token


class Link(Body):
    """A one-time link: the token rides in the URL fragment, so no server or proxy ever logs it."""

    url: str
    expires_at: datetime


class CreatedUser(Body):
    """`POST /admin/users` → 201."""

    user_name: str
    arn: str
    groups: list[str]
    state: OnboardingState
    bundle: Link


class UserSummary(Body):
    """One row of `GET /admin/users`."""

    user_name: str
    arn: str
    groups: list[str]
    state: OnboardingState
    created_at: datetime


class UserList(Body):
    """`GET /admin/users`."""

    users: list[UserSummary]


class UserDetail(Body):
    """`GET /admin/users/{user_name}`."""

    user_name: str
    arn: str
    groups: list[str]
    state: OnboardingState
    created_at: datetime
    mfa_devices: list[str]
    password_last_used: datetime | None


class ReissuedCredentials(Body):
    """`POST /admin/users/{user_name}/credentials`."""

    bundle: Link


class Removed(Body):
    """What offboarding removed (or, with `dry_run`, would remove), by kind."""

    login_profile: bool
    mfa_devices: list[str]
    access_keys: list[str]
    signing_certificates: list[str]
    ssh_public_keys: list[str]
    service_specific_credentials: list[str]
    groups: list[str]
    inline_policies: list[str]
    attached_policies: list[str]
    user: str


class Offboarded(Body):
    """`DELETE /admin/users/{user_name}`."""

    dry_run: bool
    removed: Removed


class EnrollmentGrant(Body):
    """The enrollment token handed to the newcomer with the credentials."""

    token: str
    expires_at: datetime


class AccountFacts(Body):
    """What the newcomer's page needs to know of the account: where to sign in, and the terminal's profile.

    Data, not prose: the page words its steps itself, in the reader's language.
    """

    console_url: str = Field(description="`https://<account alias or id>.signin.aws.amazon.com/console`")
    account_id: str
    account_alias: str | None = Field(description="The account alias, if the account has one")
    region: str = Field(description="The region this service runs in: the terminal profile's default")


class ClaimedCredentials(AccountFacts):
    """`POST /onboarding/credentials` → the one-time credential bundle."""

    user_name: str
    password: str
    enrollment: EnrollmentGrant | None


class ErrorDetail(Body):
    """What went wrong, in a sentence a person can act on."""

    code: str
    message: str
    tries_left: int | None = Field(
        default=None, description="`invalid_mfa_codes`: wrong pairs of codes left before the link is spent"
    )


class ErrorBody(Body):
    """Every error response."""

    error: ErrorDetail
