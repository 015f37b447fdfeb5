"""Items that make something happen once: locks held while one request acts, and requests already seen."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib.aws_errors import error_code
from chalicelib.state.table import Table, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


# The states of a once-only key: admitted (by the API), then done (consumed by the worker).
ADMITTED, DONE = "admitted", "done"


class OnceItems(Table):
    """Locks (`kind` / key, with a holder and an expiry) and once-only keys."""

    def lock_put(
        self, kind: str, key: str, holder: str, now: datetime, until: datetime, *, purpose: str = ""
    ) -> TransactWriteItemTypeDef:
        """A put that takes the lock `kind`/`key` for `holder` until `until`, unless another holds it.

        A lock whose holder died is free again after `until` (the table's TTL removes it lazily).
        `purpose` says what the holder is doing, for whoever finds it taken.
        """
        return {
            "Put": {
                "TableName": self._table,
                "Item": to_item(
                    {
                        "pk": kind,
                        "sk": key,
                        "holder": holder,
                        "purpose": purpose or None,
                        "expires_at": int(until.timestamp()),
                    }
                ),
                # The holder's own retry takes it again: a retried request, or botocore's retry of this one.
                "ConditionExpression": "attribute_not_exists(pk) OR expires_at <= :now OR holder = :holder",
                "ExpressionAttributeValues": to_item({":now": int(now.timestamp()), ":holder": holder}),
            }
        }

    def lock_delete(self, kind: str, key: str, holder: str) -> TransactWriteItemTypeDef:
        """A delete of the lock `kind`/`key`, in the transaction that finishes what its holder did:
        `Conflict` when `holder` lost it meanwhile (it expired and another request took it)."""
        return {
            "Delete": {
                "TableName": self._table,
                "Key": self._key(kind, key),
                "ConditionExpression": "holder = :holder",
                "ExpressionAttributeValues": to_item({":holder": holder}),
            }
        }

    def lock_purpose(self, kind: str, key: str, now: datetime) -> str | None:
        """What the live holder of the lock `kind`/`key` is doing (`""` if it does not say), or None."""
        item = self._get(kind, key)
        if item is None or int(item.get("expires_at", 0)) <= now.timestamp():
            return None
        return str(item.get("purpose", ""))

    def release(self, kind: str, key: str, holder: str) -> None:
        """Give the lock `kind`/`key` back, if `holder` still holds it."""
        try:
            self._db.delete_item(
                TableName=self._table,
                Key=self._key(kind, key),
                ConditionExpression="holder = :holder",
                ExpressionAttributeValues=to_item({":holder": holder}),
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise

    def first_time(self, kind: str, key: str, expires_at: datetime, *, attempt: str) -> bool:
        """Record `key` of `kind` as admitted by `attempt`; False when it was already (a retry or a replay).

        A conditional put decides, so of any number of concurrent deliveries exactly one is first. The
        put succeeds again for its own `attempt`: botocore's retry of a put that AWS applied before the
        answer was lost must not read as a duplicate (and drop the command). `expires_at` lets the table's
        TTL forget the key.
        """
        try:
            self._db.put_item(
                TableName=self._table,
                Item=to_item(
                    {
                        "pk": kind,
                        "sk": key,
                        "state": ADMITTED,
                        "attempt": attempt,
                        "expires_at": int(expires_at.timestamp()),
                    }
                ),
                ConditionExpression="attribute_not_exists(pk) OR attempt = :attempt",
                ExpressionAttributeValues=to_item({":attempt": attempt}),
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def consume(self, kind: str, key: str, *, attempt: str) -> bool:
        """Mark the admitted `key` of `kind` done by `attempt`; False unless it was admitted and not done.

        Only what `first_time` admitted can be consumed, once; botocore's retry of this very update
        (same `attempt`) succeeds again.
        """
        try:
            self._db.update_item(
                TableName=self._table,
                Key=self._key(kind, key),
                UpdateExpression="SET #state = :done, consumer = :attempt",
                ConditionExpression="#state = :admitted OR consumer = :attempt",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=to_item(
                    {":done": DONE, ":admitted": ADMITTED, ":attempt": attempt}
                ),
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True
