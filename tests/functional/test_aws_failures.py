"""AWS errors reach the caller as clear API errors; a step that cannot be undone says to run it again."""

from __future__ import annotations

import pytest

from chalicelib import aws, wiring
from tests.support.api import Api, token_of
from tests.support.faults import failing, failing_on_the_wire


def create(api: Api, name: str = "alice") -> str:
    reply = api.as_admin("POST", "/admin/users", {"user_name": name, "groups": ["developer"]})
    assert reply.status == 201, reply.body
    return token_of(reply.body["bundle"]["url"])


def test_an_aws_error_no_service_expects_is_a_503_naming_the_call_not_a_bare_500(api: Api) -> None:
    with failing(aws.iam(), "ListGroupsForUser", "Throttling", times=10):
        reply = api.as_admin("GET", "/admin/users")

    assert reply.status == 503
    assert reply.body == {
        "error": {
            "code": "aws_unavailable",
            "message": "AWS is busy or failing (Throttling from ListGroupsForUser); try again later.",
        }
    }


def test_an_aws_refusal_no_service_expects_is_a_502_naming_the_call(api: Api) -> None:
    token = create(api)

    with failing(aws.dynamodb(), "GetItem", "AccessDeniedException", times=10):
        reply = api.call("POST", "/onboarding/credentials", {"token": token})

    assert reply.status == 502
    assert reply.body["error"] == {
        "code": "aws_error",
        "message": "AWS refused GetItem (AccessDeniedException).",
    }


def test_creating_a_user_retries_iams_concurrent_modification(api: Api) -> None:
    with failing(aws.iam(), "CreateUser", "ConcurrentModification", status=409, times=2) as hits:
        reply = api.as_admin("POST", "/admin/users", {"user_name": "carol", "groups": ["developer"]})

    assert reply.status == 201
    assert len(hits) == 2


def test_a_reissue_whose_state_write_fails_after_the_password_changed_says_to_run_it_again(api: Api) -> None:
    create(api)

    # The first transaction takes the user's lock; the state write after the password changed is the second.
    with failing(aws.dynamodb(), "TransactWriteItems", "InternalServerError", status=500, times=10, skip=1):
        failed = api.as_admin("POST", "/admin/users/alice/credentials")
    again = api.as_admin("POST", "/admin/users/alice/credentials")

    assert (failed.status, failed.body["error"]["code"]) == (503, "aws_unavailable")
    assert "the previous link no longer works. Run it again." in failed.body["error"]["message"]
    assert again.status == 200
    claimed = api.call("POST", "/onboarding/credentials", {"token": token_of(again.body["bundle"]["url"])})
    assert claimed.status == 200


def test_offboarding_that_stopped_after_deleting_the_user_finishes_when_run_again(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    create(api)
    monkeypatch.setattr("time.sleep", lambda _: None)
    # The first transaction kills the links before anything is removed; the second forgets the user.
    with failing_on_the_wire(aws.dynamodb(), "TransactWriteItems", "ThrottlingException", nth=2):
        stopped = api.as_admin("DELETE", "/admin/users/alice")

    again = api.as_admin("DELETE", "/admin/users/alice")

    assert (stopped.status, stopped.body["error"]["code"]) == (503, "aws_unavailable")
    assert (
        "The IAM user is deleted but its name is still reserved. Run it again"
        in stopped.body["error"]["message"]
    )
    assert again.status == 200
    assert wiring.store().get_user("alice") is None
    assert api.as_admin("DELETE", "/admin/users/alice").status == 404
    create(api)


def test_offboarding_stopped_by_throttling_is_a_503_to_run_again_later(api: Api) -> None:
    create(api)

    with failing(aws.iam(), "DeleteUser", "Throttling", times=10):
        stopped = api.as_admin("DELETE", "/admin/users/alice")

    assert (stopped.status, stopped.body["error"]["code"]) == (503, "aws_unavailable")
    assert "Run it again" in stopped.body["error"]["message"]


def test_iam_eventual_consistency_that_outlasts_the_retries_is_a_503_to_try_later(api: Api) -> None:
    with failing(aws.iam(), "CreateUser", "ConcurrentModification", status=409, times=10):
        reply = api.as_admin("POST", "/admin/users", {"user_name": "carol", "groups": ["developer"]})

    assert (reply.status, reply.body["error"]["code"]) == (503, "aws_unavailable")
