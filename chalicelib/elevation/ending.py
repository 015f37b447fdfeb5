"""Ending grants: by their user ("I'm done") or any admin, by their schedule when due, by the audit's
sweep when a schedule was missed, and all of a user's when they are offboarded.

The grant's ending is written first (conditional on the grant as read), then its schedule is removed and
the membership settled (`_settle`). A failure after the write says to run it again, and running it again
finishes it: ending an ended grant settles its membership once more. The revoke function acts only on
what the table says: an event naming a grant that is not due ends nothing.
"""

from __future__ import annotations

import logging

from botocore.exceptions import ClientError

from chalicelib.aws_errors import step_error
from chalicelib.elevation.membership import ElevationService
from chalicelib.elevation.views import elevation_body
from chalicelib.errors import ElevationNotFound, ElevationNotPending
from chalicelib.models.elevation import Elevation
from chalicelib.models.records import Actor, GrantRecord, GrantState
from chalicelib.state import Conflict
from chalicelib.trail import recorded

log = logging.getLogger(__name__)

SCHEDULER = Actor(id="scheduler", channel="schedule")
_OVER = (GrantState.ENDED, GrantState.EXPIRED)
_RUN_AGAIN = "The grant is ended. Run it again: ending it again removes what is left."


class NotDueYet(Exception):
    """The revoke function was asked to end a grant the table says is not due: nothing was done (a
    schedule that fired early is retried by Scheduler; a forged event changes nothing)."""


class GrantEnding(ElevationService):
    """Every way a grant ends."""

    @recorded("elevation_end", target="grant_id")
    def end(self, grant_id: str, actor: Actor, *, own: str | None = None) -> Elevation:
        """End `grant_id` now, or withdraw it while pending; with `own`, only a grant of that user."""
        for _ in range(3):
            grant = self._grant(grant_id)
            if grant is None or (own is not None and grant.user_name.lower() != own.lower()):
                raise ElevationNotFound(f"No elevation request {grant_id}" + (" of yours." if own else "."))
            state = grant.state_at(self._now())
            if state in (GrantState.DENIED, GrantState.LAPSED):
                raise ElevationNotPending(f"{grant_id} is {state.value}: there is nothing to end.")
            try:
                if grant.state not in _OVER:
                    ending = GrantState.EXPIRED if state is GrantState.EXPIRED else GrantState.ENDED
                    grant = self._write_end(grant, actor, ending)
            except Conflict:
                continue
            return self._clean_up(grant, action=f"Ending {grant_id}")
        raise ElevationNotPending(f"{grant_id} kept changing while this request ran; look at it again.")

    def revoke(self, grant_id: str) -> bool:
        """The revoke function's work for one grant: end it if the table says it is due; whether it was
        (a grant ended already is settled again, for a retried invocation). `NotDueYet` otherwise."""
        grant = self._grant(grant_id)
        if grant is None:
            log.warning("revoke of an unknown grant, ignored")
            return False
        state = grant.state_at(self._now())
        if state is GrantState.EXPIRED and grant.state is GrantState.APPROVED:
            try:
                self._write_end(grant, SCHEDULER, GrantState.EXPIRED)
            except Conflict:
                return self.revoke(grant_id)  # ended by someone else meanwhile: settle what they left
        elif grant.state not in _OVER:
            raise NotDueYet(f"grant {grant_id} is {state.value}, not due")
        if grant.ends_at is not None:
            self._settle(grant.user_name, grant.group)
        return True

    def sweep(self) -> list[str]:
        """End every approved grant past its end (its schedule was missed); the ids ended."""
        now = self._now()
        due = [g for g in self._store.list_grants() if g.state is GrantState.APPROVED and not g.live_at(now)]
        ended = []
        for grant in due:
            try:
                self.revoke(grant.grant_id)
                ended.append(grant.grant_id)
            except Exception:
                log.warning("the sweep could not end grant %s", grant.grant_id, exc_info=True)
        return ended

    def end_all_of(self, user_name: str, actor: Actor) -> list[str]:
        """End every pending or live grant of `user_name` (offboarding) and remove their schedules; the
        membership goes with the user. Retry-safe: a grant ended already is skipped."""
        ended = []
        for grant in self._store.list_grants():
            if grant.user_name.lower() != user_name.lower() or grant.state not in (
                GrantState.PENDING,
                GrantState.APPROVED,
            ):
                continue
            try:
                self._write_end(grant, actor, GrantState.ENDED)
            except Conflict:
                continue  # ended or decided meanwhile; its schedule is removed below all the same
            finally:
                self._schedules.delete(grant.grant_id)
            ended.append(grant.grant_id)
        return ended

    def _clean_up(self, grant: GrantRecord, *, action: str) -> Elevation:
        step = "DeleteSchedule"
        try:
            self._schedules.delete(grant.grant_id)
            step = "RemoveUserFromGroup"
            if grant.ends_at is not None:  # a withdrawn request never granted anything to take back
                self._settle(grant.user_name, grant.group)
        except ClientError as error:
            raise step_error(action, step, error, outcome=_RUN_AGAIN) from error
        return elevation_body(grant, self._now())
