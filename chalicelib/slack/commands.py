"""The `/iam` sub-commands and their buttons, each declared once (bolt's `ack` + `lazy` pairing).

A row says everything about one sub-command: its usage and help (what `/iam help` shows), how many words
it takes and how they are read, the answer Slack gets within its three seconds, and the slow work the
worker does afterwards. The answer, the worker and the help text all read the same table.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chalicelib.errors import InvalidRequest
from chalicelib.models.records import Actor
from chalicelib.models.slack import JobAction, SlackMessage
from chalicelib.slack import replies
from chalicelib.slack.arguments import (
    Arguments,
    Command,
    a_user,
    a_user_and_groups,
    no_words,
)
from chalicelib.slack.elevation import approval_refused_text

if TYPE_CHECKING:
    from chalicelib.audit.auditor import Auditor
    from chalicelib.config import GroupSpec
    from chalicelib.people.create import Creation
    from chalicelib.people.directory import Directory
    from chalicelib.people.mfa_admin import MfaAdmin
    from chalicelib.people.offboarding import Offboarding


@dataclass(frozen=True)
class Services:
    """What commands act with on this deployment; each service is built only when a command uses it."""

    creation: Callable[[], Creation]
    directory: Callable[[], Directory]
    offboarding: Callable[[], Offboarding]
    mfa_admin: Callable[[], MfaAdmin]
    auditor: Callable[[], Auditor]
    groups: Mapping[str, GroupSpec]  # the groups manifest: who may be put where


Progress = Callable[[SlackMessage], None]  # posts a message while the work goes on; never raises


@dataclass(frozen=True)
class Job:
    """Slow work the worker does after Slack got its answer; `action` names it in logs and replies."""

    action: JobAction
    run: Callable[[Services, Arguments, Actor, Progress], SlackMessage]


@dataclass(frozen=True)
class Subcommand:
    """One `/iam` sub-command, declared once."""

    name: str
    usage: str  # its words after the slash command, as help shows them
    help: str  # what it does; `{groups}` stands for the groups a user can be put in
    arity: int | None  # how many words it takes; None: any, and they are ignored
    parse: Callable[[Sequence[str], Mapping[str, GroupSpec]], Arguments]
    ack: Callable[[Services, Arguments, str], SlackMessage]  # (…, the slash command) → the answer
    job: Job | None = None  # slow work, queued for the worker before the answer is sent
    buttons: Mapping[str, Job] = field(default_factory=dict)  # action_id → the work of a click
    # Set on a command that changes an existing user: refused over Slack for an administrator, whom
    # this CLI command (`users reset-mfa`) changes with an MFA session instead.
    cli_for_administrators: str | None = None

    def arguments(self, command: Command, slash: str, manifest: Mapping[str, GroupSpec]) -> Arguments:
        """`command`'s words as this sub-command takes them, or an `InvalidRequest` that shows the usage."""
        if self.arity is not None and len(command.args) != self.arity:
            count = self.arity
            wanted = "no arguments" if count == 0 else f"{count} argument{'s' if count > 1 else ''}"
            raise InvalidRequest(f"`{slash} {self.name}` takes {wanted}. Usage: `{slash} {self.usage}`")
        return self.parse(command.args, manifest)


# --- the answers within three seconds ----------------------------------------------------------------


def _help(services: Services, arguments: Arguments, slash: str) -> SlackMessage:
    return help_message(slash, services.groups)


def _status(services: Services, arguments: Arguments, slash: str) -> SlackMessage:
    return replies.status_reply(services.directory().describe_user(arguments.user_name))


def _ask_to_offboard(services: Services, arguments: Arguments, slash: str) -> SlackMessage:
    # Only ask here (the user must exist: `refuse_administrators` described them); the click does it.
    assert arguments.target is not None
    return replies.offboard_prompt(arguments.target)


def _onboarding_queued(services: Services, arguments: Arguments, slash: str) -> SlackMessage:
    return replies.onboarding_queued_reply(arguments.user_name, arguments.groups)


def _mfa_reset_queued(services: Services, arguments: Arguments, slash: str) -> SlackMessage:
    return replies.mfa_reset_queued_reply(arguments.user_name)


def _approval_refused(services: Services, arguments: Arguments, slash: str) -> SlackMessage:
    return replies.reply(approval_refused_text())


def _audit_queued(services: Services, arguments: Arguments, slash: str) -> SlackMessage:
    return replies.audit_queued_reply()


# --- the slow work, in the worker ---------------------------------------------------------------------


def _onboard(services: Services, arguments: Arguments, actor: Actor, progress: Progress) -> SlackMessage:
    created = services.creation().create_user(arguments.user_name, list(arguments.groups), actor)
    return replies.created_reply(created)


def _reset_mfa(services: Services, arguments: Arguments, actor: Actor, progress: Progress) -> SlackMessage:
    removed, link = services.mfa_admin().reset(arguments.user_name, actor)
    return replies.mfa_reset_reply(arguments.user_name, removed, link)


def _offboard(services: Services, arguments: Arguments, actor: Actor, progress: Progress) -> SlackMessage:
    name = arguments.user_name

    def started() -> None:
        # This job holds the offboarding now (a second click's job is refused): take the buttons away.
        progress(replies.offboarding_started_reply(name))

    removed = services.offboarding().offboard(name, actor, started=started)
    return replies.offboarded_reply(removed)


def _cancel(services: Services, arguments: Arguments, actor: Actor, progress: Progress) -> SlackMessage:
    return replies.offboarding_cancelled_reply(arguments.user_name)


def _audit(services: Services, arguments: Arguments, actor: Actor, progress: Progress) -> SlackMessage:
    return replies.audit_reply(services.auditor().run(actor))


# --- the table ---------------------------------------------------------------------------------------


def subcommands() -> dict[str, Subcommand]:
    """Every `/iam` sub-command by name, in the order help lists them.

    Built when asked, not at import: the role-policy scanner (tests/deploy) follows what a function
    refers to, and both the answer and the worker reach each command's work through here.
    """
    rows = [
        Subcommand(
            "onboard",
            usage="onboard <user> <group>[,<group>]",
            help="create a user (groups: {groups}); you get their one-time link to pass on",
            arity=2,
            parse=a_user_and_groups,
            ack=_onboarding_queued,
            job=Job(JobAction.ONBOARD, _onboard),
        ),
        Subcommand(
            "status",
            usage="status <user>",
            help="groups, onboarding state and MFA devices",
            arity=1,
            parse=a_user,
            ack=_status,
        ),
        Subcommand(
            "reset-mfa",
            usage="reset-mfa <user>",
            help="remove their MFA devices (lost phone) and get a new enrollment link",
            arity=1,
            parse=a_user,
            ack=_mfa_reset_queued,
            job=Job(JobAction.RESET_MFA, _reset_mfa),
            cli_for_administrators="users reset-mfa",
        ),
        Subcommand(
            "offboard",
            usage="offboard <user>",
            help="remove the user and everything attached (asks first)",
            arity=1,
            parse=a_user,
            ack=_ask_to_offboard,
            buttons={
                replies.OFFBOARD_CONFIRM: Job(JobAction.OFFBOARD, _offboard),
                replies.OFFBOARD_CANCEL: Job(JobAction.OFFBOARD_CANCELLED, _cancel),
            },
            cli_for_administrators="users offboard",
        ),
        Subcommand(
            "audit",
            usage="audit",
            help="run the account audit now",
            arity=0,
            parse=no_words,
            ack=_audit_queued,
            job=Job(JobAction.AUDIT, _audit),
        ),
        *(
            Subcommand(
                verb,
                usage=f"{verb} <id>",
                help="refused: deciding an elevation takes an MFA session (`iam-onboarding elevations`)",
                arity=None,
                parse=no_words,
                ack=_approval_refused,
            )
            for verb in ("approve", "deny")
        ),
        Subcommand("help", usage="help", help="this text", arity=None, parse=no_words, ack=_help),
    ]
    return {row.name: row for row in rows}


def help_message(slash: str, groups: Collection[str]) -> SlackMessage:
    """What `/iam` can do, from the table."""
    listed = ", ".join(sorted(groups))
    usages = [(row.usage, row.help.format(groups=listed)) for row in subcommands().values()]
    return replies.help_reply(slash, usages)
