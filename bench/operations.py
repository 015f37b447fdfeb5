"""AWS calls and handler time of each request the product serves, beside the fewest calls it needs.

Each operation runs through the API's Lambda handler with the event API Gateway would send, on the
in-process emulator (moto), bootstrapped as `make run` does. Calls are counted per invocation: `cold` is
the first invocation after the container's caches are emptied (`wiring.reset()`: settings, clients,
password policy, account alias, Slack signing secret), `warm` every later one. Times are medians over
warm invocations: the emulator's latency, not AWS's (an IAM call costs 100-400 ms there), so compare
rows, not absolutes.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlencode

from bench._harness import Row, invoke, reply
from local.emulator import emulated_account
from local.observe import recording_calls
from local.slack import slack_signature

RUNS = 15
GROUPS = ["developer", "administrator"]
SLACK_SECRET = "bench-signing-secret"  # noqa: S105 - a throwaway secret for signing bench requests
SLACK_ADMIN = "U0BENCH"
SLACK_TEAM, SLACK_APP = "T0BENCH", "A0BENCH"

# The fewest AWS calls each operation needs in a warm container, and why: data, printed with the figures.
MINIMUM: dict[str, tuple[int, str]] = {
    "create user": (
        3 + len(GROUPS) + 1,
        "caller's groups (admin check), CreateUser, AddUserToGroup per group, CreateLoginProfile, "
        "one state transaction (record + link + trail)",
    ),
    "claim": (
        3,
        "read the link (sealed password), ListMFADevices (is an enrollment needed?), one transaction "
        "that claims the link with the state and the enrollment link (a claim that fails earlier "
        "changes nothing, so it can be retried); we also read the user's record (ARN, previous "
        "enrollment) in parallel with ListMFADevices",
    ),
    "enrollment start": (
        3,
        "read the enrollment link, CreateVirtualMFADevice, one conditional write of the sealed seed; "
        "we also read the user's record (ARN for the label, offboarded?) in parallel",
    ),
    "enrollment verify": (
        3,
        "read the link (sealed seed), EnableMFADevice, one transaction (spend link, state, trail)",
    ),
    "session report": (1, "ListMFADevices of the caller (identity comes from the request context)"),
    "list users, every one with a virtual device": (
        5,
        "caller's groups (admin check), ListUsers, GetAccountAuthorizationDetails (groups), "
        "ListVirtualMFADevices(Assigned), the state table's users, all at once, paginated",
    ),
    "list users, 4 more without a virtual device": (
        5 + 4,
        "the same five, plus one ListMFADevices per user without an assigned virtual device: IAM lists "
        "hardware tokens and passkeys only per user, so only those who look un-enrolled are asked",
    ),
    "slack /iam status": (
        6,
        "the admin's groups (the Slack id's IAM user must be an admin now), once-only conditional write, "
        "the state record, GetUser, ListGroupsForUser, ListMFADevices",
    ),
    "slack /iam onboard": (
        3,
        "the admin's groups, once-only conditional write, asynchronous Invoke of the worker",
    ),
}


def _signed(text: str, n: int) -> tuple[str, dict[str, str]]:
    """A `/iam <text>` form body and the headers Slack signs it with."""
    body = urlencode(
        {
            "team_id": SLACK_TEAM,
            "api_app_id": SLACK_APP,
            "user_id": SLACK_ADMIN,
            "command": "/iam",
            "text": text,
            "trigger_id": f"bench.{n}.{time.time_ns()}",  # Slack's per-invocation id: bodies differ
            "response_url": "https://hooks.slack.com/commands/T0/1/bench",
        }
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **slack_signature(body.encode(), SLACK_SECRET),
    }
    return body, headers


def _accept_worker_invokes() -> None:
    """Answer the worker's asynchronous Invoke as Lambda does (202), without running it.

    The emulator has no worker function; a botocore `before-call` hook gives Lambda's answer instead.
    """
    from botocore.awsrequest import AWSResponse, HTTPHeaders

    from chalicelib import aws

    def accepted(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("https://lambda", 202, HTTPHeaders(), None), {
            "StatusCode": 202,
            "ResponseMetadata": {},
        }

    aws.lambda_().meta.events.register("before-call.lambda.Invoke", accepted)  # type: ignore[arg-type]


def _measure(operation: str, runs: list[Callable[[], object]]) -> Row:
    """Run the first callable cold, the rest warm; count calls and time each."""
    from chalicelib import wiring

    wiring.reset()
    _accept_worker_invokes()  # on the new Lambda client
    with recording_calls() as cold:
        runs[0]()
    times, warm_counts = [], []
    for run in runs[1:]:
        with recording_calls() as calls:
            start = time.perf_counter()
            run()
            times.append((time.perf_counter() - start) * 1000)
        warm_counts.append(calls.counts())
    warm: Counter[str] = warm_counts[-1]
    assert all(c == warm for c in warm_counts), f"{operation}: calls differ between warm runs"
    minimum, why = MINIMUM[operation]
    detail = ", ".join(f"{n}x {op.split(':', 1)[1]}" for op, n in sorted(warm.items()))
    return Row(operation, len(cold), sum(warm.values()), minimum, statistics.median(times), why, detail)


def rows() -> list[Row]:
    """Every operation's row, measured on one fresh emulated account."""
    import os

    import pyotp

    os.environ.update(
        SLACK_SIGNING_SECRET=SLACK_SECRET,
        SLACK_ADMINS=f"{SLACK_ADMIN}:admin",
        SLACK_TEAM_ID=SLACK_TEAM,
        SLACK_APP_ID=SLACK_APP,
        SLACK_WORKER_FUNCTION="iam-onboarding-bench-slack_worker",
    )
    n = RUNS + 1
    names = [f"bench{i:03d}" for i in range(n)]
    results = []
    with emulated_account():
        bundles: list[str] = []
        enrollments: list[str] = []
        secrets: list[str] = []

        def create(name: str) -> None:
            body = reply(invoke("POST", "/admin/users", {"user_name": name, "groups": GROUPS}), 201)
            bundles.append(body["bundle"]["url"].split("#", 1)[1])

        def claim(i: int) -> None:
            body = reply(invoke("POST", "/onboarding/credentials", {"token": bundles[i]}, caller=None), 200)
            enrollments.append(body["enrollment"]["token"])

        def start(i: int) -> None:
            body = reply(invoke("POST", "/onboarding/mfa", {"token": enrollments[i]}, caller=None), 200)
            secrets.append(body["secret"])

        def verify(i: int) -> None:
            totp = pyotp.TOTP(secrets[i])
            step = totp.timecode(time.time())
            codes = {"code1": totp.generate_otp(step - 1), "code2": totp.generate_otp(step)}
            body = {"token": enrollments[i], **codes}
            reply(invoke("POST", "/onboarding/mfa/verify", body, caller=None), 200)

        def session(_: int) -> None:
            reply(invoke("GET", "/session"), 200)

        def listing(_: int) -> None:
            reply(invoke("GET", "/admin/users"), 200)

        def without_mfa(i: int) -> None:
            reply(invoke("POST", "/admin/users", {"user_name": f"nomfa{i}", "groups": GROUPS}), 201)

        def slack(text: str, i: int) -> None:
            raw, headers = _signed(text, i)
            answer = reply(invoke("POST", "/slack/commands", raw=raw, headers=headers), 200)
            assert answer and "error" not in answer and ":x:" not in answer.get("text", ""), answer

        per_user: list[tuple[str, Callable[[int], None]]] = [
            ("create user", lambda i: create(names[i])),
            ("claim", claim),
            ("enrollment start", start),
            ("enrollment verify", verify),
            ("session report", session),
            ("list users, every one with a virtual device", listing),
            ("slack /iam status", lambda i: slack(f"status {names[i]}", i)),
            ("slack /iam onboard", lambda i: slack(f"onboard slack{i:03d} developer", i)),
        ]
        for operation, step in per_user:
            results.append(_measure(operation, [partial(step, i) for i in range(n)]))
            if operation.startswith("list users"):
                for i in range(4):
                    without_mfa(i)
                results.append(
                    _measure(
                        "list users, 4 more without a virtual device", [partial(listing, i) for i in range(n)]
                    )
                )
    return results


# Sequential round trips: create through the dev gateway (`make run`'s), every AWS call taking as long
# as an IAM call does in AWS, so that the wall time counts the calls that wait for one another.
LATENCY_S = 0.3
ROUND_TRIP_RUNS = 6  # the first is the caller's first request to this gateway
ROUND_TRIPS_TARGET = 3
ROUND_TRIPS_WHY = (
    "the admin check (ListGroupsForUser), CreateUser, then group memberships, login profile and the state "
    "transaction at once; the gateway's GetUser of the caller is API Gateway's SigV4 check locally"
)


@dataclass(frozen=True)
class RoundTrips:
    """The wall time of `POST /admin/users` through the dev gateway, in AWS calls' worth of latency."""

    first: float
    median: float
    median_ms: float
    gateway_lookups: int  # the gateway's GetUser calls over all runs


@contextmanager
def _slowed(clients: list[Any], seconds: float) -> Iterator[None]:
    """Every request of `clients` waits `seconds` before the emulator answers it."""

    def wait(**_: Any) -> None:
        time.sleep(seconds)

    for client in clients:
        client.meta.events.register_first("before-send", wait)
    try:
        yield
    finally:
        for client in clients:
            client.meta.events.unregister("before-send", wait)


def round_trips() -> RoundTrips:
    """Create users through the dev gateway with every AWS call taking `LATENCY_S`."""
    import boto3
    from chalice.config import Config

    from app import app
    from chalicelib import aws
    from local.gate import ResourcePolicyGate
    from local.gateway import CallerDirectory, DevGateway

    with emulated_account():
        iam, sts = boto3.client("iam"), boto3.client("sts")
        callers = CallerDirectory(iam, sts)
        config = Config(chalice_stage="dev", config_from_disk={}, user_provided_params={})
        gateway = DevGateway(
            app, config, ResourcePolicyGate.from_file(account_id=callers.account_id), callers
        )
        headers = {"content-type": "application/json", "X-Dev-Caller": "admin", "X-Dev-Mfa": "true"}
        trips = []
        with (
            _slowed([aws.iam(), aws.dynamodb(), aws.sts(), iam, sts], LATENCY_S),
            recording_calls([iam, sts]) as lookups,
        ):
            for i in range(ROUND_TRIP_RUNS):
                body = json.dumps({"user_name": f"trips{i:02d}", "groups": GROUPS}).encode()
                start = time.perf_counter()
                response = gateway.handle_request("POST", "/admin/users", headers, body)
                trips.append(time.perf_counter() - start)
                assert response["statusCode"] == 201, response["body"]
    median = statistics.median(trips[1:])
    return RoundTrips(trips[0] / LATENCY_S, median / LATENCY_S, median * 1000, len(lookups))


def main() -> None:
    """Print the per-operation table."""
    for row in rows():
        print(row)
    print(round_trips())


if __name__ == "__main__":
    main()
