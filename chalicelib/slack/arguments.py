"""What the admin typed after `/iam`: the sub-command, and its words read as a user name and groups."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.errors import InvalidRequest
from chalicelib.models import USER_NAME_PATTERN, USER_NAME_RULE, UserDetail

if TYPE_CHECKING:
    from chalicelib.config import GroupSpec


@dataclass(frozen=True)
class Command:
    """A parsed `/iam` command: the sub-command and its words."""

    name: str
    args: tuple[str, ...]


def parse_command(text: str) -> Command:
    """Split the command text into a sub-command (lower-cased) and its arguments; empty means help."""
    words = text.split()
    if not words:
        return Command("help", ())
    return Command(words[0].lower(), tuple(words[1:]))


@dataclass(frozen=True)
class Arguments:
    """A command's or a button's words, checked: the user it is about and the groups it names."""

    user_name: str = ""
    groups: tuple[str, ...] = ()
    # The user as IAM describes them, once a command that keeps off administrators has looked.
    target: UserDetail | None = None


def user_name_arg(value: str) -> str:
    """A user name as IAM accepts it (the API's rule), or `InvalidRequest`."""
    if not re.fullmatch(USER_NAME_PATTERN, value):
        raise InvalidRequest(f"`{value}` is not a valid user name: use {USER_NAME_RULE}.")
    return value


def groups_arg(value: str, known: Collection[str]) -> list[str]:
    """`developer,administrator` as a list of provisionable groups, or `InvalidRequest`."""
    groups = list(dict.fromkeys(g.strip() for g in value.split(",") if g.strip()))
    unknown = [g for g in groups if g not in known]
    if not groups or unknown:
        raise InvalidRequest(
            f"Unknown group {', '.join(unknown) or value}; choose from {', '.join(sorted(known))}."
        )
    return groups


def grantable_over_slack(groups: Sequence[str], manifest: Mapping[str, GroupSpec]) -> None:
    """Raise `InvalidRequest` if a group is an admin group that `groups.json` keeps off Slack.

    Slack proves a signature, not an MFA session: making an administrator takes the REST API (and its
    one-hour MFA rule) unless the manifest marks the group `"slack": true`.
    """
    refused = kept_off_slack(groups, manifest)
    if refused:
        raise InvalidRequest(
            f"Adding someone to {', '.join(refused)} needs the REST API with an MFA session "
            f"(`iam-onboarding users create <user> --group {refused[0]}`), not Slack."
        )


def kept_off_slack(groups: Collection[str], manifest: Mapping[str, GroupSpec]) -> list[str]:
    """Those of `groups` that are admin groups `groups.json` keeps off Slack (no `"slack": true`)."""
    return [g for g in groups if g in manifest and manifest[g].admin and not manifest[g].slack]


def not_an_administrator(
    user_name: str, groups: Collection[str], manifest: Mapping[str, GroupSpec], cli_command: str
) -> None:
    """`InvalidRequest` naming the CLI's `cli_command` if the user is in an admin group kept off Slack.

    Resetting an administrator's MFA hands its enrollment link to the Slack caller, and offboarding
    deletes them: both are as strong as making one, which takes an MFA session (SPEC §12).
    """
    refused = kept_off_slack(groups, manifest)
    if refused:
        raise InvalidRequest(
            f"{user_name} is in {', '.join(sorted(refused))}: Slack has no MFA, so an administrator is "
            f"changed with an MFA session: `iam-onboarding {cli_command} {user_name}`."
        )


# Each reads exactly the words its sub-command takes (the count is checked before).


def no_words(words: Sequence[str], manifest: Mapping[str, GroupSpec]) -> Arguments:
    """Nothing to read."""
    return Arguments()


def a_user(words: Sequence[str], manifest: Mapping[str, GroupSpec]) -> Arguments:
    """`<user>`."""
    return Arguments(user_name_arg(words[0]))


def a_user_and_groups(words: Sequence[str], manifest: Mapping[str, GroupSpec]) -> Arguments:
    """`<user> <group>[,<group>]`, in groups that may be granted over Slack."""
    name, groups = user_name_arg(words[0]), groups_arg(words[1], manifest)
    grantable_over_slack(groups, manifest)
    return Arguments(name, tuple(groups))
