"""AWS calls and handler time for creating one user, cold and warm, against the issue's target.

Target: CreateUser + one AddUserToGroup per group + CreateLoginProfile + one state write, plus at most
two calls for the caller check and the password policy (the policy is cached in a warm container).
"""

from __future__ import annotations

import copy
import json
import statistics
import time
from pathlib import Path
from typing import Any

from bench._harness import counting_calls, emulated_account

GROUPS = ["developer", "administrator"]
RUNS = 20


EVENT = json.loads(
    (Path(__file__).parents[1] / "tests" / "events" / "apigw_post_admin_users.json").read_text()
)


class _Context:
    function_name = "iam-onboarding-dev"
    memory_limit_in_mb = 512
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _create(name: str) -> None:
    """Invoke the Lambda handler as API Gateway would, signed by the bootstrap admin."""
    from app import app

    event: dict[str, Any] = copy.deepcopy(EVENT)
    event["requestContext"]["identity"]["userArn"] = "arn:aws:iam::123456789012:user/admin"
    event["body"] = json.dumps({"user_name": name, "groups": GROUPS})
    response = app(event, _Context())
    assert response["statusCode"] == 201, response["body"]


def main() -> None:
    """Print calls per creation (cold, warm) and handler time over RUNS warm creations."""
    with emulated_account():
        with counting_calls() as cold:
            _create("cold0")
        with counting_calls() as warm:
            _create("warm0")
        times = []
        for i in range(RUNS):
            start = time.perf_counter()
            _create(f"user{i}")
            times.append((time.perf_counter() - start) * 1000)

    product = 1 + len(GROUPS) + 1 + 1  # CreateUser, AddUserToGroup each, CreateLoginProfile, state write
    for label, counts in (("cold", cold), ("warm", warm)):
        extra = sum(counts.values()) - product
        verdict = "meets" if extra <= 2 and counts["DynamoDB.TransactWriteItems"] == 1 else "MISSES"
        total = sum(counts.values())
        print(f"{label}: {total} AWS calls ({product} product + {extra} caller/policy) -> {verdict} target")
        for op, n in sorted(counts.items()):
            print(f"    {n} x {op}")
    print(
        f"handler time, warm, emulated AWS ({RUNS} runs): median {statistics.median(times):.1f} ms, "
        f"max {max(times):.1f} ms (moto's latency, not AWS's: compare runs, not absolutes)"
    )


if __name__ == "__main__":
    main()
