"""What the service stores and who acts: plain records, free of storage and of the framework.

The state table (`chalicelib/state/`) reads and writes these; the audit checks read them too, so they
live below both.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum


def rfc3339(moment: datetime) -> str:
    """RFC 3339 UTC with a `Z`, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Actor:
    """Who asked for an admin action, and through which channel (`rest`, `slack`, `schedule`)."""

    id: str
    channel: str


def newcomer(user_name: str, source_ip: str | None) -> str:
    """How the trail names a newcomer acting on their own link: the user, and the address it came from."""
    return f"{user_name} (newcomer from {source_ip})" if source_ip else user_name


@dataclass(frozen=True)
class UserRecord:
    """What the service remembers of a managed user beyond IAM.

    `bundle_id` and `enrollment_id` point at the user's live links: a link the record does not point at is
    dead, whatever its own item says. `user_id` is IAM's id of this incarnation of the user (a user
    re-created under the same name gets another), and `generation` counts the record's writes, so that a
    write can be made conditional on the record as it was read.
    """

    user_name: str
    arn: str
    created_at: str
    state: str
    bundle_id: str | None = None
    enrollment_id: str | None = None
    user_id: str | None = None
    generation: int = 0


class LinkKind(StrEnum):
    """What a one-time link hands out."""

    CREDENTIALS = "credentials"
    ENROLLMENT = "enrollment"


@dataclass(frozen=True)
class LinkRecord:
    """A one-time link as stored: never the token, never the secret in clear.

    `pending_serial` is the virtual MFA device an enrollment link is waiting to enable, once started;
    `user_id` the incarnation of the user it was issued to (None on links from before it was kept).
    """

    link_id: str
    kind: LinkKind
    user_name: str
    expires_at: int
    sealed: bytes | None = None
    claimed_at: str | None = None
    attempts: int = 0
    pending_serial: str | None = None
    user_id: str | None = None


@dataclass(frozen=True)
class TrailEntry:
    """One admin action: who, what, whom, when, channel, and how it ended; `detail` says more where one
    action has two actors or a reason (an elevation: who asked, for which group, why)."""

    actor: str
    action: str
    target: str
    channel: str
    outcome: str
    at: datetime
    detail: str | None = None


class GrantState(StrEnum):
    """Where an elevation is. `lapsed` and `expired` are read off the clock as well as stored: a pending
    request past its lapse time is lapsed, an approved grant past its end is expired, whatever the
    record still says (its revoke may not have run yet)."""

    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    LAPSED = "lapsed"
    ENDED = "ended"
    EXPIRED = "expired"


@dataclass(frozen=True)
class GrantRecord:
    """A request to join an `elevate` group for `minutes`, and what became of it.

    Times are epoch seconds: `lapses_at` (a pending request lapses then), `ends_at` (set on approval:
    the grant ends then; the duration starts at approval). `version` counts the record's writes, so that
    every decision is conditional on the record as it was read. Actors are IAM ARNs.
    """

    grant_id: str
    user_name: str
    group: str
    minutes: int
    reason: str
    state: GrantState
    requested_at: int
    requested_by: str
    lapses_at: int
    ends_at: int | None = None
    decided_at: int | None = None
    decided_by: str | None = None
    decision_reason: str | None = None
    ended_at: int | None = None
    ended_by: str | None = None
    version: int = 1

    def state_at(self, now: int) -> GrantState:
        """The state as of `now` (epoch seconds), the clock's part included."""
        if self.state is GrantState.PENDING and now >= self.lapses_at:
            return GrantState.LAPSED
        if self.state is GrantState.APPROVED and self.ends_at is not None and now >= self.ends_at:
            return GrantState.EXPIRED
        return self.state

    def live_at(self, now: int) -> bool:
        """Whether this grant entitles its user to the group at `now`."""
        return self.state_at(now) is GrantState.APPROVED

    def written(self, **changes: str | int | None) -> GrantRecord:
        """This record as its conditional update with `changes` leaves it: no read needed after the write."""
        if "state" in changes:
            changes["state"] = GrantState(str(changes["state"]))
        return replace(self, version=self.version + 1, **changes)  # type: ignore[arg-type]
