"""Claiming a credential link: the first password shown once, and an enrollment link when MFA is missing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib import account
from chalicelib.errors import LinkAlreadyOpened, LinkExpired
from chalicelib.models import ClaimedCredentials, EnrollmentGrant, OnboardingState
from chalicelib.models.records import LinkKind, LinkRecord, TrailEntry, newcomer
from chalicelib.onboarding import devices, links, sealing
from chalicelib.service import Service
from chalicelib.state import Conflict

# How often a claim looks again after its write lost a race that left the link alive.
ATTEMPTS = 3

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


class Claim(Service):
    """The newcomer opens their credential link."""

    def claim(self, token: str, source_ip: str | None = None) -> ClaimedCredentials:
        """Open a credential bundle exactly once, and hand over an enrollment token when MFA is missing.

        Everything the answer needs is read first; the link is claimed last, in the one transaction that
        also writes the new enrollment and the state. So a claim that fails on the way (a throttled IAM
        call, a failed write) changes nothing and the same token works again, and only the claim whose
        transaction wins shows the password. An expired, unknown or replaced token gets the same
        `LinkExpired`; only the holder of a claimed, unexpired link hears that they opened it already.
        The claim is trailed with `source_ip`, where API Gateway saw it come from.
        """
        for _ in range(ATTEMPTS):
            claimed = self._try(token, self._clock(), source_ip)
            if claimed is not None:
                return claimed
        raise LinkExpired()

    def _try(self, token: str, now: datetime, source_ip: str | None) -> ClaimedCredentials | None:
        """One look and one claim; None when the claim's write lost a race (the next look says which)."""
        iam, store = self._iam, self._store
        link = store.get_link(sealing.token_id(token))
        if link is not None and _opened(link, now):
            raise LinkAlreadyOpened(_OPENED)
        if (
            link is None
            or link.kind != LinkKind.CREDENTIALS
            or link.sealed is None
            or not links.usable(link, now)
        ):
            raise LinkExpired()
        password = sealing.unseal(token, link.sealed)
        if password is None:
            raise LinkExpired()

        with ThreadPoolExecutor(max_workers=3) as pool:
            f_record = pool.submit(store.get_user, link.user_name)
            f_mfa = pool.submit(devices.mfa_devices_of, iam, link.user_name)
            f_alias = pool.submit(account.account_alias, iam)
        record = f_record.result()
        # Killed by an admin (reissue, MFA link, reset), offboarded, or issued to an earlier user of the name.
        if record is None or not links.is_live(link, record, now):
            raise LinkExpired()
        facts = account.facts(
            account.account_id_from_arn(record.arn), f_alias.result(), self._settings.region
        )

        grant = None
        replaced = None
        writes: list[TransactWriteItemTypeDef] = [store.claim_update(link.link_id, LinkKind.CREDENTIALS, now)]
        changes: dict[str, str | None] = {"state": OnboardingState.CREDENTIALS_VIEWED}
        if not f_mfa.result():
            replaced = links.enrollment_of(store, record)
            enrollment = links.issue(
                LinkKind.ENROLLMENT, record.user_name, self._settings, now, user_id=record.user_id
            )
            writes.append(store.link_put(enrollment.record))
            if record.enrollment_id:
                writes.append(store.link_delete(record.enrollment_id))
            grant = EnrollmentGrant(token=enrollment.token, expires_at=enrollment.expires_at)
            changes["enrollment_id"] = enrollment.link_id
        # Conditional on the record still pointing at this link: an admin who killed it meanwhile wins.
        writes.append(store.user_update(record, pointing_at={"bundle_id": link.link_id}, **changes))
        # Trailed with where it came from: a leaked link's claim can be timed and told apart.
        actor = newcomer(record.user_name, source_ip)
        writes.append(
            store.trail_put(TrailEntry(actor, "claim_credentials", record.user_name, "onboarding", "ok", now))
        )
        try:
            store.transact(writes)
        except Conflict:
            return None  # another claim won, or an admin killed the link
        # Only now is the older enrollment dead for sure: its pending device may go.
        devices.delete_device(iam, links.pending_serial(replaced))
        return ClaimedCredentials(
            **facts.model_dump(), user_name=record.user_name, password=password, enrollment=grant
        )


_OPENED = (
    "You opened this link already, so it cannot show your first password again. To set up MFA, ask your "
    "admin for an MFA link; if you did not save the password, ask for a new credential link."
)


def _opened(link: LinkRecord, now: datetime) -> bool:
    """A credential link its holder claimed already, and which has not expired (then it is only expired)."""
    return (
        link.kind == LinkKind.CREDENTIALS
        and link.claimed_at is not None
        and link.expires_at > now.timestamp()
    )
