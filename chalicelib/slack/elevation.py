"""What Slack says of elevation: each request, posted to the channel with the command that approves it,
and the refusal of an approval over Slack (Slack has no MFA: approving takes an MFA session, SPEC §12)."""

from __future__ import annotations

from chalicelib.models.records import GrantRecord
from chalicelib.slack.replies import escape


def approve_command(grant_id: str) -> str:
    """The exact command an admin runs to approve `grant_id`."""
    return f"iam-onboarding elevations approve {grant_id}"


def request_text(grant: GrantRecord) -> str:
    """The channel's message for a new request: who, which group, how long, why, and how to approve."""
    return (
        f":key: *{escape(grant.user_name)}* asks to join *{escape(grant.group)}* for {grant.minutes} "
        f"minutes: “{escape(grant.reason)}”\n"
        f"Another admin approves, signed in with MFA: `{approve_command(grant.grant_id)}` "
        f"(or `iam-onboarding elevations deny {grant.grant_id}`). The request lapses in 60 minutes."
    )


def approval_refused_text() -> str:
    """The answer to `/iam approve` (or `deny`): refused, nothing done, and what to run instead."""
    return (
        "Elevations are not approved or denied over Slack: Slack cannot prove an MFA sign-in, so nothing "
        f"was done. Run `{approve_command('ID')}` (or `deny ID`) in a terminal signed in with MFA."
    )
