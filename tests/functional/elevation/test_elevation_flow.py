"""Temporary elevation end to end on the local stack (SPEC §15): ask, approve, member, a schedule in the
emulator, due, not a member; and every way it can go otherwise."""

from __future__ import annotations

from chalicelib import aws, wiring
from chalicelib.state import StateStore
from tests.functional.elevation.conftest import Clock
from tests.functional.elevation.support import (
    GROUP,
    ask,
    asked,
    decide,
    fire,
    groups_of,
    make_admin,
    make_user,
    schedules,
)
from tests.support.api import Api


def test_an_approved_request_makes_a_member_until_its_schedule_fires(api: Api, clock: Clock) -> None:
    make_user(api, "alice")
    grant_id = asked(api, "alice", minutes=30)

    approved = decide(api, grant_id)

    assert approved.status == 200, approved.body
    assert approved.body["state"] == "approved"
    assert GROUP in groups_of("alice")
    schedule = schedules()[f"elevation-{grant_id}"]
    assert schedule["ScheduleExpression"] == f"at({approved.body['expires_at'][:-1]})"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] > 0
    assert schedule["Target"]["DeadLetterConfig"]["Arn"]
    assert fire(clock, minutes=29) == []
    assert fire(clock, minutes=1, seconds=1) == [f"elevation-{grant_id}"]
    assert GROUP not in groups_of("alice")
    assert schedules() == {}
    mine = api.call("GET", "/elevations", caller="alice", mfa="true").body["elevations"]
    assert [(e["id"], e["state"]) for e in mine] == [(grant_id, "expired")]


def test_a_new_request_is_pending_without_an_end(api: Api, clock: Clock) -> None:
    make_user(api, "alice")

    reply = ask(api, "alice")

    assert reply.status == 201
    assert {k: reply.body[k] for k in ("user_name", "group", "minutes", "state", "expires_at")} == {
        "user_name": "alice",
        "group": GROUP,
        "minutes": 60,
        "state": "pending",
        "expires_at": None,
    }


def test_a_second_pending_request_for_the_same_group_is_refused(api: Api, clock: Clock) -> None:
    make_user(api, "alice")
    first = asked(api, "alice")

    again = ask(api, "alice")

    assert again.status == 409
    assert again.body["error"]["code"] == "elevation_pending"
    assert first in again.body["error"]["message"]


def test_a_pending_request_lapses_after_an_hour_and_cannot_be_approved(api: Api, clock: Clock) -> None:
    make_user(api, "alice")
    grant_id = asked(api, "alice")
    clock.advance(minutes=60)

    approved = decide(api, grant_id)
    again = ask(api, "alice")

    assert approved.status == 409
    assert approved.body["error"]["code"] == "elevation_not_pending"
    assert again.status == 201
    assert GROUP not in groups_of("alice")


def test_nobody_approves_their_own_request(api: Api, clock: Clock) -> None:
    make_admin(api, "bob")
    grant_id = asked(api, "bob")

    reply = decide(api, grant_id, by="bob")

    assert reply.status == 403
    assert reply.body["error"]["code"] == "self_approval"
    assert schedules() == {}


def test_a_denied_request_grants_nothing_and_may_be_asked_again(api: Api, clock: Clock) -> None:
    make_user(api, "alice")
    grant_id = asked(api, "alice")

    denied = decide(api, grant_id, "deny", reason="not today")

    assert denied.status == 200
    assert (denied.body["state"], denied.body["decision_reason"]) == ("denied", "not today")
    assert GROUP not in groups_of("alice")
    assert decide(api, grant_id).status == 409
    assert ask(api, "alice").status == 201


def test_a_user_ends_their_grant_early_and_its_schedule_goes(api: Api, clock: Clock) -> None:
    make_user(api, "alice")
    grant_id = asked(api, "alice")
    decide(api, grant_id)

    ended = api.call("DELETE", f"/elevations/{grant_id}", caller="alice", mfa="true")

    assert ended.status == 200, ended.body
    assert ended.body["state"] == "ended"
    assert GROUP not in groups_of("alice")
    assert schedules() == {}


def test_a_user_cannot_end_someone_elses_grant(api: Api, clock: Clock) -> None:
    make_user(api, "alice")
    make_user(api, "carol")
    grant_id = asked(api, "alice")
    decide(api, grant_id)

    reply = api.call("DELETE", f"/elevations/{grant_id}", caller="carol", mfa="true")

    assert reply.status == 404
    assert GROUP in groups_of("alice")


def test_an_admin_ends_any_grant(api: Api, clock: Clock) -> None:
    make_user(api, "alice")
    grant_id = asked(api, "alice")
    decide(api, grant_id)

    ended = api.as_admin("DELETE", f"/admin/elevations/{grant_id}")

    assert ended.status == 200
    assert GROUP not in groups_of("alice")


def test_the_first_of_two_overlapping_grants_to_end_leaves_the_group_to_the_second(
    api: Api, clock: Clock
) -> None:
    make_user(api, "alice")
    make_admin(api, "bob")
    first = asked(api, "alice", minutes=30)
    decide(api, first)
    second = asked(api, "alice", minutes=90)
    decide(api, second, by="bob")

    fire(clock, minutes=31)

    assert GROUP in groups_of("alice")
    assert list(schedules()) == [f"elevation-{second}"]
    fire(clock, minutes=60)
    assert GROUP not in groups_of("alice")


def test_withdrawing_a_request_leaves_a_membership_it_never_granted(api: Api, clock: Clock) -> None:
    make_admin(api, "bob")
    grant_id = asked(api, "bob")

    withdrawn = api.call("DELETE", f"/elevations/{grant_id}", caller="bob", mfa="true")

    assert withdrawn.status == 200
    assert withdrawn.body["state"] == "ended"
    assert GROUP in groups_of("bob")


def test_a_retried_approval_makes_no_second_schedule(api: Api, clock: Clock) -> None:
    make_user(api, "alice")
    grant_id = asked(api, "alice")
    first = decide(api, grant_id)

    again = decide(api, grant_id)

    assert (first.status, again.status) == (200, 200)
    assert again.body["expires_at"] == first.body["expires_at"]
    assert list(schedules()) == [f"elevation-{grant_id}"]


def test_every_step_is_trailed_with_both_actors_and_the_reason(api: Api, clock: Clock) -> None:
    make_user(api, "alice")
    grant_id = asked(api, "alice")
    clock.advance(seconds=1)
    decide(api, grant_id, reason="go ahead")
    clock.advance(seconds=1)
    api.call("DELETE", f"/elevations/{grant_id}", caller="alice", mfa="true")

    trail = [e for e in wiring_store().trail() if e.action.startswith("elevation_")]

    assert [(e.action, e.actor.rsplit("/", 1)[-1]) for e in trail] == [
        ("elevation_request", "alice"),
        ("elevation_approve", "admin"),
        ("elevation_end", "alice"),
    ]
    assert all(grant_id in (e.detail or "") and "user/onboarding/alice" in (e.detail or "") for e in trail)
    assert "deploy the fix" in (trail[0].detail or "")
    assert "go ahead" in (trail[1].detail or "")


def wiring_store() -> StateStore:
    return wiring.store()


def test_offboarding_a_user_with_a_live_grant_ends_it_and_removes_its_schedule(
    api: Api, clock: Clock
) -> None:
    make_user(api, "alice")
    live = asked(api, "alice")
    decide(api, live)

    offboarded = api.as_admin("DELETE", "/admin/users/alice")

    assert offboarded.status == 200, offboarded.body
    assert "administrator" in offboarded.body["removed"]["groups"]
    assert schedules() == {}
    assert wiring.store().get_grant(live).state.value == "ended"  # type: ignore[union-attr]
    assert fire(clock, minutes=61) == []


def test_offboarding_withdraws_a_pending_request(api: Api, clock: Clock) -> None:
    make_user(api, "alice")
    pending = asked(api, "alice")

    assert api.as_admin("DELETE", "/admin/users/alice").status == 200

    assert decide(api, pending).status == 409


def test_approving_the_request_of_a_user_iam_no_longer_has_ends_it_unused(api: Api, clock: Clock) -> None:
    make_user(api, "alice")
    grant_id = asked(api, "alice")
    iam = aws.iam()  # gone behind the product's back, as a hand-made deletion in the console would
    iam.delete_login_profile(UserName="alice")
    iam.remove_user_from_group(GroupName="developer", UserName="alice")
    iam.delete_user(UserName="alice")

    approved = decide(api, grant_id)

    assert approved.status == 404, approved.body
    assert "alice" in approved.body["error"]["message"]
    assert schedules() == {}
    mine = decide(api, grant_id)
    assert mine.status == 409 and "ended" in mine.body["error"]["message"]
