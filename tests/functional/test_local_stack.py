"""`make run`'s stack, over real sockets: moto in server mode, bootstrap, the threaded dev server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.run import free_port
from local.stack import local_stack
from tests.support.api import over_http

ROOT = Path(__file__).resolve().parents[2]


def request(base: str, method: str, path: str, body: Any = None, **headers: str) -> tuple[int, Any]:
    reply = over_http(base, method, path, body, headers={k.replace("_", "-"): v for k, v in headers.items()})
    return reply.status, reply.body


ADMIN = {"X_Dev_Caller": "admin", "X_Dev_Mfa": "true"}


@pytest.fixture(scope="module")
def stack() -> Iterator[str]:
    with local_stack() as running:
        yield running.base


def test_make_run_serves_the_whole_create_claim_offboard_flow(stack: str) -> None:
    status, created = request(
        stack, "POST", "/admin/users", {"user_name": "dora", "groups": ["developer"]}, **ADMIN
    )
    assert status == 201, created
    token = created["bundle"]["url"].split("#", 1)[1]
    assert created["bundle"]["url"].startswith(stack + "/onboard#")

    assert request(stack, "POST", "/onboarding/credentials", {"token": token})[0] == 200
    status, removed = request(stack, "DELETE", "/admin/users/dora", **ADMIN)

    assert status == 200, removed
    assert removed["removed"]["service_specific_credentials"] == []  # the emulator's HTML 500, handled
    assert request(stack, "GET", "/admin/users/dora", **ADMIN)[0] == 404


def test_concurrent_claims_over_the_threaded_server_succeed_exactly_once(stack: str) -> None:
    _, created = request(
        stack, "POST", "/admin/users", {"user_name": "erin", "groups": ["developer"]}, **ADMIN
    )
    token = created["bundle"]["url"].split("#", 1)[1]

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = sorted(
            pool.map(
                lambda _: request(stack, "POST", "/onboarding/credentials", {"token": token})[0], range(10)
            )
        )

    assert statuses == [200] + [410] * 9


def test_concurrent_requests_each_see_their_own_body(stack: str) -> None:
    names = [f"user{i}" for i in range(12)]

    with ThreadPoolExecutor(max_workers=12) as pool:
        replies = list(
            pool.map(
                lambda n: request(
                    stack, "POST", "/admin/users", {"user_name": n, "groups": ["developer"]}, **ADMIN
                ),
                names,
            )
        )

    assert [body["user_name"] for _, body in replies] == names


def test_a_method_the_api_does_not_know_gets_a_405_in_the_api_error_shape(stack: str) -> None:
    status, body = request(stack, "QUERY", "/admin/users", **ADMIN)

    assert (status, body["error"]["code"]) == (405, "method_not_allowed")


def test_with_aws_endpoint_url_set_make_run_bootstraps_and_uses_that_emulator() -> None:
    from moto.server import ThreadedMotoServer

    port = free_port()
    emulator = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    emulator.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        with local_stack(AWS_ENDPOINT_URL=endpoint) as running:
            base = running.base
            status, created = request(
                base, "POST", "/admin/users", {"user_name": "gil", "groups": ["developer"]}, **ADMIN
            )
        iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
        users = {u["UserName"] for u in iam.list_users()["Users"]}
    finally:
        emulator.stop()

    assert status == 201, created
    assert users == {"admin", "gil"}  # the bootstrap's admin and the new user, in *that* emulator


def test_make_run_fires_a_due_elevation_schedule_within_five_seconds() -> None:
    with local_stack() as running:
        base = running.base
        aws = {"endpoint_url": running.aws_endpoint, "region_name": "us-east-1"}
        assert request(base, "POST", "/admin/users", {"user_name": "gil", "groups": ["developer"]}, **ADMIN)[
            0
        ]
        ask = {"group": "administrator", "minutes": 1, "reason": "deploy the fix"}
        _, asked = request(base, "POST", "/elevations", ask, X_Dev_Caller="gil", X_Dev_Mfa="true")
        status, approved = request(base, "POST", f"/admin/elevations/{asked['id']}/approve", **ADMIN)
        assert status == 200, approved
        iam, db, scheduler = (boto3.client(s, **aws) for s in ("iam", "dynamodb", "scheduler"))
        assert "administrator" in groups_of(iam, "gil")
        # Make the grant due now rather than in a minute: its end in the table, and its schedule.
        (table,) = db.list_tables()["TableNames"]
        now = int(time.time())
        db.update_item(
            TableName=table,
            Key={"pk": {"S": "elevation"}, "sk": {"S": asked["id"]}},
            UpdateExpression="SET ends_at = :now",
            ExpressionAttributeValues={":now": {"N": str(now)}},
        )
        (summary,) = scheduler.list_schedules()["Schedules"]
        schedule = scheduler.get_schedule(Name=summary["Name"], GroupName=summary["GroupName"])
        keep = ("Name", "GroupName", "FlexibleTimeWindow", "Target", "ActionAfterCompletion")
        scheduler.update_schedule(
            **{k: schedule[k] for k in keep},
            ScheduleExpression=f"at({time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(now))})",
        )
        made_due = time.monotonic()

        while "administrator" in groups_of(iam, "gil") and time.monotonic() - made_due < 5:
            time.sleep(0.2)

        assert "administrator" not in groups_of(iam, "gil")
        assert scheduler.list_schedules()["Schedules"] == []


def groups_of(iam: Any, name: str) -> set[str]:
    return {g["GroupName"] for g in iam.list_groups_for_user(UserName=name)["Groups"]}
