"""The dev identity headers work only through the local gateway; a Lambda invocation ignores them."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from app import app
from chalicelib import aws
from local.gateway import CallerDirectory
from local.observe import CallLog, observing_calls
from tests.support.api import Api

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

EVENT = json.loads((Path(__file__).parent.parent / "events" / "apigw_post_admin_users.json").read_text())


class LambdaContext:
    """The parts of the Lambda context object Chalice reads."""

    function_name = "iam-onboarding-dev"
    memory_limit_in_mb = 512
    aws_request_id = "5a3c2f1e-7b8d-4e9f-a0b1-c2d3e4f5a6b7"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def invoke(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = app(event, LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def test_a_lambda_invocation_acts_as_the_signed_caller_not_the_dev_header(api: Api) -> None:
    api.as_admin("POST", "/admin/users", {"user_name": "bob", "groups": ["developer"]})

    status, body = invoke(copy.deepcopy(EVENT))

    assert (status, body["error"]["code"]) == (403, "forbidden")
    assert "eve" not in [u["UserName"] for u in aws.iam().list_users()["Users"]]


def test_a_lambda_invocation_without_a_signed_caller_is_unauthenticated_despite_dev_headers(api: Api) -> None:
    event = copy.deepcopy(EVENT)
    event["requestContext"]["identity"]["userArn"] = None

    status, body = invoke(event)

    assert (status, body["error"]["code"]) == (401, "missing_authentication")


def test_the_same_event_signed_by_the_admin_does_create_the_user(api: Api) -> None:
    event = copy.deepcopy(EVENT)
    event["requestContext"]["identity"]["userArn"] = "arn:aws:iam::123456789012:user/admin"

    status, body = invoke(event)

    assert status == 201 and body["user_name"] == "eve"


def test_the_gateway_looks_the_caller_up_through_clients_of_its_own(api: Api, aws_calls: CallLog) -> None:
    # API Gateway resolves the signer, not the app: the app's clients must carry only the app's calls,
    # or every tool that watches or fails them (fault injection, the bench) counts the gateway's.
    reply = api.as_admin("GET", "/session")

    assert reply.status == 200 and reply.body["arn"] == "arn:aws:iam::123456789012:user/admin"
    assert aws_calls.operations() == ["ListMFADevices"]


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def lookups(aws_account: None) -> Iterator[tuple[IAMClient, list[str]]]:
    """An IAM client for a directory of callers, and the operations it is asked for."""
    iam = boto3.client("iam")
    made: list[str] = []
    with observing_calls(lambda model, _: made.append(model.name), [iam]):
        yield iam, made


def test_a_caller_is_looked_up_once_for_a_burst_of_requests(lookups: tuple[IAMClient, list[str]]) -> None:
    iam, made = lookups
    callers = CallerDirectory(iam, boto3.client("sts"))

    arns = [callers.arn("admin") for _ in range(5)]

    assert arns == ["arn:aws:iam::123456789012:user/admin"] * 5
    assert made == ["GetUser"]


def test_a_caller_moved_to_another_path_is_seen_there_once_the_lookup_is_stale(
    lookups: tuple[IAMClient, list[str]],
) -> None:
    iam, made = lookups
    clock = Clock()
    callers = CallerDirectory(iam, boto3.client("sts"), ttl=10, clock=clock)
    callers.arn("admin")
    aws.iam().update_user(UserName="admin", NewPath="/onboarding/")

    clock.now = 9.9
    before = callers.arn("admin")
    clock.now = 10.0
    after = callers.arn("admin")

    assert before == "arn:aws:iam::123456789012:user/admin"
    assert after == "arn:aws:iam::123456789012:user/onboarding/admin"
    assert made == ["GetUser", "GetUser"]


def test_an_unknown_caller_is_known_on_the_first_request_after_they_are_created(
    lookups: tuple[IAMClient, list[str]],
) -> None:
    iam, _ = lookups
    callers = CallerDirectory(iam, boto3.client("sts"))

    unknown = callers.arn("zoe")
    aws.iam().create_user(UserName="zoe", Path="/onboarding/")
    known = callers.arn("zoe")

    assert unknown == "arn:aws:iam::123456789012:user/zoe"
    assert known == "arn:aws:iam::123456789012:user/onboarding/zoe"
