"""Prepare a real AWS account for the service: the Force-MFA policy, the managed groups, a password policy.

The stack cannot do this itself: its roles have no right to create policies or groups, by design. Run it
once with an administrator's MFA session; it prints what it would do, and does it with `--apply`. Run it
again at any time: it only adds what is missing (or brings Force-MFA up to `policies/force-mfa.json`).

It never touches: existing users (their passwords, keys, MFA devices, paths or memberships), groups and
policies other than those named in `policies/groups.json`, roles, the root user, or a password policy
the account already has (unless `--replace-password-policy`).

Usage: python -m deploy.bootstrap_account [--apply] [--replace-password-policy]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from chalicelib.aws_errors import error_code
from chalicelib.config import POLICIES_DIR, GroupSpec, load_groups_manifest

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

# The seed's password policy (SPEC §8), which is also CIS's minimum.
PASSWORD_POLICY: dict[str, Any] = {
    "MinimumPasswordLength": 16,
    "RequireSymbols": True,
    "RequireNumbers": True,
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": True,
    "AllowUsersToChangePassword": True,
    "PasswordReusePrevention": 24,
}


@dataclass(frozen=True)
class Step:
    """One change to the account, described before it is made."""

    description: str
    apply: Callable[[], object]


def _local_policy_steps(iam: IAMClient, account_id: str, name: str) -> list[Step]:
    document = (POLICIES_DIR / f"{name.lower()}.json").read_text()
    arn = f"arn:aws:iam::{account_id}:policy/{name}"
    try:
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise
        return [
            Step(
                f"create policy {name} from policies/{name.lower()}.json",
                partial(iam.create_policy, PolicyName=name, PolicyDocument=document),
            )
        ]
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    if version["Document"] == json.loads(document):
        return []
    steps = []
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    if len(versions) >= 5:  # IAM keeps at most five versions
        oldest = min((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
        steps.append(
            Step(
                f"delete the oldest version {oldest['VersionId']} of {name} (IAM keeps five)",
                partial(iam.delete_policy_version, PolicyArn=arn, VersionId=oldest["VersionId"]),
            )
        )
    steps.append(
        Step(
            f"make policies/{name.lower()}.json the default version of {name} (older versions kept)",
            partial(iam.create_policy_version, PolicyArn=arn, PolicyDocument=document, SetAsDefault=True),
        )
    )
    return steps


def _group_steps(iam: IAMClient, account_id: str, spec: GroupSpec) -> list[Step]:
    steps = []
    try:
        attached = {
            p["PolicyArn"] for p in iam.list_attached_group_policies(GroupName=spec.name)["AttachedPolicies"]
        }
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise
        attached = set()
        steps.append(Step(f"create group {spec.name}", partial(iam.create_group, GroupName=spec.name)))
    wanted = [
        *spec.managed_policy_arns,
        *(f"arn:aws:iam::{account_id}:policy/{n}" for n in spec.local_policies),
    ]
    for arn in wanted:
        if arn not in attached:
            steps.append(
                Step(
                    f"attach {arn.rsplit('/', 1)[1]} to group {spec.name}",
                    partial(iam.attach_group_policy, GroupName=spec.name, PolicyArn=arn),
                )
            )
    return steps


def plan(
    iam: IAMClient,
    account_id: str,
    *,
    replace_password_policy: bool = False,
    password_policy: dict[str, Any] | None = None,
) -> list[Step]:
    """What the account lacks, as steps in the order they must run (`password_policy`: CIS's by default)."""
    password_policy = password_policy or PASSWORD_POLICY
    groups = load_groups_manifest()
    steps: list[Step] = []
    for name in sorted({n for spec in groups.values() for n in spec.local_policies}):
        steps += _local_policy_steps(iam, account_id, name)
    for spec in groups.values():
        steps += _group_steps(iam, account_id, spec)
    try:
        iam.get_account_password_policy()
        has_policy = True
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise
        has_policy = False
    if not has_policy or replace_password_policy:
        steps.append(
            Step(
                f"set the account password policy: {json.dumps(password_policy)}",
                partial(iam.update_account_password_policy, **password_policy),
            )
        )
    return steps


def main(argv: list[str] | None = None) -> None:
    """Print the plan for the account of the current credentials; carry it out with --apply."""
    import boto3.session

    parser = argparse.ArgumentParser(description="Prepare an AWS account for iam-onboarding.")
    parser.add_argument("--apply", action="store_true", help="make the changes (default: only print them)")
    parser.add_argument("--replace-password-policy", action="store_true")
    args = parser.parse_args(argv)
    session = boto3.session.Session()
    if not session.region_name:
        # IAM is global, but the SDK still wants a region to sign with, and so does the deploy that follows.
        raise SystemExit(
            "No AWS region is configured. Set the one you will deploy to, e.g. "
            "'aws configure set region eu-west-1' or AWS_DEFAULT_REGION=eu-west-1, and run this again."
        )
    try:
        iam = session.client("iam")
        account_id = session.client("sts").get_caller_identity()["Account"]
        steps = plan(iam, account_id, replace_password_policy=args.replace_password_policy)
        if not steps:
            print(f"Account {account_id} is ready; nothing to do.")
        for step in steps:
            print(("applying: " if args.apply else "would ") + step.description)
            if args.apply:
                step.apply()
    except NoCredentialsError as error:
        raise SystemExit(
            "No AWS credentials found. Run this as an administrator of the account: set AWS_PROFILE to "
            "a profile of yours (see 'aws configure list-profiles'), or export the keys of an MFA "
            "session from 'aws sts get-session-token'."
        ) from error
    except EndpointConnectionError as error:
        raise SystemExit(f"Could not reach AWS ({error}). Check the network and AWS_ENDPOINT_URL.") from error
    except ClientError as error:
        raise SystemExit(
            f"AWS refused {error.operation_name} ({error_code(error)}). Use an administrator's "
            "credentials with an MFA session; what was applied stays, and a rerun does only what is missing."
        ) from error


if __name__ == "__main__":
    main()
