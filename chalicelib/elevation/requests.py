"""Asking to join an `elevate` group for a while, and listing requests and grants."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from botocore.exceptions import ClientError

from chalicelib.aws_errors import step_error
from chalicelib.elevation.membership import ElevationService
from chalicelib.elevation.views import elevation_body, newest_first, trail_detail
from chalicelib.errors import ElevationPending, InvalidRequest, NotAnIamUser
from chalicelib.models.elevation import Elevation, ElevationRequest
from chalicelib.models.records import Actor, GrantRecord, GrantState
from chalicelib.state import Conflict
from chalicelib.trail import recorded

log = logging.getLogger(__name__)

# A pending request lapses after this long (SPEC §15); the grant's own length starts at approval.
LAPSE_SECONDS = 3600


class ElevationRequests(ElevationService):
    """Requests to join a group for a while, by the user who wants in."""

    @recorded("elevation_request")
    def request(
        self,
        user_name: str | None,
        body: ElevationRequest,
        actor: Actor,
        *,
        announce: Callable[[GrantRecord], None] | None = None,
    ) -> Elevation:
        """A pending request of `user_name` (an IAM user of this account); `announce` tells the channel."""
        if user_name is None:
            raise NotAnIamUser("Only IAM users of this account may ask for elevation; sign in as yours.")
        elevate = sorted(self._settings.elevate_groups)
        if body.group not in elevate:
            raise InvalidRequest(f"group must be one of: {', '.join(elevate) or '(none is marked elevate)'}.")
        most = self._settings.elevation.max_minutes
        if body.minutes > most:
            raise InvalidRequest(f"minutes must be 1-{most} on this deployment.")
        now = self._now()
        grant = GrantRecord(
            grant_id=uuid.uuid4().hex[:12],
            user_name=user_name,
            group=body.group,
            minutes=body.minutes,
            reason=body.reason,
            state=GrantState.PENDING,
            requested_at=now,
            requested_by=actor.id,
            lapses_at=now + LAPSE_SECONDS,
        )
        entry = self.trail.ok(actor, "elevation_request", user_name, detail=trail_detail(grant))
        try:
            self._store.transact([*self._store.new_grant_puts(grant, now), entry])
        except Conflict as error:
            if 0 not in error.failed:
                raise
            waiting = self._store.pending_slot_of(user_name, body.group)
            raise ElevationPending(
                f"You have a pending request for {body.group} already ({waiting}): wait for an admin, or "
                f"withdraw it with `iam-onboarding elevations end {waiting}`."
            ) from error
        except ClientError as error:
            raise step_error("Asking for elevation", "StateWrite", error) from error
        if announce is not None:
            try:
                announce(grant)
            except Exception:
                # The request stands whether or not the channel heard of it; the admins also list them.
                log.warning("could not announce elevation request %s", grant.grant_id)
        return elevation_body(grant, now)

    def mine(self, user_name: str | None) -> list[Elevation]:
        """The requests and grants of `user_name`, newest first."""
        if user_name is None:
            raise NotAnIamUser("Only IAM users of this account have elevation requests.")
        own = [g for g in self._store.list_grants() if g.user_name.lower() == user_name.lower()]
        return newest_first(own, self._now())

    def everyone(self) -> list[Elevation]:
        """Every request and grant kept, newest first."""
        return newest_first(self._store.list_grants(), self._now())
