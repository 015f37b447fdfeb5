"""The one EventBridge Scheduler schedule that ends each grant: made on approval, removed on an early end.

Each schedule is named after its grant (`elevation-<id>`) and made with the grant id as `ClientToken`,
so a retried approval (ours, or botocore's retry of a CreateSchedule that took effect) can never make a
second: AWS answers the retry as the first call, and a ConflictException means ours exists already.
`at(...)` in UTC, `FlexibleTimeWindow OFF` (on time), `ActionAfterCompletion DELETE` (nothing left once
it ran), a retry policy and a dead-letter queue: a revoke that keeps failing is kept, not dropped.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib.aws_errors import error_code

if TYPE_CHECKING:
    from mypy_boto3_scheduler import EventBridgeSchedulerClient

    from chalicelib.config import ElevationSettings

# Scheduler's maxima: keep trying for a day, up to 185 times, before the event goes to the queue.
RETRY_ATTEMPTS, RETRY_SECONDS = 185, 86400


def schedule_name(grant_id: str) -> str:
    """The schedule of grant `grant_id`."""
    return f"elevation-{grant_id}"


def at_expression(epoch: int) -> str:
    """Scheduler's one-time expression for `epoch` (seconds), in UTC."""
    return f"at({datetime.fromtimestamp(epoch, UTC).strftime('%Y-%m-%dT%H:%M:%S')})"


def revoke_input(grant_id: str) -> str:
    """What the schedule hands the revoke function: a grant id only. The function acts on what the
    table says of that grant, so a forged or replayed event can end nothing that is not due."""
    return json.dumps({"grant_id": grant_id})


class GrantSchedules:
    """The schedules of this deployment's grants, in the stack's schedule group."""

    def __init__(self, scheduler: EventBridgeSchedulerClient, settings: ElevationSettings) -> None:
        self._scheduler = scheduler
        self._settings = settings

    def create(self, grant_id: str, ends_at: int) -> None:
        """Make the schedule that ends `grant_id` at `ends_at`; nothing when it exists already."""
        conf = self._settings
        try:
            self._scheduler.create_schedule(
                Name=schedule_name(grant_id),
                GroupName=conf.schedule_group,
                ScheduleExpression=at_expression(ends_at),
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                ClientToken=grant_id,
                Description=f"Ends elevation grant {grant_id} (iam-onboarding)",
                Target={
                    "Arn": conf.revoke_function_arn,
                    "RoleArn": conf.scheduler_role_arn,
                    "Input": revoke_input(grant_id),
                    "RetryPolicy": {
                        "MaximumRetryAttempts": RETRY_ATTEMPTS,
                        "MaximumEventAgeInSeconds": RETRY_SECONDS,
                    },
                    "DeadLetterConfig": {"Arn": conf.dead_letter_arn},
                },
            )
        except ClientError as error:
            if error_code(error) != "ConflictException":
                raise

    def delete(self, grant_id: str) -> None:
        """Remove the schedule of `grant_id`; nothing when it is gone (it ran, or was removed before)."""
        try:
            self._scheduler.delete_schedule(
                Name=schedule_name(grant_id), GroupName=self._settings.schedule_group
            )
        except ClientError as error:
            if error_code(error) != "ResourceNotFoundException":
                raise
