"""Creating a user either fully succeeds or leaves nothing behind, and the error names the failed step."""

from __future__ import annotations

import moto.iam.models
import pytest

from chalicelib import aws
from chalicelib.config import settings
from local.emulator import ACCOUNT_ID
from tests.support.api import Api, Reply, token_of
from tests.support.faults import failing


def assert_nothing_left(name: str = "carol") -> None:
    iam = aws.iam()
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["admin"]
    for group in ("administrator", "developer"):
        assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == (
            ["admin"] if group == "administrator" else []
        )
    items = aws.dynamodb().scan(TableName=settings().table_name)["Items"]
    assert [i["pk"]["S"] for i in items if i["pk"]["S"] != "trail"] == []


@pytest.mark.parametrize(
    ("service", "operation", "code", "status", "step"),
    [
        ("iam", "CreateUser", "LimitExceeded", 409, "CreateUser"),
        ("iam", "AddUserToGroup", "NoSuchEntity", 404, "AddUserToGroup("),
        ("iam", "CreateLoginProfile", "PasswordPolicyViolation", 400, "CreateLoginProfile"),
        ("dynamodb", "TransactWriteItems", "InternalServerError", 500, "StateWrite"),
    ],
)
def test_a_failure_at_any_step_leaves_nothing_behind_and_names_the_step(
    api: Api, service: str, operation: str, code: str, status: int, step: str
) -> None:
    client = aws.iam() if service == "iam" else aws.dynamodb()
    # The first transaction takes the name's lock, before anything is made: the state write is the second.
    skip = 1 if service == "dynamodb" else 0
    with failing(client, operation, code, status=status, times=10, skip=skip):
        reply = api.as_admin(
            "POST", "/admin/users", {"user_name": "carol", "groups": ["developer", "administrator"]}
        )

    assert reply.status in (502, 503)
    assert step in reply.body["error"]["message"]
    assert code in reply.body["error"]["message"]
    assert "Nothing was left behind" in reply.body["error"]["message"]
    assert_nothing_left()


def test_throttling_that_persists_is_a_503_to_try_later(api: Api) -> None:
    with failing(aws.iam(), "CreateLoginProfile", "Throttling", status=400, times=10):
        reply = api.as_admin("POST", "/admin/users", {"user_name": "carol", "groups": ["developer"]})

    assert (reply.status, reply.body["error"]["code"]) == (503, "aws_unavailable")
    assert_nothing_left()


def test_iam_eventual_consistency_is_retried_until_it_clears(api: Api) -> None:
    with failing(aws.iam(), "AddUserToGroup", "EntityTemporarilyUnmodifiable", status=409, times=2) as hits:
        reply = api.as_admin("POST", "/admin/users", {"user_name": "carol", "groups": ["developer"]})

    assert reply.status == 201
    assert len(hits) == 2
    assert [g["GroupName"] for g in aws.iam().list_groups_for_user(UserName="carol")["Groups"]] == [
        "developer"
    ]


def a_create_whose_cleanup_fails_too(api: Api) -> Reply:
    with (
        failing(aws.iam(), "CreateLoginProfile", "ServiceFailure", status=500, times=10),
        failing(aws.iam(), "DeleteUser", "ServiceFailure", status=500, times=10),
        failing(aws.iam(), "RemoveUserFromGroup", "ServiceFailure", status=500, times=10),
    ):
        return api.as_admin("POST", "/admin/users", {"user_name": "carol", "groups": ["developer"]})


def test_when_cleanup_fails_too_the_error_says_what_is_left_and_that_running_it_again_finishes_it(
    api: Api,
) -> None:
    reply = a_create_whose_cleanup_fails_too(api)

    message = reply.body["error"]["message"]
    assert reply.status == 503
    assert "(AddUserToGroup(developer), CreateUser left)" in message
    assert "run the same command again to finish creating carol" in message


def test_the_same_create_run_again_finishes_a_half_made_user(api: Api) -> None:
    a_create_whose_cleanup_fails_too(api)

    again = api.as_admin("POST", "/admin/users", {"user_name": "carol", "groups": ["developer"]})

    assert again.status == 201, again.body
    assert [g["GroupName"] for g in aws.iam().list_groups_for_user(UserName="carol")["Groups"]] == [
        "developer"
    ]
    claimed = api.call("POST", "/onboarding/credentials", {"token": token_of(again.body["bundle"]["url"])})
    assert claimed.status == 200
    # The emulator's own record of the password: the link hands out the one the user really has.
    backend = moto.iam.models.iam_backends[ACCOUNT_ID]["global"]
    assert backend.users["carol"].password == claimed.body["password"]


def test_a_create_never_adopts_a_user_it_did_not_make(api: Api) -> None:
    aws.iam().create_user(UserName="carol", Path="/onboarding/")  # made by hand, no record

    reply = api.as_admin("POST", "/admin/users", {"user_name": "carol", "groups": ["developer"]})

    assert (reply.status, reply.body["error"]["code"]) == (409, "user_exists")
    assert aws.iam().list_groups_for_user(UserName="carol")["Groups"] == []


def test_a_missing_managed_group_says_to_run_the_account_bootstrap(api: Api) -> None:
    # An account where the bootstrap was skipped: the manifest's group does not exist in IAM.
    iam = aws.iam()
    for policy in iam.list_attached_group_policies(GroupName="developer")["AttachedPolicies"]:
        iam.detach_group_policy(GroupName="developer", PolicyArn=policy["PolicyArn"])
    iam.delete_group(GroupName="developer")

    reply = api.as_admin("POST", "/admin/users", {"user_name": "hank", "groups": ["developer"]})

    assert reply.status == 502
    message = reply.body["error"]["message"]
    assert "AddUserToGroup(developer) (NoSuchEntity). Nothing was left behind." in message
    assert "python -m deploy.bootstrap_account --apply" in message
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["admin"]
