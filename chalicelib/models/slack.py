"""What Slack sends to `/slack/*`, what we answer, and the slow-work job handed to the worker."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.models import Body


class SlackForm(BaseModel):
    """Fields of a Slack form body we use; Slack adds fields over time, so the rest is ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class SlashCommand(SlackForm):
    """A slash command invocation (`application/x-www-form-urlencoded`)."""

    user_id: str = Field(min_length=1)
    command: str = "/iam"
    text: str = ""
    response_url: str = Field(min_length=1)


class InteractivityForm(SlackForm):
    """An interactivity request: one form field, `payload`, holding JSON."""

    payload: str = Field(description="JSON: a block_actions payload")


class SlackUser(SlackForm):
    """The Slack user who clicked."""

    id: str = Field(min_length=1)


class SlackAction(SlackForm):
    """One clicked button."""

    action_id: str
    value: str = ""


class BlockActions(SlackForm):
    """An interactivity payload of type `block_actions` (the JSON inside the form field `payload`)."""

    type: Literal["block_actions"]
    user: SlackUser
    response_url: str = Field(min_length=1)
    actions: list[SlackAction] = Field(min_length=1)


class SlackMessage(Body):
    """A reply to Slack: in the HTTP response or posted to `response_url`. Always ephemeral."""

    response_type: Literal["ephemeral"] = "ephemeral"
    text: str
    blocks: list[dict[str, Any]] | None = None
    replace_original: bool | None = None
    unfurl_links: bool = False


class JobAction(StrEnum):
    """Slow work the worker does after Slack got its answer."""

    ONBOARD = "onboard"
    RESET_MFA = "reset_mfa"
    OFFBOARD = "offboard"
    OFFBOARD_CANCELLED = "offboard_cancelled"
    AUDIT = "audit"


class SlackJob(BaseModel):
    """The worker's event: what to do, for which admin, and where to post the outcome."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    action: JobAction
    admin_id: str
    response_url: str
    user_name: str | None = None
    groups: list[str] = Field(default_factory=list)
