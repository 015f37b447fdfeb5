"""One offboarding per user at a time: a second one while the first runs is refused and does nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib import aws, wiring
from chalicelib.people.exclusive import LOCK_TTL, OFFBOARD, USER_LOCK
from tests.support.api import Api, Reply
from tests.support.faults import failing


def create(api: Api, name: str = "alice") -> None:
    reply = api.as_admin("POST", "/admin/users", {"user_name": name, "groups": ["developer"]})
    assert reply.status == 201, reply.body


def held_by_someone_else(name: str, *, until: datetime) -> None:
    store = wiring.store()
    now = datetime.now(UTC)
    store.transact(
        [store.lock_put(USER_LOCK, name, "another request", now - LOCK_TTL, until, purpose=OFFBOARD)]
    )


def during_the_first_removal(monkeypatch: pytest.MonkeyPatch, then: Any) -> list[Any]:
    """Run `then()` once, while the first offboarding is removing alice's password; its answers."""
    iam, answers = aws.iam(), []
    delete = iam.delete_login_profile

    def delete_then(**kwargs: Any) -> Any:
        if not answers:
            answers.append(then())
        return delete(**kwargs)

    monkeypatch.setattr(iam, "delete_login_profile", delete_then)
    return answers


def test_an_offboarding_started_while_another_runs_is_refused(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    create(api)
    second = during_the_first_removal(monkeypatch, lambda: api.as_admin("DELETE", "/admin/users/alice"))

    first = api.as_admin("DELETE", "/admin/users/alice")

    assert first.status == 200
    [refused] = second
    assert isinstance(refused, Reply)
    assert (refused.status, refused.body["error"]["code"]) == (409, "offboarding_in_progress")
    assert "being offboarded by another request" in refused.body["error"]["message"]


def test_an_offboarding_refused_because_another_runs_changes_nothing(api: Api) -> None:
    create(api)
    held_by_someone_else("alice", until=datetime.now(UTC) + timedelta(minutes=1))

    reply = api.as_admin("DELETE", "/admin/users/alice")

    assert reply.status == 409
    assert aws.iam().get_login_profile(UserName="alice")["LoginProfile"]["UserName"] == "alice"
    assert wiring.store().get_user("alice") is not None


def test_a_lock_whose_holder_died_frees_itself_when_it_expires(api: Api) -> None:
    create(api)
    held_by_someone_else("alice", until=datetime.now(UTC) - timedelta(seconds=1))

    reply = api.as_admin("DELETE", "/admin/users/alice")

    assert reply.status == 200
    assert aws.iam().list_users(PathPrefix="/onboarding/")["Users"] == []


def test_an_offboarding_that_stops_midway_frees_the_user_for_the_next_run(api: Api) -> None:
    create(api)
    with failing(aws.iam(), "DeleteUser", "AccessDenied", status=403, times=4):
        stopped = api.as_admin("DELETE", "/admin/users/alice")

    again = api.as_admin("DELETE", "/admin/users/alice")

    assert stopped.status == 502
    assert again.status == 200


def test_finishing_a_stopped_offboarding_waits_for_one_that_is_running(api: Api) -> None:
    create(api)
    aws.iam().delete_login_profile(UserName="alice")
    aws.iam().remove_user_from_group(GroupName="developer", UserName="alice")
    aws.iam().delete_user(UserName="alice")  # as if an offboarding stopped after DeleteUser
    held_by_someone_else("alice", until=datetime.now(UTC) + timedelta(minutes=1))

    reply = api.as_admin("DELETE", "/admin/users/alice")

    assert (reply.status, reply.body["error"]["code"]) == (409, "offboarding_in_progress")
    assert wiring.store().get_user("alice") is not None


def test_a_dry_run_is_not_refused_while_an_offboarding_runs(api: Api) -> None:
    create(api)
    held_by_someone_else("alice", until=datetime.now(UTC) + timedelta(minutes=1))

    assert api.as_admin("DELETE", "/admin/users/alice?dry_run=true").status == 200
