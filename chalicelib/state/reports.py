"""`report` items: stored audit reports, newest read first."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.models.records import rfc3339
from chalicelib.state.table import Table, from_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

_REPORT = "report"


class ReportItems(Table):
    """The audit's reports; their body is opaque here."""

    def report_put(
        self, generated_at: datetime, body: bytes, expires_at: datetime
    ) -> TransactWriteItemTypeDef:
        """A put of an audit report (`report` / RFC 3339 time)."""
        values = {
            "pk": _REPORT,
            "sk": rfc3339(generated_at),
            "body": body,
            "expires_at": int(expires_at.timestamp()),
        }
        return self._put(values, new=False)

    def latest_report(self) -> bytes | None:
        """The body of the newest stored report, if any (one Query, newest first)."""
        items = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": _REPORT}},
            ScanIndexForward=False,
            Limit=1,
        ).get("Items", [])
        return bytes(from_item(items[0])["body"]) if items else None
