"""The audit's safety nets for elevation: it ends grants whose schedule was missed, and reports members of
an elevate group who hold no live grant, break-glass users excepted."""

from __future__ import annotations

import dataclasses

import pytest

from chalicelib import aws, wiring
from chalicelib.config import settings
from tests.functional.elevation.conftest import Clock
from tests.functional.elevation.support import (
    GROUP,
    asked,
    decide,
    groups_of,
    make_admin,
    make_user,
    schedules,
)
from tests.support.api import Api

CHECK = "elevate_group_member_without_grant"


def standing(api: Api) -> list[str]:
    reply = api.as_admin("POST", "/admin/audit")
    assert reply.status == 200, reply.body
    return sorted(f["resource"] for f in reply.body["findings"] if f["check_id"] == CHECK)


def test_a_member_of_an_elevate_group_without_a_grant_is_a_high_finding(api: Api, clock: Clock) -> None:
    make_admin(api, "bob")

    reply = api.as_admin("POST", "/admin/audit")

    found = [f for f in reply.body["findings"] if f["check_id"] == CHECK]
    assert [(f["resource"], f["severity"]) for f in found] == [
        ("admin/administrator", "high"),
        ("bob/administrator", "high"),
    ]


def test_a_member_with_a_live_grant_is_not_reported(api: Api, clock: Clock) -> None:
    make_user(api, "alice")
    decide(api, asked(api, "alice"))

    assert standing(api) == ["admin/administrator"]


def test_a_break_glass_user_is_not_reported(api: Api, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    groups = dict(settings().groups)
    groups[GROUP] = dataclasses.replace(groups[GROUP], break_glass=("admin",))
    conf = dataclasses.replace(settings(), groups=groups)
    monkeypatch.setattr("chalicelib.wiring.settings", lambda: conf)

    assert standing(api) == []


def test_the_audit_ends_a_grant_whose_schedule_was_missed(api: Api, clock: Clock) -> None:
    make_user(api, "alice")
    grant_id = asked(api, "alice", minutes=30)
    decide(api, grant_id)
    # The schedule never fired (Scheduler down, the schedule deleted by hand): the grant is past its end.
    scheduler = aws.scheduler()
    scheduler.delete_schedule(Name=f"elevation-{grant_id}", GroupName=settings().elevation.schedule_group)
    clock.advance(minutes=31)

    found = standing(api)

    assert GROUP not in groups_of("alice")
    assert "alice/administrator" not in found
    assert wiring.store().get_grant(grant_id).state.value == "expired"  # type: ignore[union-attr]
    assert schedules() == {}


def test_the_sweep_leaves_a_live_grant_alone(api: Api, clock: Clock) -> None:
    make_user(api, "alice")
    decide(api, asked(api, "alice", minutes=30))
    clock.advance(minutes=29)

    standing(api)

    assert GROUP in groups_of("alice")
