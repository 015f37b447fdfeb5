"""The state table: users' onboarding state, one-time links and the admin audit trail.

One DynamoDB table keyed by (`pk`, `sk`):
- `user` / lower-cased user name: the case-insensitive reservation and the onboarding state;
- `link` / sha256(token): a one-time link; its secret sealed under the token, `expires_at` as epoch
  seconds (also the table's TTL attribute; TTL deletion is lazy and the emulator never expires items,
  so every read checks expiry in code);
- `trail` / `<time>#<id>`: who did what to whom, when, through which channel. Never a secret.
- `report` / RFC 3339 time: a stored audit report (zlib-compressed JSON), kept 90 days;
- `offboarding` / lower-cased user name: held while one request offboards that user (minutes at most).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chalicelib.aws import error_code

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

_serialize = TypeSerializer().serialize
_deserialize = TypeDeserializer().deserialize


def rfc3339(moment: datetime) -> str:
    """RFC 3339 UTC with a `Z`, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serialize(v) for k, v in values.items() if v is not None}


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deserialize(v) for k, v in item.items()}


class Conflict(Exception):
    """A conditional write lost: the item exists, or is no longer in the expected state.

    `failed` holds the positions, in a transaction, of the writes whose condition failed (when known).
    """

    def __init__(self, message: str, failed: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.failed = failed


@dataclass(frozen=True)
class UserRecord:
    """What the service remembers of a managed user beyond IAM."""

    user_name: str
    arn: str
    created_at: str
    state: str
    bundle_id: str | None = None
    enrollment_id: str | None = None


@dataclass(frozen=True)
class LinkRecord:
    """A one-time link as stored: never the token, never the secret in clear."""

    link_id: str
    kind: str  # "credentials" or "enrollment"
    user_name: str
    expires_at: int
    sealed: bytes | None = None
    claimed_at: str | None = None
    attempts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrailEntry:
    """One admin action: who, what, whom, when, channel, and how it ended."""

    actor: str
    action: str
    target: str
    channel: str
    outcome: str
    at: datetime


def _user_from(item: Mapping[str, Any]) -> UserRecord:
    v = _plain(item)
    return UserRecord(
        user_name=v["user_name"],
        arn=v["arn"],
        created_at=v["created_at"],
        state=v["state"],
        bundle_id=v.get("bundle_id"),
        enrollment_id=v.get("enrollment_id"),
    )


def _link_from(item: Mapping[str, Any]) -> LinkRecord:
    v = _plain(item)
    known = {"pk", "sk", "kind", "user_name", "expires_at", "sealed", "claimed_at", "attempts"}
    sealed = v.get("sealed")
    return LinkRecord(
        link_id=v["sk"],
        kind=v["kind"],
        user_name=v["user_name"],
        expires_at=int(v["expires_at"]),
        sealed=bytes(sealed) if sealed is not None else None,
        claimed_at=v.get("claimed_at"),
        attempts=int(v.get("attempts", 0)),
        extra={k: val for k, val in v.items() if k not in known},
    )


class StateStore:
    """Typed access to the state table through a low-level DynamoDB client."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._db = client
        self._table = table_name

    # --- writes that build up a transaction -------------------------------------------------------

    def _put(self, values: Mapping[str, Any], *, new: bool) -> TransactWriteItemTypeDef:
        put: dict[str, Any] = {"TableName": self._table, "Item": _item(values)}
        if new:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        return {"Put": put}  # type: ignore[typeddict-item]

    def new_user_put(self, user: UserRecord) -> TransactWriteItemTypeDef:
        """A put that reserves the user's name case-insensitively (fails if taken)."""
        return self._put({"pk": "user", "sk": user.user_name.lower(), **user.__dict__}, new=True)

    def link_put(self, link: LinkRecord) -> TransactWriteItemTypeDef:
        """A put of a fresh link."""
        values = {
            "pk": "link",
            "sk": link.link_id,
            "kind": link.kind,
            "user_name": link.user_name,
            "expires_at": link.expires_at,
            "sealed": link.sealed,
            "attempts": link.attempts,
            **link.extra,
        }
        return self._put(values, new=True)

    def trail_put(self, entry: TrailEntry) -> TransactWriteItemTypeDef:
        """A put of an audit-trail record."""
        at = rfc3339(entry.at)
        # Microseconds in the sort key keep the trail in order within a second.
        sort_key = f"{entry.at.astimezone(UTC).isoformat(timespec='microseconds')}#{uuid.uuid4().hex}"
        values = {"pk": "trail", "sk": sort_key, **entry.__dict__, "at": at}
        return self._put(values, new=False)

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

    # --- users ----------------------------------------------------------------------------------

    def get_user(self, user_name: str) -> UserRecord | None:
        """The record of `user_name` (any letter case), if any."""
        item = self._db.get_item(
            TableName=self._table, Key=_item({"pk": "user", "sk": user_name.lower()}), ConsistentRead=True
        ).get("Item")
        return _user_from(item) if item else None

    def list_users(self) -> list[UserRecord]:
        """Every user record."""
        pages = self._db.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "user"}},
        )
        return [_user_from(item) for page in pages for item in page.get("Items", [])]

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
            "Key": _item({"pk": "user", "sk": user_name.lower()}),
            "UpdateExpression": expression.strip(),
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeNames": {f"#{k}": k for k in changes},
        }
        if sets:
            update["ExpressionAttributeValues"] = {f":{k}": _serialize(v) for k, v in sets.items()}
        return {"Update": update}  # type: ignore[typeddict-item]

    def delete_key(self, pk: str, sk: str, *, if_exists: bool = False) -> TransactWriteItemTypeDef:
        """A delete of one item: no error when it is already gone, unless `if_exists` (then `Conflict`)."""
        delete: dict[str, Any] = {"TableName": self._table, "Key": _item({"pk": pk, "sk": sk})}
        if if_exists:
            delete["ConditionExpression"] = "attribute_exists(pk)"
        return {"Delete": delete}  # type: ignore[typeddict-item]

    # --- locks ----------------------------------------------------------------------------------

    def lock_put(
        self, kind: str, key: str, holder: str, now: datetime, until: datetime
    ) -> TransactWriteItemTypeDef:
        """A put that takes the lock `kind`/`key` for `holder` until `until`, unless another holds it.

        A lock whose holder died is free again after `until` (the table's TTL removes it lazily).
        """
        return {
            "Put": {
                "TableName": self._table,
                "Item": _item(
                    {"pk": kind, "sk": key, "holder": holder, "expires_at": int(until.timestamp())}
                ),
                "ConditionExpression": "attribute_not_exists(pk) OR expires_at <= :now",
                "ExpressionAttributeValues": _item({":now": int(now.timestamp())}),
            }
        }

    def lock_free(self, kind: str, key: str, now: datetime) -> TransactWriteItemTypeDef:
        """A write, in a transaction, that fails while somebody holds the lock `kind`/`key`.

        A delete (of a lock that expired, or of nothing) rather than a ConditionCheck: IAM authorizes a
        ConditionCheck as `dynamodb:ConditionCheckItem`, which the service roles need not have.
        """
        return {
            "Delete": {
                "TableName": self._table,
                "Key": _item({"pk": kind, "sk": key}),
                "ConditionExpression": "attribute_not_exists(pk) OR expires_at <= :now",
                "ExpressionAttributeValues": _item({":now": int(now.timestamp())}),
            }
        }

    def release(self, kind: str, key: str, holder: str) -> None:
        """Give the lock `kind`/`key` back, if `holder` still holds it."""
        try:
            self._db.delete_item(
                TableName=self._table,
                Key=_item({"pk": kind, "sk": key}),
                ConditionExpression="holder = :holder",
                ExpressionAttributeValues=_item({":holder": holder}),
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise

    # --- links ----------------------------------------------------------------------------------

    def get_link(self, link_id: str) -> LinkRecord | None:
        """A link by id, whatever its state."""
        item = self._db.get_item(
            TableName=self._table, Key=_item({"pk": "link", "sk": link_id}), ConsistentRead=True
        ).get("Item")
        return _link_from(item) if item else None

    def claim_update(self, link_id: str, kind: str, now: datetime) -> TransactWriteItemTypeDef:
        """An update that marks an unclaimed, unexpired link claimed and drops its sealed secret.

        In a transaction with the writes that follow from the claim, so that a claim that fails leaves
        the link as it was (the newcomer simply tries again) and one that succeeds is complete. Of any
        number of concurrent claims exactly one transaction succeeds; the others get `Conflict`.
        """
        update = {
            "TableName": self._table,
            "Key": _item({"pk": "link", "sk": link_id}),
            "UpdateExpression": "SET claimed_at = :at REMOVE sealed",
            "ConditionExpression": (
                "kind = :kind AND attribute_not_exists(claimed_at) AND attribute_exists(sealed) "
                "AND expires_at > :now"
            ),
            "ExpressionAttributeValues": _item(
                {":at": rfc3339(now), ":kind": kind, ":now": int(now.timestamp())}
            ),
        }
        return {"Update": update}  # type: ignore[typeddict-item]

    def set_pending_device(
        self,
        link_id: str,
        *,
        sealed: bytes,
        serial_number: str,
        previous_serial: str | None,
        now: datetime,
        max_attempts: int,
    ) -> None:
        """Put a new pending device on a live enrollment link, unless the link moved on meanwhile.

        `Conflict` when the link is spent, expired or out of tries, or another start replaced
        `previous_serial` first (so two racing starts cannot both think their device is the pending one).
        """
        condition = (
            "kind = :kind AND attribute_not_exists(claimed_at) AND expires_at > :now AND attempts < :max AND "
            + ("serial_number = :prev" if previous_serial else "attribute_not_exists(serial_number)")
        )
        values = {
            ":sealed": sealed,
            ":serial": serial_number,
            ":kind": "enrollment",
            ":now": int(now.timestamp()),
            ":max": max_attempts,
            ":prev": previous_serial,
        }
        try:
            self._db.update_item(
                TableName=self._table,
                Key=_item({"pk": "link", "sk": link_id}),
                UpdateExpression="SET sealed = :sealed, serial_number = :serial",
                ConditionExpression=condition,
                ExpressionAttributeValues=_item(values),
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise Conflict(link_id) from error
            raise

    def count_failed_attempt(self, link_id: str, now: datetime, max_attempts: int) -> int:
        """Add one failed try to a live link, atomically, and return the new count.

        `Conflict` when the link is gone, spent, expired or already out of tries: of two racing
        failures at the last try, exactly one reaches `max_attempts`.
        """
        try:
            new = self._db.update_item(
                TableName=self._table,
                Key=_item({"pk": "link", "sk": link_id}),
                UpdateExpression="SET attempts = attempts + :one",
                ConditionExpression=(
                    "attribute_not_exists(claimed_at) AND expires_at > :now AND attempts < :max"
                ),
                ExpressionAttributeValues=_item(
                    {":one": 1, ":now": int(now.timestamp()), ":max": max_attempts}
                ),
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise Conflict(link_id) from error
            raise
        return int(_plain(new["Attributes"])["attempts"])

    # --- trail ----------------------------------------------------------------------------------

    def record(self, entry: TrailEntry) -> None:
        """Write one audit-trail record on its own."""
        self.transact([self.trail_put(entry)])

    def trail(self) -> list[TrailEntry]:
        """The whole audit trail, oldest first."""
        pages = self._db.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "trail"}},
        )
        entries = []
        for page in pages:
            for item in page.get("Items", []):
                v = _plain(item)
                at = datetime.strptime(v["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
                entries.append(
                    TrailEntry(v["actor"], v["action"], v["target"], v["channel"], v["outcome"], at)
                )
        return entries

    # --- links, all of them (the audit) ----------------------------------------------------------

    def list_links(self) -> list[LinkRecord]:
        """Every stored link, expired or not (the table's TTL deletes them lazily)."""
        pages = self._db.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "link"}},
        )
        return [_link_from(item) for page in pages for item in page.get("Items", [])]

    # --- audit reports ----------------------------------------------------------------------------

    def report_put(
        self, generated_at: datetime, body: bytes, expires_at: datetime
    ) -> TransactWriteItemTypeDef:
        """A put of an audit report (`report` / RFC 3339 time); `body` is opaque to the store."""
        values = {
            "pk": "report",
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
            ExpressionAttributeValues={":pk": {"S": "report"}},
            ScanIndexForward=False,
            Limit=1,
        ).get("Items", [])
        return bytes(_plain(items[0])["body"]) if items else None

    # --- requests handled once ------------------------------------------------------------------

    def first_time(self, kind: str, key: str, expires_at: datetime) -> bool:
        """Record `key` of `kind` as seen; False when it was seen already (a retry or a replay).

        A conditional put decides, so of any number of concurrent deliveries exactly one is first.
        `expires_at` lets the table's TTL forget the key.
        """
        try:
            self._db.put_item(
                TableName=self._table,
                Item=_item({"pk": kind, "sk": key, "expires_at": int(expires_at.timestamp())}),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True


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
