"""An admin other than the requester approves or denies a pending request.

Approval writes the grant first (conditional on the request as read), then makes its one schedule, then
adds the membership: every failure on the way leaves less access than the grant allows, never more, and
approving again finishes what is missing (the schedule's name and `ClientToken` keep it to one). After
joining, the grant is read again: if it was ended meanwhile, the membership goes again (`_settle`).
"""

from __future__ import annotations

from contextlib import suppress
from typing import NoReturn

from botocore.exceptions import ClientError

from chalicelib.aws_errors import step_error
from chalicelib.elevation.membership import ElevationService
from chalicelib.elevation.views import elevation_body, trail_detail
from chalicelib.errors import ElevationNotFound, ElevationNotPending, SelfApproval, UserNotFound
from chalicelib.models.elevation import Elevation
from chalicelib.models.records import Actor, GrantRecord, GrantState
from chalicelib.state import Conflict
from chalicelib.trail import recorded

_RUN_AGAIN = "The grant is approved. Run it again: approving again finishes it, and makes no second schedule."


class ElevationDecisions(ElevationService):
    """Approving and denying elevation requests."""

    @recorded("elevation_approve", target="grant_id")
    def approve(
        self, grant_id: str, approver: str | None, actor: Actor, reason: str | None = None
    ) -> Elevation:
        """Approve `grant_id` as the admin `approver`: the user joins the group until the schedule ends it."""
        for _ in range(3):
            grant = self._pending(grant_id, approver, retried_ok=True)
            if grant.state_at(self._now()) is GrantState.APPROVED:
                return self._finish(
                    grant, actor
                )  # approved already (by this request's retry or another admin)
            now = self._now()
            changes: dict[str, str | int | None] = {
                "state": GrantState.APPROVED.value,
                "ends_at": now + grant.minutes * 60,
                "decided_at": now,
                "decided_by": actor.id,
                "decision_reason": reason,
            }
            entry = self.trail.ok(
                actor, "elevation_approve", grant.user_name, detail=trail_detail(grant, reason)
            )
            try:
                self._store.transact(
                    [
                        self._store.grant_update(grant, **changes),
                        self._store.pending_slot_freed(grant),
                        entry,
                    ]
                )
            except Conflict:
                continue  # decided or withdrawn meanwhile: read it again
            except ClientError as error:
                raise step_error(f"Approving {grant_id}", "StateWrite", error) from error
            return self._finish(grant.written(**changes), actor)
        raise ElevationNotPending(f"{grant_id} kept changing while this approval ran; look at it again.")

    @recorded("elevation_deny", target="grant_id")
    def deny(self, grant_id: str, approver: str | None, actor: Actor, reason: str | None = None) -> Elevation:
        """Deny the pending request `grant_id`; its user may ask again at once."""
        grant = self._pending(grant_id, approver, retried_ok=False)
        now = self._now()
        entry = self.trail.ok(actor, "elevation_deny", grant.user_name, detail=trail_detail(grant, reason))
        changes: dict[str, str | int | None] = {
            "state": GrantState.DENIED.value,
            "decided_at": now,
            "decided_by": actor.id,
            "decision_reason": reason,
        }
        try:
            self._store.transact(
                [self._store.grant_update(grant, **changes), self._store.pending_slot_freed(grant), entry]
            )
        except Conflict as error:
            raise ElevationNotPending(
                f"{grant_id} was decided or withdrawn meanwhile; nothing done."
            ) from error
        except ClientError as error:
            raise step_error(f"Denying {grant_id}", "StateWrite", error) from error
        return elevation_body(grant.written(**changes), self._now())

    def _pending(self, grant_id: str, approver: str | None, *, retried_ok: bool) -> GrantRecord:
        """The request `grant_id` if `approver` may decide it now (approved, too, when `retried_ok`)."""
        grant = self._grant(grant_id)
        if grant is None:
            raise ElevationNotFound(f"No elevation request {grant_id}.")
        if approver is None or approver.lower() == grant.user_name.lower():
            raise SelfApproval("Another admin must decide this request: nobody approves their own.")
        state = grant.state_at(self._now())
        if state is GrantState.PENDING or (retried_ok and state is GrantState.APPROVED):
            return grant
        raise ElevationNotPending(f"{grant_id} is {state.value}; only a pending request can be decided.")

    def _user_gone(self, grant: GrantRecord, actor: Actor) -> NoReturn:
        """The grant of a user who is no IAM user any more (offboarded while it was approved) ends
        unused, its schedule with it."""
        self._schedules.delete(grant.grant_id)
        with suppress(Conflict):  # ended meanwhile (by the offboarding): nothing left to end
            self._write_end(grant, actor, GrantState.ENDED)
        raise UserNotFound(f"{grant.user_name} is no IAM user any more: nothing was granted.")

    def _finish(self, grant: GrantRecord, actor: Actor) -> Elevation:
        """The schedule, then the membership, of an approved grant (each idempotent); undone if the
        grant ended meanwhile."""
        assert grant.ends_at is not None  # set in the approving write
        step = "CreateSchedule"
        try:
            self._schedules.create(grant.grant_id, grant.ends_at)
            step = "AddUserToGroup"
            if not self._join(grant):
                self._user_gone(grant, actor)
            step = "StateRead"  # ended while it joined? Then the membership goes again.
            now_read = self._grant(grant.grant_id) or grant
            if not now_read.live_at(self._now()):
                step = "RemoveUserFromGroup"
                self._schedules.delete(grant.grant_id)
                self._settle(grant.user_name, grant.group)
        except ClientError as error:
            raise step_error(f"Approving {grant.grant_id}", step, error, outcome=_RUN_AGAIN) from error
        return elevation_body(now_read, self._now())
