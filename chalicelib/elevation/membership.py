"""Group membership as grants decide it: joined on approval, left when no live grant covers it any more.

A grant never removes a membership another live grant of the same user still covers (TEAM#279: the first
of two overlapping grants to end must not cut the second short), nor a break-glass user's standing one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib.aws_errors import error_code, retry_eventual, step_error
from chalicelib.config import Settings
from chalicelib.elevation.schedules import GrantSchedules
from chalicelib.elevation.views import trail_detail
from chalicelib.models.records import Actor, GrantRecord, GrantState
from chalicelib.service import Service, utc_now
from chalicelib.state import StateStore

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_scheduler import EventBridgeSchedulerClient


class ElevationService(Service):
    """A service of elevation: IAM, the state table, the settings, the schedules and a clock."""

    def __init__(
        self,
        iam: IAMClient,
        store: StateStore,
        settings: Settings,
        scheduler: EventBridgeSchedulerClient,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(iam, store, settings, clock=clock)
        self._schedules = GrantSchedules(scheduler, settings.elevation)

    def _now(self) -> int:
        return int(self._clock().timestamp())

    def _grant(self, grant_id: str) -> GrantRecord | None:
        return self._store.get_grant(grant_id)

    def _join(self, grant: GrantRecord) -> bool:
        """Add the grant's user to its group (IAM does nothing when they are a member already); False
        when IAM has no such user (any more)."""
        try:
            retry_eventual(self._iam.add_user_to_group, GroupName=grant.group, UserName=grant.user_name)
        except ClientError as error:
            if error_code(error) != "NoSuchEntity":
                raise
            return False
        return True

    def _settle(self, user_name: str, group: str) -> bool:
        """Remove `user_name` from `group` unless a live grant or the break-glass list keeps them there;
        whether it was removed. Read after the write that ended a grant, so that of two grants ending
        at once, the later one sees the earlier ended."""
        spec = self._settings.groups.get(group)
        if spec is None or user_name.lower() in {u.lower() for u in spec.break_glass}:
            return False
        now = self._now()
        for other in self._store.list_grants():
            same = other.user_name.lower() == user_name.lower() and other.group == group
            if same and other.live_at(now):
                return False
        try:
            retry_eventual(self._iam.remove_user_from_group, GroupName=group, UserName=user_name)
        except ClientError as error:
            if error_code(error) != "NoSuchEntity":  # not a member (any more), or no such user: done
                raise
            return False
        return True

    def _write_end(self, grant: GrantRecord, actor: Actor, state: GrantState) -> GrantRecord:
        """End `grant` as it was read (`Conflict` if anyone wrote it since); the grant as written."""
        changes: dict[str, str | int | None] = {
            "state": state.value,
            "ended_at": self._now(),
            "ended_by": actor.id,
        }
        action = {GrantState.EXPIRED: "elevation_expire"}.get(state, "elevation_end")
        if grant.state is GrantState.PENDING:
            action = "elevation_withdraw"
        writes = [
            self._store.grant_update(grant, **changes),
            self.trail.ok(actor, action, grant.user_name, detail=trail_detail(grant)),
        ]
        if grant.state is GrantState.PENDING:
            writes.insert(1, self._store.pending_slot_freed(grant))
        try:
            self._store.transact(writes)
        except ClientError as error:
            raise step_error(f"Ending {grant.grant_id}", "StateWrite", error) from error
        return grant.written(**changes)
