"""AWS calls and time of one audit, beside the naive per-user audit, on emulated accounts of growing size.

Each account is mostly healthy users (MFA enrolled, in a managed group) and a few failing ones. The
emulator (moto, in-process) answers GetAccountAuthorizationDetails in a single page; IAM pages it at
1,000 items, which adds about one call per 1,000 users to the audit's count (the table says how many).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bench._harness import Row
from local.emulator import ACCOUNT_ID, emulated_account
from local.observe import recording_calls

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient


SIZES = (100, 1_000, 5_000)
FAILING = 5
# A throwaway password for emulated users (the emulator ignores the password policy anyway).
EMULATED_PASSWORD = "Bench-password-0123456789!"  # noqa: S105


def add_healthy_users(iam: IAMClient, count: int, *, start: int = 0, path: str = "/onboarding/") -> None:
    """Users who finished onboarding: a password, the developer group and an enabled virtual MFA device."""
    for i in range(start, start + count):
        name = f"healthy{i:05d}"
        iam.create_user(UserName=name, Path=path)
        iam.add_user_to_group(GroupName="developer", UserName=name)
        iam.create_login_profile(UserName=name, Password=EMULATED_PASSWORD)
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(
            UserName=name, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
        )


def add_failing_users(iam: IAMClient, count: int, *, path: str = "/onboarding/") -> None:
    """Users each audit reports: console without MFA, outside the groups, a policy of their own."""
    for i in range(count):
        name = f"failing{i:05d}"
        iam.create_user(UserName=name, Path=path)
        iam.create_login_profile(UserName=name, Password=EMULATED_PASSWORD)
        if i % 2:
            iam.add_user_to_group(GroupName="developer", UserName=name)
        else:
            iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")


def naive_audit(iam: IAMClient) -> set[str]:
    """What a per-user audit does: list users, then ask IAM about each one. Returns the failing users."""
    failing = set()
    for page in iam.get_paginator("list_users").paginate():
        for user in page["Users"]:
            name = user["UserName"]
            mfa = iam.list_mfa_devices(UserName=name)["MFADevices"]
            groups = iam.list_groups_for_user(UserName=name)["Groups"]
            keys = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
            attached = iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
            inline = iam.list_user_policies(UserName=name)["PolicyNames"]
            try:
                iam.get_login_profile(UserName=name)
                console = True
            except iam.exceptions.NoSuchEntityException:
                console = False
            if (console and not mfa) or not groups or attached or inline or len(keys) > 1:
                failing.add(name)
    return failing


def measure(run: Callable[[], object], *clients: Any) -> tuple[int, float]:
    """AWS calls and seconds of one `run()`."""
    with recording_calls(clients) as calls:
        start = time.perf_counter()
        run()
        elapsed = time.perf_counter() - start
    return len(calls), elapsed


# What EventBridge hands the scheduled function (`daily_audit` in app.py).
SCHEDULED_EVENT = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": ACCOUNT_ID,
    "time": "2026-11-29T00:00:00Z",
    "region": "us-east-1",
    "resources": [f"arn:aws:events:us-east-1:{ACCOUNT_ID}:rule/iam-onboarding-dev-daily_audit"],
    "detail": {},
}

# The fewest calls an audit needs, and why (IAM pages GetAccountAuthorizationDetails at 1,000 users).
MINIMUM_FIXED = 9
MINIMUM_WHY = (
    "Generate+GetCredentialReport, GetAccountAuthorizationDetails, unassigned ListVirtualMFADevices, "
    "GetAccountPasswordPolicy, GetAccountSummary, 2 state queries (users, links), one ListMFADevices per "
    "console user the report shows without MFA, one write of the report"
)


def _scheduled_audit() -> None:
    """Invoke the daily audit's Lambda handler as the schedule does."""
    from app import daily_audit
    from bench._harness import LambdaContext

    daily_audit(SCHEDULED_EVENT, LambdaContext())


def bench_size(users: int) -> tuple[int, float, int, float]:
    """(audit calls, audit seconds, naive calls, naive seconds) on an account of `users` users."""
    from chalicelib import aws

    with emulated_account():
        iam, dynamodb = aws.iam(), aws.dynamodb()
        add_healthy_users(iam, users - FAILING)
        add_failing_users(iam, FAILING)
        # IAM keeps a credential report for 4 hours; a daily audit usually finds one ready.
        iam.generate_credential_report()
        audit_calls, audit_seconds = measure(_scheduled_audit, iam, dynamodb)
        naive_calls, naive_seconds = measure(lambda: naive_audit(iam), iam)
    return audit_calls, audit_seconds, naive_calls, naive_seconds


def rows(sizes: tuple[int, ...] = SIZES) -> list[Row]:
    """One row per account size: the audit's calls and time, the naive audit's beside it."""
    found = []
    for size in sizes:
        calls, seconds, naive_calls, naive_seconds = bench_size(size)
        # IAM returns at most 1,000 users per GetAccountAuthorizationDetails page; the emulator, all of them.
        extra_pages = (size + 999) // 1000 - 1
        found.append(
            Row(
                operation=f"audit, {size:,} users ({FAILING} failing)",
                cold_calls=calls,
                warm_calls=calls,
                minimum=MINIMUM_FIXED + FAILING,
                median_ms=seconds * 1000,
                why=MINIMUM_WHY,
                detail=(
                    f"one run; in IAM +{extra_pages} GetAccountAuthorizationDetails pages (1,000 users "
                    f"each); naive per-user audit: "
                    f"{naive_calls:,} calls, {naive_seconds * 1000:,.0f} ms"
                ),
            )
        )
    return found


def main(sizes: tuple[int, ...] = SIZES) -> None:
    """Print the table."""
    print(f"Audit vs naive per-user audit ({FAILING} failing users per account; calls = IAM + DynamoDB)")
    row = "{:>7} | {:>11} | {:>6} | {:>8} | {:>11} | {:>8}"
    print(row.format("users", "audit calls", "in IAM", "audit s", "naive calls", "naive s"))
    for size in sizes:
        audit_calls, audit_s, naive_calls, naive_s = bench_size(size)
        # IAM returns at most 1,000 users per GetAccountAuthorizationDetails page; the emulator, all of them.
        in_iam = audit_calls + (size + 999) // 1000 - 1
        print(
            row.format(
                f"{size:,}", audit_calls, in_iam, f"{audit_s:.2f}", f"{naive_calls:,}", f"{naive_s:.2f}"
            )
        )


if __name__ == "__main__":
    main()
