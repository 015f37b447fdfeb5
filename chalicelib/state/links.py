"""`link` items: one-time links by token id, with the attempts and pending device of an enrollment."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.models.records import LinkKind, LinkRecord, rfc3339
from chalicelib.state.table import Table, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

_LINK = "link"
# The attribute that names an enrollment's pending (unassigned) device.
_PENDING = "serial_number"


def _link_from(v: dict[str, Any]) -> LinkRecord:
    sealed, pending = v.get("sealed"), v.get(_PENDING)
    return LinkRecord(
        link_id=v["sk"],
        kind=LinkKind(v["kind"]),
        user_name=v["user_name"],
        expires_at=int(v["expires_at"]),
        sealed=bytes(sealed) if sealed is not None else None,
        claimed_at=v.get("claimed_at"),
        attempts=int(v.get("attempts", 0)),
        pending_serial=str(pending) if pending else None,
        user_id=v.get("user_id"),
    )


class LinkItems(Table):
    """Reads and conditional writes of one-time links."""

    def link_put(self, link: LinkRecord) -> TransactWriteItemTypeDef:
        """A put of a fresh link."""
        values = {
            "pk": _LINK,
            "sk": link.link_id,
            "kind": str(link.kind),
            "user_name": link.user_name,
            "expires_at": link.expires_at,
            "sealed": link.sealed,
            "attempts": link.attempts,
            _PENDING: link.pending_serial,
            "user_id": link.user_id,
        }
        return self._put(values, new=True)

    def get_link(self, link_id: str) -> LinkRecord | None:
        """A link by id, whatever its state."""
        item = self._get(_LINK, link_id)
        return _link_from(item) if item else None

    def list_links(self) -> list[LinkRecord]:
        """Every stored link, expired or not (the table's TTL deletes them lazily)."""
        return [_link_from(v) for v in self._query_all(_LINK)]

    def link_delete(self, link_id: str, *, if_live: bool = False) -> TransactWriteItemTypeDef:
        """A delete of a link; with `if_live`, one that fails (`Conflict`) when the link is gone already."""
        return self._delete(_LINK, link_id, if_exists=if_live)

    def claim_update(self, link_id: str, kind: LinkKind, now: datetime) -> TransactWriteItemTypeDef:
        """An update that marks an unclaimed, unexpired link claimed and drops its sealed secret.

        In a transaction with the writes that follow from the claim, so that a claim that fails leaves
        the link as it was (the newcomer simply tries again) and one that succeeds is complete. Of any
        number of concurrent claims exactly one transaction succeeds; the others get `Conflict`.
        """
        update = {
            "TableName": self._table,
            "Key": self._key(_LINK, link_id),
            "UpdateExpression": "SET claimed_at = :at REMOVE sealed",
            "ConditionExpression": (
                "kind = :kind AND attribute_not_exists(claimed_at) AND attribute_exists(sealed) "
                "AND expires_at > :now"
            ),
            "ExpressionAttributeValues": to_item(
                {":at": rfc3339(now), ":kind": str(kind), ":now": int(now.timestamp())}
            ),
        }
        return {"Update": update}  # type: ignore[typeddict-item]

    def pending_device_update(
        self, link: LinkRecord, *, sealed: bytes, serial_number: str, now: datetime, max_attempts: int
    ) -> TransactWriteItemTypeDef:
        """An update that puts a new pending device on a live enrollment link, unless it moved on meanwhile.

        `Conflict` (in a transaction) when the link is spent, expired or out of tries, or another start
        replaced the pending device it was read with first (so two racing starts cannot both think their
        device is the pending one). A retry of this very write (botocore's, after a fault) still succeeds.
        """
        previous = link.pending_serial
        condition = (
            "kind = :kind AND attribute_not_exists(claimed_at) AND expires_at > :now AND attempts < :max AND "
            f"({_PENDING} = :serial OR "
            + (f"{_PENDING} = :prev)" if previous else f"attribute_not_exists({_PENDING}))")
        )
        values = {
            ":sealed": sealed,
            ":serial": serial_number,
            ":kind": str(LinkKind.ENROLLMENT),
            ":now": int(now.timestamp()),
            ":max": max_attempts,
            ":prev": previous,
        }
        return self._update_live(
            link.link_id, f"SET sealed = :sealed, {_PENDING} = :serial", condition, values
        )

    def failed_attempt_update(
        self, link: LinkRecord, now: datetime, max_attempts: int
    ) -> TransactWriteItemTypeDef:
        """An update that adds one failed try to a live link as it was read.

        `Conflict` (in a transaction) when the link is gone, spent, expired, out of tries, or another try
        counted first: the caller reads it again, so of two racing failures at the last try exactly one
        reaches `max_attempts`.
        """
        return self._update_live(
            link.link_id,
            "SET attempts = :new",
            "attribute_not_exists(claimed_at) AND expires_at > :now AND attempts = :read AND :new <= :max",
            {
                ":new": link.attempts + 1,
                ":read": link.attempts,
                ":now": int(now.timestamp()),
                ":max": max_attempts,
            },
        )

    def _update_live(
        self, link_id: str, update: str, condition: str, values: dict[str, Any]
    ) -> TransactWriteItemTypeDef:
        """A conditional update of one link, for a transaction."""
        return {
            "Update": {
                "TableName": self._table,
                "Key": self._key(_LINK, link_id),
                "UpdateExpression": update,
                "ConditionExpression": condition,
                "ExpressionAttributeValues": to_item(values),
            }
        }
