"""Claiming a credential link: the first password shown once, and an enrollment link when MFA is missing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalicelib import account
from chalicelib.config import Settings
from chalicelib.errors import LinkExpired
from chalicelib.models import ClaimedCredentials, EnrollmentGrant, OnboardingState
from chalicelib.models.records import LinkKind
from chalicelib.onboarding import links, sealing
from chalicelib.state import Conflict, StateStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef
    from mypy_boto3_iam import IAMClient


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
        replaced = links.enrollment_of(store, record)
        enrollment = links.issue(LinkKind.ENROLLMENT, record.user_name, settings, now)
        writes.append(store.link_put(enrollment.record))
        if record.enrollment_id:
            writes.append(store.link_delete(record.enrollment_id))
        grant = EnrollmentGrant(token=enrollment.token, expires_at=enrollment.expires_at)
        writes.append(
            store.user_update(
                record.user_name, state=OnboardingState.CREDENTIALS_VIEWED, enrollment_id=enrollment.link_id
            )
        )
    else:
        writes.append(store.user_update(record.user_name, state=OnboardingState.CREDENTIALS_VIEWED))
    try:
        store.transact(writes)
    except Conflict as error:  # another claim won, or an admin killed the link meanwhile
        raise LinkExpired() from error
    # Only now is the older enrollment dead for sure: its pending device may go.
    links.delete_pending_device(iam, links.pending_serial(replaced))
    return ClaimedCredentials(
        user_name=record.user_name,
        password=password,
        console_url=console_url,
        account_id=account_id,
        enrollment=grant,
    )
