"""MFA devices: naming and finding ours, who has one, the steps that remove them, and IAM's refusals."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib.aws_errors import Step, error_code, retry_eventual, step_error
from chalicelib.errors import EnrollmentConflict, MfaDeviceLimit, ProductError

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

log = logging.getLogger(__name__)


def mfa_step_error(action: str, step: str, error: ClientError, after: str) -> ProductError:
    """The product error for an IAM error of an MFA step; `after` says what the person should do."""
    if error_code(error) == "LimitExceeded":
        return MfaDeviceLimit(
            "IAM allows no more MFA devices here (at most 8 per user, and an account quota); "
            "ask your admin to remove one that is not used."
        )
    return step_error(action, step, error, outcome=after)


def device_name(user_name: str) -> str:
    """A new name for a virtual device of `user_name`'s: the user's name and a random suffix."""
    return f"{user_name}-{secrets.token_hex(4)}"


def owner_of(serial: str) -> str | None:
    """The user a virtual device was made for, by its name (`device_name`), or None if not one of ours."""
    named = re.fullmatch(r"mfa/(.+)-[0-9a-f]{8}", serial.split(":", 5)[-1])
    return named.group(1) if named else None


def serial_of(user_arn: str, name: str) -> str:
    """The serial of the virtual device `name` in the account of `user_arn`."""
    return f"{user_arn.split(':user/', 1)[0]}:mfa/{name}"


def unassigned_devices_of(iam: IAMClient, user_name: str) -> list[str]:
    """Unassigned virtual devices named the way enrollment names `user_name`'s devices.

    A reset or an offboarding that stopped between deactivating a device and deleting it leaves one such
    device, which no longer shows among the user's devices: this is how running it again finds it.
    """
    pages = iam.get_paginator("list_virtual_mfa_devices").paginate(AssignmentStatus="Unassigned")
    serials = [str(d["SerialNumber"]) for page in pages for d in page["VirtualMFADevices"]]
    return [s for s in serials if owner_of(s) == user_name]


def assigned_to(iam: IAMClient, user_name: str, serial: str) -> bool:
    """Whether `serial` is one of `user_name`'s MFA devices."""
    return serial in mfa_devices_of(iam, user_name)


def mfa_devices_of(iam: IAMClient, user_name: str) -> list[str]:
    """The serials of every MFA device the user has now (virtual, hardware, passkey); a deleted user: none.

    Hardware TOTP tokens and FIDO security keys appear only here: IAM has no account-wide listing of them.
    """
    try:
        return [str(d["SerialNumber"]) for d in iam.list_mfa_devices(UserName=user_name)["MFADevices"]]
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":  # offboarded while we looked
            return []
        raise


def with_mfa(iam: IAMClient, names: Iterable[str]) -> set[str]:
    """Those of `names` with an MFA device now, asked in parallel."""
    names = sorted(names)
    if not names:
        return set()
    with ThreadPoolExecutor(max_workers=min(len(names), 8)) as pool:
        answers = list(pool.map(lambda name: bool(mfa_devices_of(iam, name)), names))
    return {name for name, has in zip(names, answers, strict=True) if has}


def is_virtual(serial: str) -> bool:
    """Whether a serial names a virtual device (`arn:...:mfa/name`): it can be deleted, a hardware one not."""
    return ":mfa/" in serial


def removal_steps(
    iam: IAMClient, user_name: str, serials: Iterable[str], *, unassigned: Collection[str] = ()
) -> list[Step]:
    """The IAM steps that take MFA devices from a user: deactivate each assigned one, delete it if virtual.

    IAM deletes a virtual device only once it is deactivated; a hardware one can only be deactivated.
    Devices in `unassigned` (left by a run that stopped between the two) are deleted only.
    """
    steps: list[Step] = []
    for serial in serials:
        if serial not in unassigned:
            steps.append(
                (
                    f"DeactivateMFADevice({serial})",
                    partial(iam.deactivate_mfa_device, UserName=user_name, SerialNumber=serial),
                )
            )
        if is_virtual(serial):
            steps.append(
                (
                    f"DeleteVirtualMFADevice({serial})",
                    partial(iam.delete_virtual_mfa_device, SerialNumber=serial),
                )
            )
    return steps


def delete_device(iam: IAMClient, serial: str | None, *, best_effort: bool = True) -> bool:
    """Delete an unassigned virtual device; False when IAM refuses because it is assigned (enabled).

    A device already gone counts as deleted. `best_effort` (a pending device a dead enrollment left,
    which the daily audit would report) logs any other error and answers False; otherwise it stops the
    caller as the product error for it.
    """
    if not serial:
        return True
    try:
        retry_eventual(iam.delete_virtual_mfa_device, SerialNumber=serial)
    except ClientError as error:
        code = error_code(error)
        if code == "NoSuchEntity":
            return True
        if code != "DeleteConflict" and not best_effort:
            raise mfa_step_error(
                "Deleting the pending MFA device", "DeleteVirtualMFADevice", error, "Try again."
            ) from error
        if best_effort:
            log.warning("could not delete pending MFA device %s (%s)", serial, code)
        return False
    except Exception as error:
        if not best_effort:
            raise
        log.warning("could not delete pending MFA device %s (%s)", serial, type(error).__name__)
        return False
    return True


def disable_quietly(iam: IAMClient, user_name: str, serial: str) -> None:
    """Deactivate and delete a device enabled for a link that is dead (best effort, logged)."""
    try:
        retry_eventual(iam.deactivate_mfa_device, UserName=user_name, SerialNumber=serial)
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            log.error("could not deactivate MFA device %s of a dead enrollment", serial)
            return
    delete_device(iam, serial)


def new_device(iam: IAMClient, user_name: str, user_arn: str) -> tuple[str, str]:
    """A new unassigned virtual device of the user's, and its seed as text."""
    from chalicelib.onboarding import totp

    for _ in range(2):
        # Device names are free since Nov 2022; a random suffix keeps a restart from meeting the
        # previous device's name, and the force-MFA policy allows `mfa/*`.
        name = device_name(user_name)
        try:
            device = retry_eventual(iam.create_virtual_mfa_device, VirtualMFADeviceName=name, Path="/")
        except ClientError as error:
            if error_code(error) == "EntityAlreadyExists":
                # Our own create, retried by botocore after a fault once it had taken effect: its seed
                # is lost with the answer, so that device goes and another is made.
                delete_device(iam, serial_of(user_arn, name))
                continue
            raise mfa_step_error(
                "Starting MFA enrollment", "CreateVirtualMFADevice", error, "Nothing changed; start again."
            ) from error
        serial = device["VirtualMFADevice"]["SerialNumber"]
        try:
            return serial, totp.seed_text(device["VirtualMFADevice"]["Base32StringSeed"])
        except ValueError:
            delete_device(iam, serial)
            raise
    raise EnrollmentConflict("A device of that name exists already; start again.")
