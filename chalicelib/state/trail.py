"""`trail` items: the admin audit trail, in time order. Never a secret."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalicelib.models.records import TrailEntry, rfc3339
from chalicelib.state.table import Table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

_TRAIL = "trail"


class TrailItems(Table):
    """Writes of the audit trail (each with the change it records, when there is one), and its read."""

    def trail_put(self, entry: TrailEntry) -> TransactWriteItemTypeDef:
        """A put of an audit-trail record."""
        # Microseconds in the sort key keep the trail in order within a second.
        sort_key = f"{entry.at.astimezone(UTC).isoformat(timespec='microseconds')}#{uuid.uuid4().hex}"
        values = {
            "pk": _TRAIL,
            "sk": sort_key,
            "actor": entry.actor,
            "action": entry.action,
            "target": entry.target,
            "channel": entry.channel,
            "outcome": entry.outcome,
            "at": rfc3339(entry.at),
            "detail": entry.detail,
        }
        return self._put(values, new=False)

    def record(self, entry: TrailEntry) -> None:
        """Write one audit-trail record on its own."""
        self.transact([self.trail_put(entry)])

    def trail(self) -> list[TrailEntry]:
        """The whole audit trail, oldest first."""
        return [
            TrailEntry(
                v["actor"],
                v["action"],
                v["target"],
                v["channel"],
                v["outcome"],
                datetime.strptime(v["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
                v.get("detail"),
            )
            for v in self._query_all(_TRAIL)
        ]
