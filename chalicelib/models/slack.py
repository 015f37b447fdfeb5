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

    team_id: str = ""
    api_app_id: str = ""
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


class SlackTeam(SlackForm):
    """The workspace a click comes from."""

    id: str = ""


class SlackAction(SlackForm):
    """One clicked button."""

    action_id: str
    value: str = ""


class BlockActions(SlackForm):
    """An interactivity payload of type `block_actions` (the JSON inside the form field `payload`)."""

    type: Literal["block_actions"]
    team: SlackTeam = Field(default_factory=SlackTeam)
    api_app_id: str = ""
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
    """The worker's event: the Slack request itself, exactly as Slack signed it.

    The worker checks the signature again and reads what to do from the signed body alone, so whoever
    may invoke the worker function cannot make it do anything Slack's signing secret did not vouch for.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    kind: Literal["command", "interactivity"]
    body: str
    timestamp: str
    signature: str
