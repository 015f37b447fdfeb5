"""`user` items: a managed user's case-insensitive name reservation, onboarding state and link pointers.

Every write of a record is conditional: on the name being free (a new record), or on the record's
`generation` as it was read (an update), so that no writer overwrites what it did not see.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.models.records import UserRecord
from chalicelib.state.table import Table, serialize

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

_USER = "user"


def _user_from(v: dict[str, Any]) -> UserRecord:
    return UserRecord(
        user_name=v["user_name"],
        arn=v["arn"],
        created_at=v["created_at"],
        state=v["state"],
        bundle_id=v.get("bundle_id"),
        enrollment_id=v.get("enrollment_id"),
        user_id=v.get("user_id"),
        generation=int(v.get("generation", 0)),
    )


class UserItems(Table):
    """Reads and conditional writes of user records; names are keys whatever their letter case."""

    def new_user_put(self, user: UserRecord) -> TransactWriteItemTypeDef:
        """A put that reserves the user's name case-insensitively (fails if taken)."""
        values = {
            "pk": _USER,
            "sk": user.user_name.lower(),
            "user_name": user.user_name,
            "arn": user.arn,
            "created_at": user.created_at,
            "state": user.state,
            "bundle_id": user.bundle_id,
            "enrollment_id": user.enrollment_id,
            "user_id": user.user_id,
            "generation": 1,
        }
        return self._put(values, new=True)

    def get_user(self, user_name: str) -> UserRecord | None:
        """The record of `user_name` (any letter case), if any."""
        item = self._get(_USER, user_name.lower())
        return _user_from(item) if item else None

    def list_users(self) -> list[UserRecord]:
        """Every user record."""
        return [_user_from(v) for v in self._query_all(_USER)]

    def user_update(
        self, read: UserRecord, *, pointing_at: dict[str, str] | None = None, **changes: str | None
    ) -> TransactWriteItemTypeDef:
        """An update of the record as it was `read` (None removes an attribute) that fails (`Conflict`, in
        a transaction) when anyone wrote the record since.

        With `pointing_at` ({"bundle_id": link id}) the condition is instead that the record still points
        at those links, for the same incarnation of the user: what a newcomer's write needs, so that an
        admin's unrelated write does not fail it, and a link the admin killed does.
        """
        names = {"#generation": "generation"}
        # Records from before `generation` was kept have none: their first update starts counting.
        values: dict[str, Any] = {":one": 1, ":zero": 0}
        sets = ["#generation = if_not_exists(#generation, :zero) + :one"]
        removes = []
        for key, value in changes.items():
            names[f"#{key}"] = key
            if value is None:
                removes.append(f"#{key}")
            else:
                sets.append(f"#{key} = :{key}")
                values[f":{key}"] = value
        conditions = ["attribute_exists(pk)"]
        if pointing_at is None:
            if read.generation:
                conditions.append("#generation = :read")
                values[":read"] = read.generation
            else:
                conditions.append("attribute_not_exists(#generation)")
        else:
            for key, link_id in pointing_at.items():
                names[f"#{key}"] = key
                conditions.append(f"#{key} = :was_{key}")
                values[f":was_{key}"] = link_id
            if read.user_id:
                names["#user_id"] = "user_id"
                conditions.append("#user_id = :user_id")
                values[":user_id"] = read.user_id
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._key(_USER, read.user_name.lower()),
            "UpdateExpression": expression,
            "ConditionExpression": " AND ".join(conditions),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {k: serialize(v) for k, v in values.items()},
        }
        return {"Update": update}  # type: ignore[typeddict-item]

    def user_delete(self, read: UserRecord) -> TransactWriteItemTypeDef:
        """A delete of the record as it was `read`, which frees the name; no error when it is gone already
        (a retried offboarding), `Conflict` when it now belongs to another incarnation of the user."""
        delete: dict[str, Any] = {"TableName": self._table, "Key": self._key(_USER, read.user_name.lower())}
        if read.user_id:
            delete["ConditionExpression"] = "attribute_not_exists(pk) OR user_id = :user_id"
            delete["ExpressionAttributeValues"] = {":user_id": serialize(read.user_id)}
        return {"Delete": delete}  # type: ignore[typeddict-item]
