"""`user` items: a managed user's case-insensitive name reservation and onboarding state."""

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
    )


class UserItems(Table):
    """Reads and writes of user records; names are keys whatever their letter case."""

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
        }
        return self._put(values, new=True)

    def get_user(self, user_name: str) -> UserRecord | None:
        """The record of `user_name` (any letter case), if any."""
        item = self._get(_USER, user_name.lower())
        return _user_from(item) if item else None

    def list_users(self) -> list[UserRecord]:
        """Every user record."""
        return [_user_from(v) for v in self._query_all(_USER)]

    def user_update(self, user_name: str, **changes: str | None) -> TransactWriteItemTypeDef:
        """An update of an existing user record: None removes the attribute."""
        sets = {k: v for k, v in changes.items() if v is not None}
        removes = [k for k, v in changes.items() if v is None]
        expression = ""
        if sets:
            expression += "SET " + ", ".join(f"#{k} = :{k}" for k in sets)
        if removes:
            expression += " REMOVE " + ", ".join(f"#{k}" for k in removes)
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._key(_USER, user_name.lower()),
            "UpdateExpression": expression.strip(),
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeNames": {f"#{k}": k for k in changes},
        }
        if sets:
            update["ExpressionAttributeValues"] = {f":{k}": serialize(v) for k, v in sets.items()}
        return {"Update": update}  # type: ignore[typeddict-item]

    def user_delete(self, user_name: str) -> TransactWriteItemTypeDef:
        """A delete of the user's record, which frees the name (no error when it is gone already)."""
        return self._delete(_USER, user_name.lower())
