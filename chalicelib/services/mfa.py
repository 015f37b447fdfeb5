"""Virtual MFA enrollment: start, verify two consecutive codes, and the admin's link and reset.

The pending device's seed is stored only sealed under a key the enrollment token derives, so a copy of
the table yields no seed; it is destroyed when the enrollment succeeds, is spent or is found expired.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, NoReturn

from botocore.exceptions import ClientError

from chalicelib import account
from chalicelib.aws_errors import EVENTUAL_CONSISTENCY_CODES, error_code, retry_eventual
from chalicelib.config import Settings
from chalicelib.errors import (
    AwsUnavailable,
    EnrollmentConflict,
    EnrollmentNotStarted,
    InvalidMfaCodes,
    InvalidRequest,
    LinkExpired,
    MfaAlreadyEnabled,
    MfaDeviceLimit,
    ProductError,
)
from chalicelib.models import Link, OnboardingState
from chalicelib.models.mfa import MfaStart, MfaVerified
from chalicelib.models.records import Actor, LinkKind, LinkRecord, TrailEntry, UserRecord, rfc3339
from chalicelib.onboarding import sealing
from chalicelib.services.bundles import (
    new_enrollment,
    older_links_killed,
    pending_serial,
    unassigned_devices_of,
)
from chalicelib.services.users import find_managed_user, step_failed
from chalicelib.state import Conflict, StateStore

if TYPE_CHECKING:
    import pyotp
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef
    from mypy_boto3_iam import IAMClient

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# How many 30-second steps a phone's clock may be off, either way, and still be accepted.
DRIFT_STEPS = 1
ISSUER = "Amazon Web Services"
_CODE = re.compile(r"[0-9]{6}")
_BASE32 = re.compile(r"[A-Z2-7]+=*")


def seed_text(raw: bytes | str) -> str:
    """The Base32 seed of CreateVirtualMFADevice as text.

    IAM returns `Base32StringSeed` as a base64 blob whose content is the Base32 *text*; botocore undoes
    the base64, leaving the ASCII bytes of the Base32 string, not the key bytes.
    """
    text = raw.decode("ascii") if isinstance(raw, bytes) else raw
    if not _BASE32.fullmatch(text):
        raise ValueError("CreateVirtualMFADevice returned a seed that is not Base32")
    return text


def _totp(secret: str) -> pyotp.TOTP:
    import pyotp  # only enrollment needs it, like segno: other cold starts do not load it

    return pyotp.TOTP(secret)


def codes_match(secret: str, code1: str, code2: str, now: datetime) -> bool:
    """Whether `code1`, `code2` are the codes of two consecutive 30-second steps, in that order,
    the second within `DRIFT_STEPS` of `now`.
    """
    totp = _totp(secret)
    current = totp.timecode(now)
    return any(
        hmac.compare_digest(totp.generate_otp(step - 1), code1)
        and hmac.compare_digest(totp.generate_otp(step), code2)
        for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1)
    )


def qr_svg(uri: str) -> str:
    """`uri` as an inline SVG QR code."""
    import segno  # only enrollment draws QR codes: keep it off every other cold start

    return str(segno.make(uri, error="m").svg_inline(scale=4))


def aws_failure(action: str, step: str, error: ClientError, after: str) -> ProductError:
    """The product error for an IAM error of an MFA step; `after` says what the person should do."""
    code = error_code(error)
    if code == "LimitExceeded":
        return MfaDeviceLimit(
            "IAM allows no more MFA devices here (at most 8 per user, and an account quota); "
            "ask your admin to remove one that is not used."
        )
    if code in EVENTUAL_CONSISTENCY_CODES:
        return AwsUnavailable(
            step, code, f"{action} failed at {step}: IAM is still applying a recent change. {after}"
        )
    return step_failed(action, step, error, outcome=after)


class MfaEnrollment:
    """A newcomer's virtual MFA enrollment, and the admin's enrollment links and MFA resets."""

    def __init__(
        self,
        iam: IAMClient,
        store: StateStore,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._iam = iam
        self._store = store
        self._settings = settings
        self._clock = clock

    # --- the newcomer ---------------------------------------------------------------------------

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
            raise aws_failure(
                action, "CreateVirtualMFADevice", error, "Nothing changed; start again."
            ) from error
        serial = device["VirtualMFADevice"]["SerialNumber"]
        try:
            secret = seed_text(device["VirtualMFADevice"]["Base32StringSeed"])
        except ValueError:
            self._delete_device_quietly(serial)
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
            self._delete_device_quietly(serial)
            now_link = self._store.get_link(link.link_id)
            if now_link is not None and self._usable(now_link):
                raise EnrollmentConflict(
                    "Enrollment was started again in another window: use the QR code shown there, "
                    "or start again here."
                ) from error
            raise LinkExpired() from error
        except ClientError as error:
            self._delete_device_quietly(serial)
            raise aws_failure(action, "StateWrite", error, "Nothing changed; start again.") from error

        holder = f"{record.user_name}@{f_alias.result() or account.account_id_from_arn(record.arn)}"
        uri = _totp(secret).provisioning_uri(name=holder, issuer_name=ISSUER)
        return MfaStart(serial_number=serial, secret=secret, otpauth_uri=uri, qr_svg=qr_svg(uri))

    def verify(self, token: str, code1: str, code2: str) -> MfaVerified:
        """Check two consecutive codes against the pending seed, then enable the device in IAM."""
        if not (_CODE.fullmatch(code1) and _CODE.fullmatch(code2)):
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
        if not codes_match(secret, code1, code2, self._clock()):
            self._count_failure(link)

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
                self._count_failure(link)
            if code == "EntityAlreadyExists":
                raise MfaAlreadyEnabled(
                    "This device is enabled already. Sign out, then sign in with your password and a code."
                ) from error
            if code == "NoSuchEntity":
                raise EnrollmentConflict(
                    "The device was replaced by a newer start of enrollment; use the newest QR code."
                ) from error
            raise aws_failure(
                "Enabling the MFA device",
                "EnableMFADevice",
                error,
                "Nothing changed; try the next two codes.",
            ) from error

        try:
            self._spend(link)
        except Conflict as error:
            # The link died while the codes were checked (an admin reissued, reset, sent a new link or
            # offboarded): the device it enabled must not outlive it.
            self._disable_quietly(link.user_name, serial)
            raise LinkExpired() from error
        except ClientError as error:
            # The link must keep naming a device it can enable: undo the enable, so that trying the
            # next two codes simply works.
            try:
                retry_eventual(self._iam.deactivate_mfa_device, UserName=link.user_name, SerialNumber=serial)
            except ClientError:
                raise aws_failure(
                    "Enabling the MFA device",
                    "StateWrite",
                    error,
                    "Your device may be enabled already: sign in with your password and a code.",
                ) from error
            raise aws_failure(
                "Enabling the MFA device", "StateWrite", error, "Nothing changed; try the next two codes."
            ) from error
        return MfaVerified(mfa_enabled=True, serial_number=serial)

    def _spend(self, link: LinkRecord) -> None:
        self._store.transact(
            [
                # Deleting the link spends it and destroys the sealed seed in one write; only a live
                # link can be spent, so one that an admin killed meanwhile fails the whole write.
                self._store.link_delete(link.link_id, if_live=True),
                self._store.user_update(
                    link.user_name, state=OnboardingState.MFA_ENROLLED, enrollment_id=None
                ),
                self._store.trail_put(
                    TrailEntry(
                        link.user_name, "enroll_mfa", link.user_name, "onboarding", "ok", self._clock()
                    )
                ),
            ]
        )

    # --- the admin ------------------------------------------------------------------------------

    def issue_enrollment(self, user_name: str, actor: Actor) -> Link:
        """A fresh enrollment link for a managed user without MFA; 409 when they have a device."""
        try:
            return self._issue_enrollment(user_name, actor)
        except Exception as error:
            self._record_failure(actor, "issue_enrollment", user_name, error)
            raise

    def reset(self, user_name: str, actor: Actor) -> tuple[list[str], Link]:
        """Remove a user's MFA devices (lost phone) and hand out a fresh enrollment link."""
        try:
            return self._reset(user_name, actor)
        except Exception as error:
            self._record_failure(actor, "reset_mfa", user_name, error)
            raise

    def _issue_enrollment(self, user_name: str, actor: Actor) -> Link:
        record, user = find_managed_user(self._iam, self._store, self._settings, user_name)
        name = user["UserName"]
        with ThreadPoolExecutor(max_workers=2) as pool:
            f_devices = pool.submit(self._iam.list_mfa_devices, UserName=name)
            f_previous = pool.submit(self._previous_link, record)
        if f_devices.result()["MFADevices"]:
            raise MfaAlreadyEnabled(
                f"{name} has an MFA device already; if it is lost, reset it (DELETE /admin/users/{name}/mfa)."
            )
        state = None if record else OnboardingState.INVITED
        link, writes = self._new_link(record, user, state, f_previous.result())
        self._store.transact([*writes, self._store.trail_put(self._trail(actor, "issue_enrollment", name))])
        return link

    def _reset(self, user_name: str, actor: Actor) -> tuple[list[str], Link]:
        record, user = find_managed_user(self._iam, self._store, self._settings, user_name)
        name = user["UserName"]
        with ThreadPoolExecutor(max_workers=3) as pool:
            f_assigned = pool.submit(self._iam.list_mfa_devices, UserName=name)
            f_unassigned = pool.submit(unassigned_devices_of, self._iam, name)
            f_previous = pool.submit(self._previous_link, record)
        assigned = [d["SerialNumber"] for d in f_assigned.result()["MFADevices"]]
        previous = f_previous.result()
        # A device this service made for the user and that nothing uses any more (a reset that stopped
        # between deactivating and deleting) goes too; the pending one is replaced with the link below.
        leftovers = [s for s in f_unassigned.result() if s != pending_serial(previous)]
        for serial in assigned:
            self._reset_step(
                name,
                f"DeactivateMFADevice({serial})",
                partial(self._iam.deactivate_mfa_device, UserName=name, SerialNumber=serial),
            )
        for serial in [s for s in assigned if ":mfa/" in s] + leftovers:
            # Virtual devices are deleted too (IAM only once deactivated); hardware ones only deactivated.
            self._reset_step(
                name,
                f"DeleteVirtualMFADevice({serial})",
                partial(self._iam.delete_virtual_mfa_device, SerialNumber=serial),
            )
        opened = record is not None and record.state != OnboardingState.INVITED
        state = OnboardingState.CREDENTIALS_VIEWED if opened else OnboardingState.INVITED
        link, writes = self._new_link(record, user, state, previous)
        try:
            self._store.transact([*writes, self._store.trail_put(self._trail(actor, "reset_mfa", name))])
        except ClientError as error:
            raise aws_failure(
                f"Resetting MFA of {name}",
                "StateWrite",
                error,
                "Run it again: it carries on where it stopped.",
            ) from error
        return assigned + leftovers, link

    def _previous_link(self, record: UserRecord | None) -> LinkRecord | None:
        return self._store.get_link(record.enrollment_id) if record and record.enrollment_id else None

    def _reset_step(self, name: str, step: str, call: Callable[[], Any]) -> None:
        try:
            retry_eventual(call)
        except ClientError as error:
            if error_code(error) == "NoSuchEntity":
                return  # already gone: a reset can be run again after a failure
            raise aws_failure(
                f"Resetting MFA of {name}", step, error, "Run it again: it carries on where it stopped."
            ) from error

    def _new_link(
        self,
        record: UserRecord | None,
        user: dict[str, Any],
        state: OnboardingState | None,
        previous: LinkRecord | None,
    ) -> tuple[Link, list[TransactWriteItemTypeDef]]:
        """A new enrollment link that kills every older link of the user and the pending device.

        The older credential link dies too: an admin acting on a user's MFA decides which link is live,
        and a leaked credential link would otherwise hand out a fresh enrollment of its own.
        """
        name = user["UserName"]
        self._delete_device_quietly(pending_serial(previous))
        enrollment = new_enrollment(self._store, self._settings, name, None, self._clock())
        link_id = sealing.token_id(enrollment.token)
        writes = [*enrollment.writes, *older_links_killed(self._store, record)]
        if record is None:
            created = rfc3339(user["CreateDate"])
            writes.append(
                self._store.new_user_put(
                    UserRecord(
                        name, user["Arn"], created, state or OnboardingState.INVITED, enrollment_id=link_id
                    )
                )
            )
        else:
            changes = {"enrollment_id": link_id, "bundle_id": None, **({"state": state} if state else {})}
            writes.append(self._store.user_update(name, **changes))
        url = f"{self._settings.public_base_url}/enroll#{enrollment.token}"
        return Link(url=url, expires_at=enrollment.expires_at), writes

    # --- helpers --------------------------------------------------------------------------------

    def _usable(self, link: LinkRecord) -> bool:
        return (
            link.kind == LinkKind.ENROLLMENT
            and link.claimed_at is None
            and link.attempts < MAX_ATTEMPTS
            and link.expires_at > self._clock().timestamp()
        )

    def _live_link(self, token: str) -> LinkRecord:
        """The enrollment link of `token` if it can still be used; the same 410 for every other case."""
        link = self._store.get_link(sealing.token_id(token))
        if link is None or not self._usable(link):
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

    def _count_failure(self, link: LinkRecord) -> NoReturn:
        """Count a wrong pair of codes; the last allowed one spends the enrollment."""
        try:
            attempts = self._store.count_failed_attempt(link.link_id, self._clock(), MAX_ATTEMPTS)
        except Conflict as error:
            raise LinkExpired() from error
        if attempts >= MAX_ATTEMPTS:
            self._discard(link)
            raise LinkExpired(
                "Too many wrong codes: this enrollment is spent. Ask your admin for a new enrollment link."
            )
        left = MAX_ATTEMPTS - attempts
        raise InvalidMfaCodes(
            "Those codes do not match the device. Enter the code your app shows, wait until it changes, "
            f"then enter the new one; check that your phone sets its clock automatically. {left} "
            f"{'try' if left == 1 else 'tries'} left."
        )

    def _discard(self, link: LinkRecord) -> None:
        """Destroy a dead enrollment: the link (with its sealed seed) first, then its pending device."""
        self._store.transact([self._store.link_delete(link.link_id)])
        self._delete_device_quietly(pending_serial(link))

    def _delete_device(self, serial: str) -> None:
        try:
            retry_eventual(self._iam.delete_virtual_mfa_device, SerialNumber=serial)
        except ClientError as error:
            if error_code(error) != "NoSuchEntity":
                raise aws_failure(
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
        self._delete_device_quietly(serial)

    def _delete_device_quietly(self, serial: str | None) -> None:
        # A device left behind here is found by the daily audit (orphaned devices); the caller's
        # answer must not depend on it.
        if serial:
            try:
                self._delete_device(serial)
            except Exception:
                log.warning("could not delete pending MFA device %s", serial)

    def _trail(self, actor: Actor, action: str, target: str) -> TrailEntry:
        return TrailEntry(actor.id, action, target, actor.channel, "ok", self._clock())

    def _record_failure(self, actor: Actor, action: str, target: str, error: Exception) -> None:
        # The trail must show failed attempts too; losing this record must not hide the real error.
        with contextlib.suppress(Exception):
            self._store.record(
                TrailEntry(actor.id, action, target, actor.channel, f"failed: {error}", self._clock())
            )
