"""The stack's part of temporary elevation: the schedule group, the dead-letter queue, and the role
EventBridge Scheduler assumes to invoke the revoke function (and nothing else), wired into the functions'
environment.

Names follow `<app>-<stage>-…`, which the role policies (`policies/role-*.json`) grant by name: the API's
`scheduler:CreateSchedule`/`DeleteSchedule` on this group's schedules, and its `iam:PassRole` on this
role only, to `scheduler.amazonaws.com` only.
"""

from __future__ import annotations

from typing import Any

from chalicelib.config import ELEVATION_CEILING_MINUTES

GROUP_RESOURCE = "ElevationScheduleGroup"
QUEUE_RESOURCE = "ElevationDeadLetterQueue"
ROLE_RESOURCE = "ElevationSchedulerRole"
REVOKE_FUNCTION = "ElevationRevoke"


def elevation_resources(app_name: str, stage: str) -> dict[str, Any]:
    """The schedule group, the queue and the scheduler's execution role of `stage`."""
    group = f"{app_name}-{stage}-elevations"
    return {
        GROUP_RESOURCE: {"Type": "AWS::Scheduler::ScheduleGroup", "Properties": {"Name": group}},
        QUEUE_RESOURCE: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": f"{app_name}-{stage}-elevation-dlq",
                "MessageRetentionPeriod": 1209600,  # 14 days, SQS's most: a failed revoke waits for a person
                "SqsManagedSseEnabled": True,
            },
        },
        ROLE_RESOURCE: {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": f"{app_name}-{stage}-elevation-scheduler",
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "scheduler.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            # Only this account's schedules of this stack's group (no confused deputy).
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                                "ArnLike": {
                                    "aws:SourceArn": {
                                        "Fn::Sub": "arn:${AWS::Partition}:scheduler:${AWS::Region}:"
                                        f"${{AWS::AccountId}}:schedule/{group}/*"
                                    }
                                },
                            },
                        }
                    ],
                },
                "Policies": [
                    {
                        "PolicyName": "InvokeTheRevokeFunctionOnly",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Sid": "InvokeTheRevokeFunction",
                                    "Effect": "Allow",
                                    "Action": "lambda:InvokeFunction",
                                    "Resource": {"Fn::GetAtt": [REVOKE_FUNCTION, "Arn"]},
                                },
                                {
                                    # Scheduler delivers an event it gave up on with this role.
                                    "Sid": "KeepAGivenUpRevokeInTheQueue",
                                    "Effect": "Allow",
                                    "Action": "sqs:SendMessage",
                                    "Resource": {"Fn::GetAtt": [QUEUE_RESOURCE, "Arn"]},
                                },
                            ],
                        },
                    }
                ],
            },
        },
    }


def elevation_variables(resource_id: str) -> dict[str, Any]:
    """The `ELEVATION_*` environment of function `resource_id` (none for the revoke function itself,
    which makes no schedule and would otherwise refer to its own ARN)."""
    if resource_id == REVOKE_FUNCTION:
        return {}
    return {
        "ELEVATION_SCHEDULE_GROUP": {"Ref": GROUP_RESOURCE},
        "ELEVATION_REVOKE_FUNCTION_ARN": {"Fn::GetAtt": [REVOKE_FUNCTION, "Arn"]},
        "ELEVATION_REVOKE_FUNCTION": {"Ref": REVOKE_FUNCTION},
        "ELEVATION_SCHEDULER_ROLE_ARN": {"Fn::GetAtt": [ROLE_RESOURCE, "Arn"]},
        "ELEVATION_DEAD_LETTER_ARN": {"Fn::GetAtt": [QUEUE_RESOURCE, "Arn"]},
        "ELEVATION_MAX_MINUTES": {"Ref": MAX_MINUTES_PARAMETER},
    }


MAX_MINUTES_PARAMETER = "ElevationMaxMinutes"


def elevation_parameters() -> dict[str, Any]:
    """The template parameter that caps how long a grant may be asked for (SPEC §15: 480 at most)."""
    return {
        MAX_MINUTES_PARAMETER: {
            "Type": "Number",
            "Default": ELEVATION_CEILING_MINUTES,
            "MinValue": 1,
            "MaxValue": ELEVATION_CEILING_MINUTES,
            "Description": "The longest temporary elevation a user may ask for, in minutes.",
        }
    }
