"""Grants as the API shows them, and their trail details (who asked, for what, why)."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.models.elevation import Elevation
from chalicelib.models.records import GrantRecord, GrantState, rfc3339


def _time(epoch: int | None) -> str | None:
    return rfc3339(datetime.fromtimestamp(epoch, UTC)) if epoch is not None else None


def elevation_body(grant: GrantRecord, now: int) -> Elevation:
    """`grant` as of `now` (epoch seconds): its state read off the clock too, and the time it has left."""
    state = grant.state_at(now)
    remaining = None
    if state is GrantState.APPROVED and grant.ends_at is not None:
        remaining = grant.ends_at - now
    elif state is GrantState.PENDING:
        remaining = grant.lapses_at - now
    return Elevation(
        id=grant.grant_id,
        user_name=grant.user_name,
        group=grant.group,
        minutes=grant.minutes,
        reason=grant.reason,
        state=state,
        requested_at=rfc3339(datetime.fromtimestamp(grant.requested_at, UTC)),
        expires_at=_time(grant.ends_at),
        requested_by=grant.requested_by,
        lapses_at=rfc3339(datetime.fromtimestamp(grant.lapses_at, UTC)),
        decided_by=grant.decided_by,
        decided_at=_time(grant.decided_at),
        decision_reason=grant.decision_reason,
        ended_by=grant.ended_by,
        ended_at=_time(grant.ended_at),
        remaining_seconds=remaining,
    )


def newest_first(grants: list[GrantRecord], now: int) -> list[Elevation]:
    """The bodies of `grants`, the newest request first."""
    ordered = sorted(grants, key=lambda g: (g.requested_at, g.grant_id), reverse=True)
    return [elevation_body(g, now) for g in ordered]


def trail_detail(grant: GrantRecord, reason: str | None = None) -> str:
    """The trail's detail of a step of `grant`: the other actor, the group, the length and the reasons."""
    text = (
        f"elevation {grant.grant_id}: {grant.group} for {grant.minutes} min, requested by "
        f"{grant.requested_by} ({grant.reason!r})"
    )
    return text + (f"; reason: {reason!r}" if reason else "")
