"""A newcomer's virtual MFA enrollment: start (a pending device and its QR code), then verify two codes.

The pending device's seed is stored only sealed under a key the enrollment token derives, so a copy of
the table yields no seed; it is destroyed when the enrollment succeeds, is spent or is found expired.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from chalicelib import account
from chalicelib.aws_errors import error_code, retry_eventual, step_error
from chalicelib.errors import (
    EnrollmentConflict,
    EnrollmentNotStarted,
    InvalidMfaCodes,
    InvalidRequest,
    LinkExpired,
    MfaAlreadyEnabled,
    MfaDeviceLimit,
    ProductError,
)
from chalicelib.models import OnboardingState
from chalicelib.models.mfa import MfaStart, MfaVerified
from chalicelib.models.records import LinkKind, LinkRecord, TrailEntry
from chalicelib.onboarding import sealing, totp
from chalicelib.onboarding.links import delete_pending_device, pending_serial
from chalicelib.service import Service
from chalicelib.state import Conflict

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def mfa_step_error(action: str, step: str, error: ClientError, after: str) -> ProductError:
    """The product error for an IAM error of an MFA step; `after` says what the person should do."""
    if error_code(error) == "LimitExceeded":
        return MfaDeviceLimit(
            "IAM allows no more MFA devices here (at most 8 per user, and an account quota); "
            "ask your admin to remove one that is not used."
        )
    return step_error(action, step, error, outcome=after)


class Enrollment(Service):
    """The newcomer's half of a virtual MFA device's life, driven by their enrollment token."""

    def start(self, token: str) -> MfaStart:
        """Create the pending virtual device (replacing an earlier one) and say how to add it to an app."""
        link = self._live_link(token)
        previous = pending_serial(link)
        with ThreadPoolExecutor(max_workers=3) as pool:
            f_record = pool.submit(self._store.get_user, link.user_name)
            f_alias = pool.submit(account.account_alias, self._iam)
            # A restart replaces the pending device: deleting it first leaves no orphan behind.
            f_old = pool.submit(self._delete_device, previous) if previous else None
        record = f_record.result()
        if f_old is not None:
            f_old.result()
        if record is None:  # offboarded since the link was issued
            raise LinkExpired()

        action = "Starting MFA enrollment"
        # Device names are free since Nov 2022; a random suffix keeps a retry from meeting the
        # previous device's name (EntityAlreadyExists) and the force-MFA policy allows `mfa/*`.
        name = f"{record.user_name}-{secrets.token_hex(4)}"
        try:
            device = retry_eventual(self._iam.create_virtual_mfa_device, VirtualMFADeviceName=name, Path="/")
        except ClientError as error:
            if error_code(error) == "EntityAlreadyExists":
                raise EnrollmentConflict("A device of that name exists already; start again.") from error
            raise mfa_step_error(
                action, "CreateVirtualMFADevice", error, "Nothing changed; start again."
            ) from error
        serial = device["VirtualMFADevice"]["SerialNumber"]
        try:
            secret = totp.seed_text(device["VirtualMFADevice"]["Base32StringSeed"])
        except ValueError:
            delete_pending_device(self._iam, serial)
            raise

        try:
            self._store.set_pending_device(
                link.link_id,
                sealed=sealing.seal(token, secret),
                serial_number=serial,
                previous_serial=previous,
                now=self._clock(),
                max_attempts=MAX_ATTEMPTS,
            )
        except Conflict as error:
            delete_pending_device(self._iam, serial)
            now_link = self._store.get_link(link.link_id)
            if now_link is not None and self._usable(now_link):
                raise EnrollmentConflict(
                    "Enrollment was started again in another window: use the QR code shown there, "
                    "or start again here."
                ) from error
            raise LinkExpired() from error
        except ClientError as error:
            delete_pending_device(self._iam, serial)
            raise mfa_step_error(action, "StateWrite", error, "Nothing changed; start again.") from error

        holder = f"{record.user_name}@{f_alias.result() or account.account_id_from_arn(record.arn)}"
        uri = totp.provisioning_uri(secret, holder)
        return MfaStart(serial_number=serial, secret=secret, otpauth_uri=uri, qr_svg=totp.qr_svg(uri))

    def verify(self, token: str, code1: str, code2: str) -> MfaVerified:
        """Check two consecutive codes against the pending seed, then enable the device in IAM."""
        if not (totp.CODE.fullmatch(code1) and totp.CODE.fullmatch(code2)):
            # Not a try: a typo in the form must not cost one of the five.
            raise InvalidRequest("code1 and code2 must each be the 6 digits your authenticator app shows.")
        link = self._live_link(token)
        serial = pending_serial(link)
        secret = sealing.unseal(token, link.sealed) if link.sealed else None
        if serial is None or secret is None:
            raise EnrollmentNotStarted(
                "Start enrollment first: add the device with its QR code, then enter two codes."
            )
        # IAM checks the codes too, but the emulator accepts any: ours is the check a test can trust.
        if not totp.codes_match(secret, code1, code2, self._clock()):
            raise self._failed_try(link)
        self._enable(link, serial, code1, code2)
        try:
            self._spend(link)
        except Conflict as error:
            # The link died while the codes were checked (an admin reissued, reset, sent a new link or
            # offboarded): the device it enabled must not outlive it.
            self._disable_quietly(link.user_name, serial)
            raise LinkExpired() from error
        except ClientError as error:
            raise self._undo_enable(link, serial, error) from error
        return MfaVerified(mfa_enabled=True, serial_number=serial)

    def _enable(self, link: LinkRecord, serial: str, code1: str, code2: str) -> None:
        try:
            retry_eventual(
                self._iam.enable_mfa_device,
                UserName=link.user_name,
                SerialNumber=serial,
                AuthenticationCode1=code1,
                AuthenticationCode2=code2,
            )
        except ClientError as error:
            code = error_code(error)
            if code == "InvalidAuthenticationCode":
                raise self._failed_try(link) from error
            if code == "EntityAlreadyExists":
                raise MfaAlreadyEnabled(
                    "This device is enabled already. Sign out, then sign in with your password and a code."
                ) from error
            if code == "NoSuchEntity":
                raise EnrollmentConflict(
                    "The device was replaced by a newer start of enrollment; use the newest QR code."
                ) from error
            raise mfa_step_error(
                "Enabling the MFA device",
                "EnableMFADevice",
                error,
                "Nothing changed; try the next two codes.",
            ) from error

    def _undo_enable(self, link: LinkRecord, serial: str, error: ClientError) -> ProductError:
        """The state write after an enable failed: undo the enable, so that the next two codes simply work.

        The link must keep naming a device it can enable; if the undo fails too, the device stays enabled.
        """
        try:
            retry_eventual(self._iam.deactivate_mfa_device, UserName=link.user_name, SerialNumber=serial)
        except ClientError:
            after = "Your device may be enabled already: sign in with your password and a code."
        else:
            after = "Nothing changed; try the next two codes."
        return mfa_step_error("Enabling the MFA device", "StateWrite", error, after)

    def _spend(self, link: LinkRecord) -> None:
        self._store.transact(
            [
                # Deleting the link spends it and destroys the sealed seed in one write; only a live
                # link can be spent, so one that an admin killed meanwhile fails the whole write.
                self._store.link_delete(link.link_id, if_live=True),
                self._store.user_update(
                    link.user_name, state=OnboardingState.MFA_ENROLLED, enrollment_id=None
                ),
                # The newcomer acts on their own link: they are the actor, the channel is the page.
                self._store.trail_put(
                    TrailEntry(
                        link.user_name, "enroll_mfa", link.user_name, "onboarding", "ok", self._clock()
                    )
                ),
            ]
        )

    def _usable(self, link: LinkRecord) -> bool:
        return (
            link.kind == LinkKind.ENROLLMENT
            and link.claimed_at is None
            and link.attempts < MAX_ATTEMPTS
            and not self._expired(link)
        )

    def _expired(self, link: LinkRecord) -> bool:
        return link.expires_at <= self._clock().timestamp()

    def _live_link(self, token: str) -> LinkRecord:
        """The enrollment link of `token` if it can still be used; the same 410 for every other case."""
        link = self._store.get_link(sealing.token_id(token))
        if link is None or not self._usable(link):
            if link is not None and link.kind == LinkKind.ENROLLMENT and self._expired(link):
                # TTL deletion is lazy (and the emulator never expires items): destroy the seed and
                # the pending device now that the link is known to be dead.
                with contextlib.suppress(Exception):
                    self._discard(link)
            raise LinkExpired()
        return link

    def _failed_try(self, link: LinkRecord) -> ProductError:
        """Count a wrong pair of codes and return the error to answer; the last try spends the enrollment."""
        try:
            attempts = self._store.count_failed_attempt(link.link_id, self._clock(), MAX_ATTEMPTS)
        except Conflict:
            return LinkExpired()
        if attempts >= MAX_ATTEMPTS:
            self._discard(link)
            return LinkExpired(
                "Too many wrong codes: this enrollment is spent. Ask your admin for a new enrollment link."
            )
        left = MAX_ATTEMPTS - attempts
        return InvalidMfaCodes(
            "Those codes do not match the device. Enter the code your app shows, wait until it changes, "
            f"then enter the new one; check that your phone sets its clock automatically. {left} "
            f"{'try' if left == 1 else 'tries'} left."
        )

    def _discard(self, link: LinkRecord) -> None:
        """Destroy a dead enrollment: the link (with its sealed seed) first, then its pending device."""
        self._store.transact([self._store.link_delete(link.link_id)])
        delete_pending_device(self._iam, pending_serial(link))

    def _delete_device(self, serial: str) -> None:
        try:
            retry_eventual(self._iam.delete_virtual_mfa_device, SerialNumber=serial)
        except ClientError as error:
            if error_code(error) != "NoSuchEntity":
                raise mfa_step_error(
                    "Replacing the pending MFA device", "DeleteVirtualMFADevice", error, "Try again."
                ) from error

    def _disable_quietly(self, user_name: str, serial: str) -> None:
        """Deactivate and delete a device enabled for a link that is dead (best effort, logged)."""
        try:
            retry_eventual(self._iam.deactivate_mfa_device, UserName=user_name, SerialNumber=serial)
        except ClientError as error:
            if error_code(error) != "NoSuchEntity":
                log.error("could not deactivate MFA device %s of a dead enrollment", serial)
                return
        delete_pending_device(self._iam, serial)
