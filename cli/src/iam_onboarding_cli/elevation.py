"""`iam-onboarding elevate` and `elevations list|approve|deny|end`: temporary elevation (SPEC §15)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from iam_onboarding_cli.output import table

Command = Callable[..., argparse.ArgumentParser]


def in_words(seconds: int | None) -> str:
    """`seconds` as a person says it: `2 h 5 min left`, `under a minute left`, or `-`."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return "under a minute left"
    hours, minutes = divmod(seconds // 60, 60)
    return (f"{hours} h {minutes} min" if hours else f"{minutes} min") + " left"


def elevation_table(body: dict[str, Any]) -> str:
    """Requests and grants, newest first: id, who, group, state and time left."""
    rows = [
        (
            e["id"],
            e["user_name"],
            e["group"],
            f"{e['minutes']} min",
            e["state"],
            in_words(e.get("remaining_seconds")),
            e["reason"],
        )
        for e in body["elevations"]
    ]
    if not rows:
        return "No elevation requests."
    return table(("ID", "USER", "GROUP", "FOR", "STATE", "REMAINING", "REASON"), rows)


def one_elevation(body: dict[str, Any]) -> str:
    """One request or grant, and what to do next."""
    text = elevation_table({"elevations": [body]})
    if body["state"] == "pending":
        text += f"\nAnother admin approves it with: iam-onboarding elevations approve {body['id']}"
    return text


def elevate(api: Any, args: argparse.Namespace, console: Any) -> tuple[Any, str]:
    """POST /elevations."""
    body = api.call(
        "POST", "/elevations", {"group": args.group, "minutes": args.minutes, "reason": args.reason}
    )
    return body, one_elevation(body)


def elevations_list(api: Any, args: argparse.Namespace, console: Any) -> tuple[Any, str]:
    """GET /admin/elevations with --all, else GET /elevations (your own)."""
    body = api.call("GET", "/admin/elevations" if args.all else "/elevations")
    return body, elevation_table(body)


def _decide(verb: str) -> Callable[[Any, argparse.Namespace, Any], tuple[Any, str]]:
    def decide(api: Any, args: argparse.Namespace, console: Any) -> tuple[Any, str]:
        reason = {"reason": args.reason} if args.reason else {}
        body = api.call("POST", f"/admin/elevations/{args.id}/{verb}", reason)
        return body, one_elevation(body)

    decide.__doc__ = f"POST /admin/elevations/{{id}}/{verb}."
    return decide


def elevations_end(api: Any, args: argparse.Namespace, console: Any) -> tuple[Any, str]:
    """DELETE /elevations/{id} (your own), or with --any DELETE /admin/elevations/{id}."""
    body = api.call("DELETE", f"/admin/elevations/{args.id}" if args.any else f"/elevations/{args.id}")
    return body, one_elevation(body)


def add_elevation_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], command: Command
) -> None:
    """Register `elevate` and `elevations …` with `command` (main's: common options, a handler)."""
    ask = command(commands, "elevate", elevate, "ask to join a group for a while; another admin approves")
    ask.add_argument("--group", required=True, help="a group marked elevate (e.g. administrator)")
    ask.add_argument("--minutes", type=int, default=60, help="how long, from approval (default 60)")
    ask.add_argument("--reason", required=True, help="why, in a sentence")

    parent = commands.add_parser("elevations", help="list, approve, deny and end elevations")
    subs = parent.add_subparsers(dest="elevation_command", required=True, metavar="COMMAND")
    listing = command(subs, "list", elevations_list, "your requests and grants, with state and time left")
    listing.add_argument("--all", action="store_true", help="everyone's (admins)")
    for verb in ("approve", "deny"):
        sub = command(subs, verb, _decide(verb), f"{verb} another user's pending request (admins, MFA)")
        sub.add_argument("id", help="the request's id")
        sub.add_argument("--reason", help="your reason, kept in the trail")
    end = command(subs, "end", elevations_end, "end your grant now (or withdraw your request)")
    end.add_argument("id", help="the grant's id")
    end.add_argument("--any", action="store_true", help="end anyone's grant (admins)")
