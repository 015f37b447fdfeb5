"""Bodies of temporary elevation (SPEC §15): the request, a decision, and a grant as the API shows it."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chalicelib.models import Body, Request, UserName
from chalicelib.models.records import GrantState

ELEVATION_ID_PATTERN = r"^[0-9a-f]{12}$"
ELEVATION_ID_RULE = "12 of 0-9a-f"
Reason = Annotated[str, Field(min_length=1, max_length=500, description="Why, in a sentence")]


class ElevationRequest(Request):
    """`POST /elevations`: join `group` for `minutes`, for `reason`."""

    group: Annotated[str, Field(min_length=1, max_length=128, description="A group marked elevate")]
    minutes: Annotated[int, Field(ge=1, le=480, description="How long, from approval (1-480)")] = 60
    reason: Reason


class ElevationDecision(Request):
    """`POST /admin/elevations/{id}/approve` and `…/deny`: the approver's own words, if any."""

    reason: Reason | None = None


class Elevation(Body):
    """A request to join a group for a while, and what became of it; times are RFC 3339 UTC."""

    id: str
    user_name: UserName
    group: str
    minutes: int
    reason: str
    state: GrantState
    requested_at: str
    expires_at: str | None = Field(description="When the grant ends; null until approved")
    requested_by: str
    lapses_at: str = Field(description="When a pending request lapses")
    decided_by: str | None = None
    decided_at: str | None = None
    decision_reason: str | None = None
    ended_by: str | None = None
    ended_at: str | None = None
    remaining_seconds: int | None = Field(description="Seconds the grant (or the pending request) has left")


class ElevationList(Body):
    """`GET /elevations`, `GET /admin/elevations`: newest first."""

    elevations: list[Elevation]
