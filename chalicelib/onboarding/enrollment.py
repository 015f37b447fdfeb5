"""A newcomer's virtual MFA enrollment: start (a pending device and its QR code), then verify two codes.

The pending device's seed is stored only sealed under a key the enrollment token derives, so a copy of
the table yields no seed; it is destroyed when the enrollment succeeds, is spent or is found expired.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from chalicelib import account
from chalicelib.aws_errors import error_code, retry_eventual
from chalicelib.errors import (
    EnrollmentConflict,
    EnrollmentNotStarted,
    InvalidMfaCodes,
    InvalidRequest,
    LinkExpired,
    MfaAlreadyEnabled,
    ProductError,
    TooManyWrongCodes,
)
from chalicelib.models import OnboardingState
from chalicelib.models.mfa import MfaStart, MfaVerified
from chalicelib.models.records import LinkKind, LinkRecord, TrailEntry, UserRecord, newcomer
from chalicelib.onboarding import devices, links, sealing, totp
from chalicelib.onboarding.links import pending_serial
from chalicelib.service import Service
from chalicelib.state import Conflict


class Enrollment(Service):
    """The newcomer's half of a virtual MFA device's life, driven by their enrollment token."""

    def start(self, token: str) -> MfaStart:
        """Create the pending virtual device (replacing an earlier one) and say how to add it to an app."""
        link = self._usable_link(token)
        previous = pending_serial(link)
        with ThreadPoolExecutor(max_workers=3) as pool:
            f_record = pool.submit(self._store.get_user, link.user_name)
            f_alias = pool.submit(account.account_alias, self._iam)
            # A restart replaces the pending device: deleting it first leaves no orphan behind.
            f_old = (
                pool.submit(devices.delete_device, self._iam, previous, best_effort=False)
                if previous
                else None
            )
        record = f_record.result()
        if record is None or not links.is_live(link, record, self._clock()):
            raise LinkExpired()  # killed by an admin, or offboarded, since the link was issued
        if f_old is not None and not f_old.result():
            # The pending device is enabled already: a verify whose answer was lost on the way did it.
            self._spend(link, record)
            raise MfaAlreadyEnabled(_ENABLED)

        serial, secret = devices.new_device(self._iam, record.user_name, record.arn)
        try:
            self._store.transact(
                [
                    self._store.pending_device_update(
                        link,
                        sealed=sealing.seal(token, secret),
                        serial_number=serial,
                        now=self._clock(),
                        max_attempts=links.MAX_ATTEMPTS,
                    ),
                    # The device now belongs to the user: an admin who read the record before must look again.
                    self._store.user_update(record, pointing_at={"enrollment_id": link.link_id}),
                ]
            )
        except Conflict as error:
            devices.delete_device(self._iam, serial)
            now_link = self._store.get_link(link.link_id)
            if now_link is not None and links.is_live(
                now_link, self._store.get_user(link.user_name), self._clock()
            ):
                raise EnrollmentConflict(
                    "Enrollment was started again in another window: use the QR code shown there, "
                    "or start again here."
                ) from error
            raise LinkExpired() from error
        except ClientError as error:
            devices.delete_device(self._iam, serial)
            raise devices.mfa_step_error(
                "Starting MFA enrollment", "StateWrite", error, "Nothing changed; start again."
            ) from error

        facts = account.facts(
            account.account_id_from_arn(record.arn), f_alias.result(), self._settings.region
        )
        uri = totp.provisioning_uri(secret, f"{record.user_name}@{facts.account_alias or facts.account_id}")
        svg, data_uri = totp.qr_codes(uri)
        return MfaStart(
            **facts.model_dump(),
            serial_number=serial,
            secret=secret,
            otpauth_uri=uri,
            qr_svg=svg,
            qr_data_uri=data_uri,
        )

    def verify(self, token: str, code1: str, code2: str, *, source_ip: str | None = None) -> MfaVerified:
        """Check two consecutive codes against the pending seed, then enable the device in IAM."""
        if not (totp.CODE.fullmatch(code1) and totp.CODE.fullmatch(code2)):
            # Not a try: a typo in the form must not cost one of the five.
            raise InvalidRequest("code1 and code2 must each be the 6 digits your authenticator app shows.")
        link = self._usable_link(token)
        record = self._store.get_user(link.user_name)
        if not links.is_live(link, record, self._clock()) or record is None:
            raise LinkExpired()
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
            self._spend(link, record, source_ip)
        except Conflict as error:
            # The link died while the codes were checked (an admin reissued, reset, sent a new link or
            # offboarded): the device it enabled must not outlive it.
            devices.disable_quietly(self._iam, link.user_name, serial)
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
                if devices.assigned_to(self._iam, link.user_name, serial):
                    return  # our own enable, retried by botocore after it had taken effect
                raise MfaAlreadyEnabled(_ENABLED) from error
            if code == "NoSuchEntity":
                raise EnrollmentConflict(
                    "The device was replaced by a newer start of enrollment; use the newest QR code."
                ) from error
            raise devices.mfa_step_error(
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
        except ClientError as undo_error:
            if error_code(undo_error) != "NoSuchEntity":
                after = "Your device may be enabled already: sign in with your password and a code."
                return devices.mfa_step_error("Enabling the MFA device", "StateWrite", error, after)
        return devices.mfa_step_error(
            "Enabling the MFA device", "StateWrite", error, "Nothing changed; try the next two codes."
        )

    def _spend(self, link: LinkRecord, record: UserRecord, source_ip: str | None = None) -> None:
        by, now = newcomer(link.user_name, source_ip), self._clock()
        self._store.transact(
            [
                # Deleting the link spends it and destroys the sealed seed in one write; only a live
                # link can be spent, so one that an admin killed meanwhile fails the whole write.
                self._store.link_delete(link.link_id, if_live=True),
                self._store.user_update(
                    record,
                    pointing_at={"enrollment_id": link.link_id},
                    state=OnboardingState.MFA_ENROLLED,
                    enrollment_id=None,
                ),
                # The newcomer acts on their own link: they are the actor (from where: a leaked link's use
                # can be told apart), the channel is the page.
                self._store.trail_put(TrailEntry(by, "enroll_mfa", link.user_name, "onboarding", "ok", now)),
            ]
        )

    def _usable_link(self, token: str) -> LinkRecord:
        """The enrollment link of `token` if it can still be used; the same 410 for every other case."""
        link = self._store.get_link(sealing.token_id(token))
        if link is None or link.kind != LinkKind.ENROLLMENT or not links.usable(link, self._clock()):
            if (
                link is not None
                and link.kind == LinkKind.ENROLLMENT
                and link.expires_at <= self._clock().timestamp()
            ):
                # TTL deletion is lazy (and the emulator never expires items): destroy the seed and
                # the pending device now that the link is known to be dead.
                with contextlib.suppress(Exception):
                    self._discard(link)
            raise LinkExpired()
        return link

    def _failed_try(self, link: LinkRecord) -> ProductError:
        """Count a wrong pair of codes and return the error to answer; the last try spends the enrollment."""
        current: LinkRecord | None = link
        for _ in range(links.MAX_ATTEMPTS):
            if current is None or not links.usable(current, self._clock()):
                return LinkExpired()
            try:
                self._store.transact(
                    [self._store.failed_attempt_update(current, self._clock(), links.MAX_ATTEMPTS)]
                )
                break
            except Conflict:  # another try counted first: count this one on top
                current = self._store.get_link(link.link_id)
        else:
            return LinkExpired()
        attempts = current.attempts + 1
        if attempts >= links.MAX_ATTEMPTS:
            self._discard(current)
            return TooManyWrongCodes(
                "Too many wrong codes: this enrollment is spent. Ask your admin for a new enrollment link."
            )
        left = links.MAX_ATTEMPTS - attempts
        return InvalidMfaCodes(
            "Those codes do not match the device. Enter the code your app shows, wait until it changes, "
            f"then enter the new one; check that your phone sets its clock automatically. {left} "
            f"{'try' if left == 1 else 'tries'} left.",
            tries_left=left,
        )

    def _discard(self, link: LinkRecord) -> None:
        """Destroy a dead enrollment: the link (with its sealed seed) first, then its pending device."""
        self._store.transact([self._store.link_delete(link.link_id)])
        devices.delete_device(self._iam, pending_serial(link))


_ENABLED = "Your MFA device is enabled already. Sign out, then sign in with your password and a code."
