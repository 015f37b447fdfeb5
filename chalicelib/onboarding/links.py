"""The one-time links a newcomer holds: how they are issued, killed, and what an enrollment left pending.

A credential link carries the first password sealed under its token; an enrollment link carries, once
started, the pending virtual device (`LinkRecord.pending_serial`) and its seed, sealed the same way.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib.aws_errors import error_code, retry_eventual
from chalicelib.config import Settings
from chalicelib.models import Link
from chalicelib.models.records import LinkKind, LinkRecord, UserRecord
from chalicelib.onboarding import sealing
from chalicelib.state import StateStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef
    from mypy_boto3_iam import IAMClient

log = logging.getLogger(__name__)

# The page of each kind of link; the token goes in the fragment, which browsers never send.
_PAGE = {LinkKind.CREDENTIALS: "onboard", LinkKind.ENROLLMENT: "enroll"}


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
    kind: LinkKind, user_name: str, settings: Settings, now: datetime, *, secret: str | None = None
) -> Issued:
    """A new link of `kind` for `user_name`, with `secret` sealed under its token; the caller stores it."""
    token = sealing.new_token()
    ttl = settings.credential_link_ttl if kind == LinkKind.CREDENTIALS else settings.enrollment_link_ttl
    expires = now + ttl
    record = LinkRecord(
        link_id=sealing.token_id(token),
        kind=kind,
        user_name=user_name,
        expires_at=int(expires.timestamp()),
        sealed=sealing.seal(token, secret) if secret is not None else None,
    )
    return Issued(token, record, expires)


def older_links_killed(store: StateStore, record: UserRecord | None) -> list[TransactWriteItemTypeDef]:
    """The deletes that kill every link `record` names, credential and enrollment.

    Reissue, MFA reset, a new enrollment link and offboarding each commit these with their own writes (and
    remove the ids from the record), so that a leaked older link stops working the moment the admin acts.
    """
    if record is None:
        return []
    return [store.link_delete(i) for i in (record.bundle_id, record.enrollment_id) if i]


def enrollment_of(store: StateStore, record: UserRecord | None) -> LinkRecord | None:
    """The user's live enrollment link, if the record names one."""
    return store.get_link(record.enrollment_id) if record and record.enrollment_id else None


def pending_serial(link: LinkRecord | None) -> str | None:
    """The serial of the device an enrollment link is waiting to enable, if enrollment was started."""
    return link.pending_serial if link else None


def unassigned_devices_of(iam: IAMClient, user_name: str) -> list[str]:
    """Unassigned virtual devices named the way enrollment names `user_name`'s devices.

    A reset or an offboarding that stopped between deactivating a device and deleting it leaves one such
    device, which no longer shows among the user's devices: this is how running it again finds it.
    """
    ours = re.compile(rf"mfa/{re.escape(user_name)}-[0-9a-f]{{8}}")
    pages = iam.get_paginator("list_virtual_mfa_devices").paginate(AssignmentStatus="Unassigned")
    serials = [str(d["SerialNumber"]) for page in pages for d in page["VirtualMFADevices"]]
    return [s for s in serials if ours.fullmatch(s.split(":", 5)[-1])]


def delete_pending_device(iam: IAMClient, serial: str | None) -> None:
    """Delete the unassigned device a dead enrollment was waiting to enable, so that none is left orphaned.

    Best effort: a device left behind is reported by the daily audit, and the caller's answer must not
    depend on it. A device enabled meanwhile is not deleted (IAM refuses while it is assigned).
    """
    if serial:
        try:
            retry_eventual(iam.delete_virtual_mfa_device, SerialNumber=serial)
        except ClientError as error:
            if error_code(error) != "NoSuchEntity":
                log.warning("could not delete pending MFA device %s (%s)", serial, error_code(error))
        except Exception as error:
            log.warning("could not delete pending MFA device %s (%s)", serial, type(error).__name__)
