"""Bring an (emulated or real) account to the state the service expects. Safe to run again."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib.aws import error_code
from chalicelib.config import POLICIES_DIR, Settings
from chalicelib.services.store import table_definition

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_iam import IAMClient

ADMIN_USER = "admin"


def _ensure_local_policy(iam: IAMClient, account_id: str, name: str) -> str:
    document = (POLICIES_DIR / f"{name.lower()}.json").read_text()
    arn = f"arn:aws:iam::{account_id}:policy/{name}"
    try:
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise
        iam.create_policy(
            PolicyName=name, PolicyDocument=document, Description="Deny all but MFA setup until MFA"
        )
        return arn
    current = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    if current["Document"] != json.loads(document):
        versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
        if len(versions) >= 5:
            oldest = min((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
            iam.delete_policy_version(PolicyArn=arn, VersionId=oldest["VersionId"])
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=document, SetAsDefault=True)
    return arn


def bootstrap(iam: IAMClient, dynamodb: DynamoDBClient, settings: Settings, account_id: str) -> None:
    """Password policy, groups with their policies, the state table and the local admin."""
    iam.update_account_password_policy(
        MinimumPasswordLength=16,
        RequireSymbols=True,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        AllowUsersToChangePassword=True,
    )
    local_arns: dict[str, str] = {}
    for spec in settings.groups.values():
        try:
            iam.create_group(GroupName=spec.name)
        except ClientError as error:
            if error_code(error) != "EntityAlreadyExists":
                raise
        for name in spec.local_policies:
            if name not in local_arns:
                local_arns[name] = _ensure_local_policy(iam, account_id, name)
        for arn in (*spec.managed_policy_arns, *(local_arns[n] for n in spec.local_policies)):
            iam.attach_group_policy(GroupName=spec.name, PolicyArn=arn)

    try:
        dynamodb.create_table(**table_definition(settings.table_name))
        dynamodb.get_waiter("table_exists").wait(TableName=settings.table_name)
        dynamodb.update_time_to_live(
            TableName=settings.table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
        )
    except ClientError as error:
        if error_code(error) != "ResourceInUseException":
            raise

    try:
        iam.create_user(UserName=ADMIN_USER, Path="/")
    except ClientError as error:
        if error_code(error) != "EntityAlreadyExists":
            raise
    admin_group = next(name for name, spec in settings.groups.items() if spec.admin)
    iam.add_user_to_group(GroupName=admin_group, UserName=ADMIN_USER)
