"""The one-time links a newcomer holds, and the rule that a user has at most one live link of each kind.

A link is live only while the user's record points at it (`bundle_id`, `enrollment_id`), for the same
incarnation of the user (the IAM user id), unexpired and unspent. So an admin kills a link by moving the
pointer, in a write conditional on the record as read, and an offboarding kills every link for good: the
record goes, and a user re-created under the same name gets a new record whose pointers name only new
links. The link items themselves are deleted with the pointer (their sealed secrets with them).

A credential link carries the first password sealed under its token; an enrollment link carries, once
started, the pending virtual device (`LinkRecord.pending_serial`, see `devices.py`) and its seed, sealed
the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.config import Settings
from chalicelib.models import Link, OnboardingState
from chalicelib.models.records import LinkKind, LinkRecord, UserRecord, rfc3339
from chalicelib.onboarding import devices, sealing
from chalicelib.state import StateStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef
    from mypy_boto3_iam import IAMClient

# The page of each kind of link; the token goes in the fragment, which browsers never send.
_PAGE = {LinkKind.CREDENTIALS: "onboard", LinkKind.ENROLLMENT: "enroll"}
# The record attribute that points at the user's live link of each kind.
POINTER = {LinkKind.CREDENTIALS: "bundle_id", LinkKind.ENROLLMENT: "enrollment_id"}
# Wrong pairs of codes an enrollment link survives; the last one spends it.
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Issued:
    """A fresh link: the token (shown once), its stored record, and when it expires."""

    token: str
    record: LinkRecord
    expires_at: datetime

    @property
    def link_id(self) -> str:
        """The link's storage key (a hash of the token)."""
        return self.record.link_id

    def link(self, settings: Settings) -> Link:
        """The URL the newcomer opens, with its expiry."""
        return Link(
            url=f"{settings.public_base_url}/{_PAGE[self.record.kind]}#{self.token}",
            expires_at=self.expires_at,
        )


def issue(
    kind: LinkKind,
    user_name: str,
    settings: Settings,
    now: datetime,
    *,
    user_id: str | None,
    secret: str | None = None,
) -> Issued:
    """A new link of `kind` for this incarnation of `user_name`, with `secret` sealed under its token; the
    caller stores it and points the user's record at it."""
    token = sealing.new_token()
    ttl = settings.credential_link_ttl if kind == LinkKind.CREDENTIALS else settings.enrollment_link_ttl
    expires = now + ttl
    record = LinkRecord(
        link_id=sealing.token_id(token),
        kind=kind,
        user_name=user_name,
        expires_at=int(expires.timestamp()),
        sealed=sealing.seal(token, secret) if secret is not None else None,
        user_id=user_id,
    )
    return Issued(token, record, expires)


@dataclass(frozen=True)
class Replacement:
    """A new link that replaces every live link of a user: the link, the writes that make it so (commit
    them in one transaction, conditional on the record as read), and what to clean up once they are in."""

    issued: Issued
    writes: list[TransactWriteItemTypeDef]
    replaced_device: str | None

    def after_commit(self, iam: IAMClient) -> None:
        """Only now is the older enrollment dead for sure: delete the device it was waiting to enable."""
        devices.delete_device(iam, self.replaced_device)


def replace(
    store: StateStore,
    record: UserRecord | None,
    user: dict[str, Any],
    kind: LinkKind,
    *,
    settings: Settings,
    now: datetime,
    state: OnboardingState | None,
    enrollment: LinkRecord | None,
    secret: str | None = None,
) -> Replacement:
    """A new link of `kind` for the IAM `user` that kills both of their older links (an admin's act).

    The record points at the new link and at nothing of the other kind; a managed user without a record
    (made by hand under the path, or from before this service kept records) gets one, in `state` or
    invited. `enrollment` is the older enrollment link as the caller read it (`enrollment_of`).
    """
    user_id = record.user_id if record else user.get("UserId")
    new = issue(kind, user["UserName"], settings, now, user_id=user_id, secret=secret)
    pointers: dict[str, str | None] = {"bundle_id": None, "enrollment_id": None, POINTER[kind]: new.link_id}
    if record is None:
        pointed = store.new_user_put(
            UserRecord(
                user["UserName"],
                user["Arn"],
                rfc3339(user["CreateDate"]),
                state or OnboardingState.INVITED,
                bundle_id=pointers["bundle_id"],
                enrollment_id=pointers["enrollment_id"],
                user_id=user.get("UserId"),
            )
        )
    else:
        changes: dict[str, str | None] = {**({"state": state} if state else {}), **pointers}
        pointed = store.user_update(record, pointing_at=None, **changes)
    writes = [store.link_put(new.record), *older_links_killed(store, record), pointed]
    return Replacement(new, writes, pending_serial(enrollment))


def usable(link: LinkRecord, now: datetime) -> bool:
    """Whether the link itself can still be used: unexpired, unclaimed, with tries left."""
    return (
        link.claimed_at is None
        and link.expires_at > now.timestamp()
        and (link.kind != LinkKind.ENROLLMENT or link.attempts < MAX_ATTEMPTS)
    )


def is_live(link: LinkRecord, record: UserRecord | None, now: datetime) -> bool:
    """Whether `link` works: usable, and the live link of its kind of the user it was issued to."""
    return (
        record is not None
        and getattr(record, POINTER[link.kind]) == link.link_id
        and (link.user_id is None or record.user_id is None or link.user_id == record.user_id)
        and usable(link, now)
    )


def older_links_killed(store: StateStore, record: UserRecord | None) -> list[TransactWriteItemTypeDef]:
    """The deletes of every link `record` points at, credential and enrollment.

    `replace` and offboarding commit these with the write that moves or removes the pointers,
    conditional on the record they read.
    """
    if record is None:
        return []
    return [store.link_delete(i) for i in (record.bundle_id, record.enrollment_id) if i]


def enrollment_of(store: StateStore, record: UserRecord | None) -> LinkRecord | None:
    """The link the record names as the user's enrollment, if any."""
    return store.get_link(record.enrollment_id) if record and record.enrollment_id else None


def pending_serial(link: LinkRecord | None) -> str | None:
    """The serial of the device an enrollment link is waiting to enable, if enrollment was started."""
    return link.pending_serial if link else None
