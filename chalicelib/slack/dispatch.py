"""Reading the `/iam` table for one signed request: the answer now, the work for later, and who it may touch.

The API answers from here within Slack's three seconds; the worker finds the work of the same request
here again, and both refuse a command that would change an administrator (`refuse_administrators`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from chalicelib.models.slack import SlackAction, SlackMessage, SlashCommand
from chalicelib.slack import replies
from chalicelib.slack.arguments import Arguments, not_an_administrator, parse_command, user_name_arg
from chalicelib.slack.commands import Job, Services, help_message, subcommands

if TYPE_CHECKING:
    from chalicelib.config import GroupSpec


@dataclass(frozen=True)
class Work:
    """Slow work for the worker, derived only from what Slack signed (the command or the click)."""

    job: Job
    arguments: Arguments
    cli_for_administrators: str | None = None


def refuse_administrators(cli_command: str | None, arguments: Arguments, services: Services) -> Arguments:
    """`arguments`, with their user described when the command keeps off administrators (`cli_command`
    set), or `InvalidRequest` for an administrator: the API checks before it queues work, the worker again.
    """
    if cli_command is None:
        return arguments
    user = services.directory().describe_user(arguments.user_name)
    not_an_administrator(user.user_name, user.groups, services.groups, cli_command)
    return replace(arguments, target=user)


def answer(command: SlashCommand, services: Services, queue_job: Callable[[], None]) -> SlackMessage:
    """The answer to an admin's command within Slack's three seconds; slow work is queued before it."""
    slash, typed = command.command, parse_command(command.text)
    row = subcommands().get(typed.name)
    if row is None:
        return replies.unknown_command_reply(typed.name, help_message(slash, services.groups))
    arguments = refuse_administrators(
        row.cli_for_administrators, row.arguments(typed, slash, services.groups), services
    )
    if row.job is not None:
        queue_job()
    return row.ack(services, arguments, slash)


def work_of_command(command: SlashCommand, manifest: Mapping[str, GroupSpec]) -> Work | None:
    """The slow work a command asks for, or None for one answered at once; `InvalidRequest` if malformed."""
    typed = parse_command(command.text)
    row = subcommands().get(typed.name)
    if row is None or row.job is None:
        return None
    return Work(row.job, row.arguments(typed, command.command, manifest), row.cli_for_administrators)


def work_of_click(action: SlackAction) -> Work | None:
    """The slow work a click on one of our buttons asks for, or None for a button that is not ours."""
    rows = {action_id: (row, job) for row in subcommands().values() for action_id, job in row.buttons.items()}
    if action.action_id not in rows:
        return None
    row, job = rows[action.action_id]
    return Work(job, Arguments(user_name_arg(action.value)), row.cli_for_administrators)
