"""`elevation` items: requests to join an `elevate` group for a while and their grants, and the
`elevation_pending` item that keeps one pending request per user and group.

Every write is conditional: a new request on its user and group having no pending request that has not
lapsed, a decision or an ending on the grant's `version` as it was read. Grants are kept 90 days (the
table's TTL), as the trail that records each step keeps its own copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.models.records import GrantRecord, GrantState
from chalicelib.state.table import Table, serialize, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

_GRANT = "elevation"
_PENDING = "elevation_pending"
KEPT_SECONDS = 90 * 24 * 3600
_OPTIONAL = ("ends_at", "decided_at", "decided_by", "decision_reason", "ended_at", "ended_by")


def _grant_from(v: dict[str, Any]) -> GrantRecord:
    optional_ints = {"ends_at", "decided_at", "ended_at"}
    optional: dict[str, Any] = {k: (int(v[k]) if k in optional_ints else v[k]) for k in _OPTIONAL if k in v}
    return GrantRecord(
        grant_id=v["sk"],
        user_name=v["user_name"],
        group=v["group"],
        minutes=int(v["minutes"]),
        reason=v["reason"],
        state=GrantState(v["state"]),
        requested_at=int(v["requested_at"]),
        requested_by=v["requested_by"],
        lapses_at=int(v["lapses_at"]),
        version=int(v["version"]),
        **optional,
    )


def _pending_key(user_name: str, group: str) -> str:
    return f"{user_name.lower()}#{group}"


class GrantItems(Table):
    """Reads and conditional writes of elevation requests and grants."""

    def new_grant_puts(self, grant: GrantRecord, now: int) -> list[TransactWriteItemTypeDef]:
        """The writes of a new request: its record, and its user and group's pending slot, which fails
        (`Conflict` at position 0) while another request of theirs for that group is pending."""
        slot: dict[str, Any] = {
            "Put": {
                "TableName": self._table,
                "Item": to_item(
                    {
                        "pk": _PENDING,
                        "sk": _pending_key(grant.user_name, grant.group),
                        "grant_id": grant.grant_id,
                        "expires_at": grant.lapses_at,
                    }
                ),
                # A slot whose request lapsed is free again (the table's TTL removes it lazily).
                "ConditionExpression": "attribute_not_exists(pk) OR expires_at <= :now",
                "ExpressionAttributeValues": to_item({":now": now}),
            }
        }
        values = {
            "pk": _GRANT,
            "sk": grant.grant_id,
            "user_name": grant.user_name,
            "group": grant.group,
            "minutes": grant.minutes,
            "reason": grant.reason,
            "state": grant.state.value,
            "requested_at": grant.requested_at,
            "requested_by": grant.requested_by,
            "lapses_at": grant.lapses_at,
            "version": grant.version,
            "expires_at": grant.requested_at + KEPT_SECONDS,
        }
        return [slot, self._put(values, new=True)]  # type: ignore[list-item]

    def pending_slot_of(self, user_name: str, group: str) -> str | None:
        """The id of the request holding `user_name`'s pending slot for `group`, lapsed or not."""
        item = self._get(_PENDING, _pending_key(user_name, group))
        return str(item["grant_id"]) if item else None

    def get_grant(self, grant_id: str) -> GrantRecord | None:
        """The request or grant `grant_id`, if any."""
        item = self._get(_GRANT, grant_id)
        return _grant_from(item) if item else None

    def list_grants(self) -> list[GrantRecord]:
        """Every request and grant kept, in id order."""
        return [_grant_from(v) for v in self._query_all(_GRANT)]

    def grant_update(self, read: GrantRecord, **changes: str | int | None) -> TransactWriteItemTypeDef:
        """An update of the grant as it was `read` that fails (`Conflict`) when anyone wrote it since."""
        names = {"#version": "version"}
        values: dict[str, Any] = {":read": read.version, ":next": read.version + 1}
        sets = ["#version = :next"]
        for key, value in changes.items():
            names[f"#{key}"] = key
            sets.append(f"#{key} = :{key}")
            values[f":{key}"] = value.value if isinstance(value, GrantState) else value
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._key(_GRANT, read.grant_id),
            "UpdateExpression": "SET " + ", ".join(sets),
            "ConditionExpression": "attribute_exists(pk) AND #version = :read",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {k: serialize(v) for k, v in values.items()},
        }
        return {"Update": update}  # type: ignore[typeddict-item]

    def pending_slot_freed(self, read: GrantRecord) -> TransactWriteItemTypeDef:
        """A delete of the pending slot `read` holds, in the transaction that decides it (a request that
        has not lapsed holds its slot: only a lapsed one is ever replaced)."""
        delete: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._key(_PENDING, _pending_key(read.user_name, read.group)),
            "ConditionExpression": "attribute_not_exists(pk) OR grant_id = :id",
            "ExpressionAttributeValues": to_item({":id": read.grant_id}),
        }
        return {"Delete": delete}  # type: ignore[typeddict-item]
