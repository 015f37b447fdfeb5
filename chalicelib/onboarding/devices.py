"""The virtual MFA devices enrollment makes: finding ours, deleting a pending one, and IAM's refusals."""

from __future__ import annotations

import logging
import re
import secrets
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib.aws_errors import error_code, retry_eventual, step_error
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
    return any(d["SerialNumber"] == serial for d in iam.list_mfa_devices(UserName=user_name)["MFADevices"])


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


def replace_pending_device(iam: IAMClient, serial: str) -> bool:
    """Delete the pending device a restarted enrollment replaces; an error stops the restart.

    False when IAM refuses because the device is assigned: a verify enabled it, and its answer was lost.
    """
    try:
        retry_eventual(iam.delete_virtual_mfa_device, SerialNumber=serial)
    except ClientError as error:
        if error_code(error) == "DeleteConflict":
            return False
        if error_code(error) != "NoSuchEntity":
            raise mfa_step_error(
                "Replacing the pending MFA device", "DeleteVirtualMFADevice", error, "Try again."
            ) from error
    return True


def disable_quietly(iam: IAMClient, user_name: str, serial: str) -> None:
    """Deactivate and delete a device enabled for a link that is dead (best effort, logged)."""
    try:
        retry_eventual(iam.deactivate_mfa_device, UserName=user_name, SerialNumber=serial)
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            log.error("could not deactivate MFA device %s of a dead enrollment", serial)
            return
    delete_pending_device(iam, serial)


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
                delete_pending_device(iam, serial_of(user_arn, name))
                continue
            raise mfa_step_error(
                "Starting MFA enrollment", "CreateVirtualMFADevice", error, "Nothing changed; start again."
            ) from error
        serial = device["VirtualMFADevice"]["SerialNumber"]
        try:
            return serial, totp.seed_text(device["VirtualMFADevice"]["Base32StringSeed"])
        except ValueError:
            delete_pending_device(iam, serial)
            raise
    raise EnrollmentConflict("A device of that name exists already; start again.")
