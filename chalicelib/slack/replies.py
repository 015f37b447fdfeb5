"""Every message the Slack channel sends: the answers to `/iam`, the outcomes of slow work, the audit summary.

Replies are ephemeral (only the requesting admin sees them), and the only secret that ever goes into one
is a one-time link, whose token sits in the URL fragment. Text that came from a person or from IAM is
escaped, so that Slack shows it literally.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from chalicelib.models import CreatedUser, Link, Removed, UserDetail
from chalicelib.models.audit import AuditReport
from chalicelib.models.slack import JobAction, SlackMessage

OFFBOARD_CONFIRM = "offboard_confirm"
OFFBOARD_CANCEL = "offboard_cancel"
AUDIT_FINDINGS_SHOWN = 15


def escape(text: str) -> str:
    """Text as Slack shows it literally: `&`, `<`, `>` would otherwise form links and mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _when(moment: datetime) -> str:
    # Slack renders this in the reader's own time zone; the fallback is RFC 3339 UTC.
    fallback = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def reply(text: str, **fields: Any) -> SlackMessage:
    """An ephemeral message."""
    return SlackMessage(text=text, **fields)


def error_reply(message: str, **fields: Any) -> SlackMessage:
    """An ephemeral message saying what went wrong."""
    return SlackMessage(text=f":warning: {message}", **fields)


# --- before any command: who is asking ----------------------------------------------------------------


def refusal_reply() -> SlackMessage:
    """The polite answer to a Slack user who is not on the allow-list."""
    return reply(
        "Sorry, you are not on the list of people who may manage AWS access with this command. "
        "Ask an AWS admin if you need something done."
    )


def not_an_admin_reply(iam_user: str) -> SlackMessage:
    """The answer to an allow-listed Slack user whose IAM user is not in an admin group now."""
    return reply(
        f"Sorry, your Slack account acts as the IAM user *{escape(iam_user)}*, which is not an AWS "
        "admin (in an admin group) of this account now, so this command cannot be used."
    )


# --- the answers within Slack's three seconds ------------------------------------------------------------


def help_reply(slash: str, usages: Sequence[tuple[str, str]]) -> SlackMessage:
    """What `/iam` can do: each sub-command's usage (after the slash command) and what it does."""
    lines = [f"*{escape(slash)}* manages people's AWS access. Only you see these replies."]
    lines += [f"• `{escape(f'{slash} {usage}')}`: {text}" for usage, text in usages]
    return reply("\n".join(lines))


def unknown_command_reply(name: str, help_message: SlackMessage) -> SlackMessage:
    """The answer to a sub-command we do not know, with the help text."""
    return reply(f":warning: `{escape(name)}` is not a command I know.\n{help_message.text}")


def onboarding_queued_reply(user_name: str, groups: Sequence[str]) -> SlackMessage:
    """`onboard` was accepted; the link follows from the worker."""
    return reply(f"Creating *{user_name}* in {', '.join(groups)}… their one-time link follows here.")


def mfa_reset_queued_reply(user_name: str) -> SlackMessage:
    """`reset-mfa` was accepted; the enrollment link follows from the worker."""
    return reply(f"Removing the MFA devices of *{user_name}*… the new enrollment link follows here.")


def audit_queued_reply() -> SlackMessage:
    """`audit` was accepted; the report follows from the worker."""
    return reply("Running the audit… the report follows here in a moment.")


def status_reply(user: UserDetail) -> SlackMessage:
    """What we know of one user."""
    devices = ", ".join(f"`{d}`" for d in user.mfa_devices) or "none"
    used = _when(user.password_last_used) if user.password_last_used else "never"
    return reply(
        f"*{user.user_name}*: {user.state.value.replace('_', ' ')}\n"
        f"• groups: {', '.join(user.groups) or 'none'}\n"
        f"• MFA devices: {devices}\n"
        f"• password last used: {used}\n"
        f"• created: {_when(user.created_at)}"
    )


def offboard_prompt(user: UserDetail) -> SlackMessage:
    """Ask before removing a user: offboarding cannot be undone."""
    text = (
        f"Offboard *{user.user_name}* ({', '.join(user.groups) or 'no groups'}; "
        f"{user.state.value.replace('_', ' ')})? This removes their password, access keys, MFA devices, "
        "group memberships and policies, then the user. It cannot be undone."
    )
    return reply(
        text,
        blocks=[
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": OFFBOARD_CONFIRM,
                        "style": "danger",
                        "text": {"type": "plain_text", "text": f"Offboard {user.user_name}"},
                        "value": user.user_name,
                    },
                    {
                        "type": "button",
                        "action_id": OFFBOARD_CANCEL,
                        "text": {"type": "plain_text", "text": "Cancel"},
                        "value": user.user_name,
                    },
                ],
            },
        ],
    )


# --- the outcomes of slow work, posted by the worker ---------------------------------------------------


def created_reply(created: CreatedUser) -> SlackMessage:
    """A user was created: the link goes to this admin only, to pass on privately."""
    return reply(
        f":white_check_mark: Created *{created.user_name}* in {', '.join(created.groups)}.\n"
        f"Send them this one-time link privately (it works once, until {_when(created.bundle.expires_at)}); "
        f"it shows their first password and walks them through MFA:\n{created.bundle.url}"
    )


def mfa_reset_reply(user_name: str, removed: Sequence[str], link: Link) -> SlackMessage:
    """MFA devices were removed; the new enrollment link goes to this admin only."""
    gone = ", ".join(f"`{serial}`" for serial in removed) if removed else "none (there was no device)"
    return reply(
        f":white_check_mark: Removed the MFA devices of *{user_name}*: {gone}.\n"
        f"Send them this enrollment link privately (it works until {_when(link.expires_at)}):\n{link.url}"
    )


def offboarding_started_reply(user_name: str) -> SlackMessage:
    """The confirmed offboarding holds the user now: the buttons go away."""
    return reply(f"Offboarding *{user_name}*…", replace_original=True)


def offboarding_cancelled_reply(user_name: str) -> SlackMessage:
    """The admin clicked Cancel on the offboarding prompt."""
    return reply(f"Offboarding of *{user_name}* cancelled; nothing was changed.", replace_original=True)


def offboarded_reply(removed: Removed) -> SlackMessage:
    """What offboarding removed."""
    parts = [
        ("password", int(removed.login_profile)),
        ("MFA devices", len(removed.mfa_devices)),
        ("access keys", len(removed.access_keys)),
        ("signing certificates", len(removed.signing_certificates)),
        ("SSH keys", len(removed.ssh_public_keys)),
        ("service credentials", len(removed.service_specific_credentials)),
        ("groups", len(removed.groups)),
        ("inline policies", len(removed.inline_policies)),
        ("attached policies", len(removed.attached_policies)),
    ]
    listed = ", ".join(f"{name}: {count}" for name, count in parts if count) or "nothing else was attached"
    return reply(
        f":white_check_mark: Offboarded *{removed.user}*. Removed {listed}; then the user.",
        replace_original=True,
    )


def job_failed_reply(action: JobAction, **fields: Any) -> SlackMessage:
    """Slow work failed for a reason of ours; the details are in the worker's log, never in Slack."""
    return error_reply(
        f"`{action.value}` failed on our side; nothing more is known here. Try again later, "
        "or ask whoever runs this service to check its logs.",
        **fields,
    )


def audit_reply(report: AuditReport) -> SlackMessage:
    """The audit's summary and its first findings; the whole report stays at `GET /admin/audit`.

    Unlike the daily summary for a channel, this goes to one allow-listed admin, so it names resources.
    """
    lines = [escape(summary_text(report))]
    for finding in report.findings[:AUDIT_FINDINGS_SHOWN]:
        lines.append(
            f"• *{finding.severity.value}* `{escape(finding.check_id)}` {escape(finding.resource)}: "
            f"{escape(finding.message)}"
        )
    hidden = len(report.findings) - AUDIT_FINDINGS_SHOWN
    if hidden > 0:
        lines.append(f"…and {hidden} more.")
    return reply("\n".join(lines))


def summary_text(report: AuditReport) -> str:
    """The daily audit's message to a channel: counts only, no user names, nothing secret."""
    summary = report.summary
    severities = ", ".join(f"{count} {name}" for name, count in summary.by_severity.items() if count)
    checks = ", ".join(
        f"{cid} ({n})" for cid, n in sorted(summary.by_check.items(), key=lambda i: (-i[1], i[0])) if n
    )
    head = f"IAM audit {report.generated_at.astimezone(UTC):%Y-%m-%d %H:%M}Z: {summary.findings} findings"
    head += (
        f" ({severities}) over {summary.users} users."
        if summary.findings
        else f" over {summary.users} users."
    )
    tail = "Details: GET /admin/audit." if summary.findings else ""
    return "\n".join(part for part in (head, checks, tail) if part)
