"""Bring the emulated account to the state the service expects. Safe to run again.

The account-level part (Force-MFA, the managed groups, the password policy) is the plan that
`deploy/bootstrap_account.py` shows and applies to a real account; locally it is applied at once, with
the seed's password policy (SPEC §8) always (re)set. Then what only the local stack needs: the state
table (deployed, the stack creates it) and the local admin `admin` in the admin group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib.aws_errors import error_code
from chalicelib.config import Settings
from chalicelib.state import table_definition
from deploy.bootstrap_account import PASSWORD_POLICY, plan

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_scheduler import EventBridgeSchedulerClient

ADMIN_USER = "admin"
# The seed's policy (SPEC §8): what a real account gets (deploy/), without CIS's reuse prevention.
SEED_PASSWORD_POLICY = {k: v for k, v in PASSWORD_POLICY.items() if k != "PasswordReusePrevention"}


def bootstrap(
    iam: IAMClient,
    dynamodb: DynamoDBClient,
    settings: Settings,
    account_id: str,
    scheduler: EventBridgeSchedulerClient | None = None,
) -> None:
    """Password policy, groups with their policies, the state table, the schedule group of elevation
    grants (deployed, the stack makes it) and the local admin."""
    for step in plan(iam, account_id, replace_password_policy=True, password_policy=SEED_PASSWORD_POLICY):
        step.apply()

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

    if scheduler is not None:
        try:
            scheduler.create_schedule_group(Name=settings.elevation.schedule_group)
        except ClientError as error:
            if error_code(error) != "ConflictException":
                raise

    try:
        iam.create_user(UserName=ADMIN_USER, Path="/")
    except ClientError as error:
        if error_code(error) != "EntityAlreadyExists":
            raise
    admin_group = next(name for name, spec in settings.groups.items() if spec.admin)
    iam.add_user_to_group(GroupName=admin_group, UserName=ADMIN_USER)
