"""The state table's keys, (de)serialisation, transactions and definition, shared by every item kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chalicelib.aws_errors import error_code

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

serialize = TypeSerializer().serialize
_deserialize = TypeDeserializer().deserialize


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """DynamoDB's typed form of `values`, without the ones that are None."""
    return {k: serialize(v) for k, v in values.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """Plain Python values of a DynamoDB item."""
    return {k: _deserialize(v) for k, v in item.items()}


class Conflict(Exception):
    """A conditional write lost: the item exists, or is no longer in the expected state.

    `failed` holds the positions, in a transaction, of the writes whose condition failed (when known).
    """

    def __init__(self, message: str, failed: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.failed = failed


class Table:
    """The table and its client; the item kinds add their reads and writes to it."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def _key(self, pk: str, sk: str) -> dict[str, Any]:
        return to_item({"pk": pk, "sk": sk})

    def _put(self, values: Mapping[str, Any], *, new: bool) -> TransactWriteItemTypeDef:
        put: dict[str, Any] = {"TableName": self._table, "Item": to_item(values)}
        if new:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        return {"Put": put}  # type: ignore[typeddict-item]

    def _delete(self, pk: str, sk: str, *, if_exists: bool = False) -> TransactWriteItemTypeDef:
        """A delete of one item: no error when it is already gone, unless `if_exists` (then `Conflict`)."""
        delete: dict[str, Any] = {"TableName": self._table, "Key": self._key(pk, sk)}
        if if_exists:
            delete["ConditionExpression"] = "attribute_exists(pk)"
        return {"Delete": delete}  # type: ignore[typeddict-item]

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        item = self._db.get_item(TableName=self._table, Key=self._key(pk, sk), ConsistentRead=True).get(
            "Item"
        )
        return from_item(item) if item else None

    def _query_all(self, pk: str) -> list[dict[str, Any]]:
        """Every item of partition `pk`, in sort-key order."""
        pages = self._db.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
        )
        return [from_item(item) for page in pages for item in page.get("Items", [])]

    def transact(self, items: list[TransactWriteItemTypeDef]) -> None:
        """Write all of `items` or none; a failed condition raises `Conflict`."""
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error_code(error) == "TransactionCanceledException":
                reasons = error.response.get("CancellationReasons", [])
                failed = tuple(i for i, r in enumerate(reasons) if r.get("Code") == "ConditionalCheckFailed")
                if failed or not reasons:
                    raise Conflict(str(error), failed) from error
            raise


def table_definition(table_name: str) -> dict[str, Any]:
    """The CreateTable arguments of the state table (the bootstrap and tests share them)."""
    return {
        "TableName": table_name,
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
