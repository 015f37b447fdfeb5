"""One-time links a newcomer holds: the credential bundle (claimed once) and the MFA enrollment."""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib import account
from chalicelib.aws_errors import error_code, retry_eventual
from chalicelib.config import Settings
from chalicelib.errors import LinkExpired
from chalicelib.models import ClaimedCredentials, EnrollmentGrant, OnboardingState
from chalicelib.models.records import LinkKind, LinkRecord, UserRecord
from chalicelib.onboarding import sealing
from chalicelib.state import Conflict, StateStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef
    from mypy_boto3_iam import IAMClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewEnrollment:
    """A fresh enrollment token, and the store writes that make it live (and kill the previous one)."""

    token: str
    expires_at: datetime
    writes: list[TransactWriteItemTypeDef]


def new_enrollment(
    store: StateStore, settings: Settings, user_name: str, previous_id: str | None, now: datetime
) -> NewEnrollment:
    """Prepare an enrollment link for `user_name`; the caller commits `writes` in its transaction."""
    token = sealing.new_token()
    expires = now + settings.enrollment_link_ttl
    link = LinkRecord(
        link_id=sealing.token_id(token),
        kind=LinkKind.ENROLLMENT,
        user_name=user_name,
        expires_at=int(expires.timestamp()),
    )
    writes = [store.link_put(link)]
    if previous_id:
        writes.append(store.link_delete(previous_id))
    return NewEnrollment(token, expires, writes)


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


def older_links_killed(store: StateStore, record: UserRecord | None) -> list[TransactWriteItemTypeDef]:
    """The deletes that kill every link `record` names, credential and enrollment.

    Reissue, MFA reset, a new enrollment link and offboarding each commit these with their own writes (and
    remove the ids from the record), so that a leaked older link stops working the moment the admin acts.
    """
    if record is None:
        return []
    return [store.link_delete(i) for i in (record.bundle_id, record.enrollment_id) if i]


def claim_bundle(
    token: str, *, iam: IAMClient, store: StateStore, settings: Settings, now: datetime | None = None
) -> ClaimedCredentials:
    """Open a credential bundle exactly once, and hand over an enrollment token when MFA is missing.

    Everything the answer needs is read first; the link is claimed last, in the one transaction that
    also writes the new enrollment and the state. So a claim that fails on the way (a throttled IAM call,
    a failed write) changes nothing and the same token works again, and only the claim whose transaction
    wins shows the password. A used, expired or unknown token gets the same `LinkExpired`.
    """
    now = now or datetime.now(UTC)
    link = store.get_link(sealing.token_id(token))
    if (
        link is None
        or link.kind != LinkKind.CREDENTIALS
        or link.claimed_at is not None
        or link.expires_at <= now.timestamp()
        or link.sealed is None
    ):
        raise LinkExpired()
    password = sealing.unseal(token, link.sealed)
    if password is None:
        raise LinkExpired()

    with ThreadPoolExecutor(max_workers=3) as pool:
        f_record = pool.submit(store.get_user, link.user_name)
        f_mfa = pool.submit(iam.list_mfa_devices, UserName=link.user_name)
        f_alias = pool.submit(account.account_alias, iam)
    record = f_record.result()
    if record is None:  # offboarded between issue and claim
        raise LinkExpired()
    account_id = account.account_id_from_arn(record.arn)
    console_url = account.console_url(account_id, f_alias.result())

    grant = None
    replaced = None
    writes: list[TransactWriteItemTypeDef] = [store.claim_update(link.link_id, LinkKind.CREDENTIALS, now)]
    if not f_mfa.result()["MFADevices"]:
        replaced = store.get_link(record.enrollment_id) if record.enrollment_id else None
        enrollment = new_enrollment(store, settings, record.user_name, record.enrollment_id, now)
        writes += enrollment.writes
        grant = EnrollmentGrant(token=enrollment.token, expires_at=enrollment.expires_at)
        writes.append(
            store.user_update(
                record.user_name,
                state=OnboardingState.CREDENTIALS_VIEWED,
                enrollment_id=sealing.token_id(enrollment.token),
            )
        )
    else:
        writes.append(store.user_update(record.user_name, state=OnboardingState.CREDENTIALS_VIEWED))
    try:
        store.transact(writes)
    except Conflict as error:  # another claim won, or an admin killed the link meanwhile
        raise LinkExpired() from error
    # Only now is the older enrollment dead for sure: its pending device may go.
    delete_pending_device(iam, pending_serial(replaced))
    return ClaimedCredentials(
        user_name=record.user_name,
        password=password,
        console_url=console_url,
        account_id=account_id,
        enrollment=grant,
    )
