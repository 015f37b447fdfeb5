"""Elevation as the tests drive it: users who ask and admins who decide, through the dev gateway, and the
emulator's schedules fired as `make run` fires them."""

from __future__ import annotations

from typing import Any

from app import elevation_revoke
from chalicelib import aws
from chalicelib.config import settings
from local.scheduler import fire_due
from tests.functional.elevation.conftest import Clock
from tests.support.api import Api, Reply

GROUP = "administrator"


def make_user(api: Api, name: str, groups: tuple[str, ...] = ("developer",)) -> None:
    """A managed user `name` in `groups`."""
    reply = api.as_admin("POST", "/admin/users", {"user_name": name, "groups": list(groups)})
    assert reply.status == 201, reply.body


def make_admin(api: Api, name: str) -> None:
    """A second standing admin, who may approve what others ask."""
    make_user(api, name, ("administrator",))


def ask(api: Api, who: str, minutes: int = 60, reason: str = "deploy the fix", **kwargs: Any) -> Reply:
    """`who` asks for `GROUP`, with a fresh MFA session."""
    body = {"group": GROUP, "minutes": minutes, "reason": reason}
    return api.call("POST", "/elevations", body, caller=who, mfa="true", **kwargs)


def asked(api: Api, who: str, minutes: int = 60) -> str:
    """The id of a pending request of `who`."""
    reply = ask(api, who, minutes)
    assert reply.status == 201, reply.body
    return str(reply.body["id"])


def decide(api: Api, grant_id: str, verb: str = "approve", by: str = "admin", **body: Any) -> Reply:
    """`by` approves (or denies) `grant_id`."""
    return api.call("POST", f"/admin/elevations/{grant_id}/{verb}", body or None, caller=by, mfa="true")


def groups_of(name: str) -> set[str]:
    """IAM's groups of `name` now."""
    return {g["GroupName"] for g in aws.iam().list_groups_for_user(UserName=name)["Groups"]}


def schedules() -> dict[str, dict[str, Any]]:
    """The emulator's schedules in the stack's group, by name, in full."""
    client, group = aws.scheduler(), settings().elevation.schedule_group
    names = [s["Name"] for s in client.list_schedules(GroupName=group)["Schedules"]]
    return {name: dict(client.get_schedule(Name=name, GroupName=group)) for name in names}


def fire(clock: Clock, **later: float) -> list[str]:
    """Move `clock` on by `later` and fire the schedules due then, as `make run` does."""
    return fire_due(
        aws.scheduler(),
        settings().elevation.schedule_group,
        lambda event: elevation_revoke(event, None),
        clock.advance(**later),
    )
