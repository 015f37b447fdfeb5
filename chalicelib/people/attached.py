"""What is attached to an IAM user that IAM requires gone before DeleteUser, listed by kind."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

from chalicelib.aws_errors import error_code
from chalicelib.errors import UserNotFound
from chalicelib.models import Removed
from chalicelib.models.records import UserRecord
from chalicelib.onboarding import devices, links
from chalicelib.state import StateStore

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient


@dataclass(frozen=True)
class CredentialKind:
    """One kind of thing IAM requires gone before DeleteUser: how to list it, and how to remove one."""

    field: str  # its list in `Removed`
    listing: Callable[[], list[str]]
    step: str  # the removal's name in errors, e.g. `DeleteAccessKey`
    remove: Callable[[str], Any]


def credential_kinds(iam: IAMClient, name: str) -> list[CredentialKind]:
    """The list-like kinds, in the order they are removed (after the login profile and MFA devices)."""

    def listed(paginator: str, key: str, field: str = "") -> Callable[[], list[str]]:
        def run() -> list[str]:
            pages = iam.get_paginator(paginator).paginate(UserName=name)  # type: ignore[call-overload]
            return [str(item[field]) if field else str(item) for p in pages for item in p[key]]

        return run

    def service_credentials() -> list[str]:
        try:
            creds = iam.list_service_specific_credentials(UserName=name)["ServiceSpecificCredentials"]
        except (ResponseParserError, NotImplementedError):
            # The emulator does not implement this call (an HTML 500 in server mode, a Python error
            # in-process). Real IAM always answers it, so only the emulator ever lands here.
            return []
        return [c["ServiceSpecificCredentialId"] for c in creds]

    return [
        CredentialKind(
            "access_keys",
            listed("list_access_keys", "AccessKeyMetadata", "AccessKeyId"),
            "DeleteAccessKey",
            lambda key: iam.delete_access_key(UserName=name, AccessKeyId=key),
        ),
        CredentialKind(
            "signing_certificates",
            listed("list_signing_certificates", "Certificates", "CertificateId"),
            "DeleteSigningCertificate",
            lambda cert: iam.delete_signing_certificate(UserName=name, CertificateId=cert),
        ),
        CredentialKind(
            "ssh_public_keys",
            listed("list_ssh_public_keys", "SSHPublicKeys", "SSHPublicKeyId"),
            "DeleteSSHPublicKey",
            lambda ssh: iam.delete_ssh_public_key(UserName=name, SSHPublicKeyId=ssh),
        ),
        CredentialKind(
            "service_specific_credentials",
            service_credentials,
            "DeleteServiceSpecificCredential",
            lambda cred: iam.delete_service_specific_credential(
                UserName=name, ServiceSpecificCredentialId=cred
            ),
        ),
        CredentialKind(
            "groups",
            listed("list_groups_for_user", "Groups", "GroupName"),
            "RemoveUserFromGroup",
            lambda group: iam.remove_user_from_group(UserName=name, GroupName=group),
        ),
        CredentialKind(
            "inline_policies",
            listed("list_user_policies", "PolicyNames"),
            "DeleteUserPolicy",
            lambda policy: iam.delete_user_policy(UserName=name, PolicyName=policy),
        ),
        CredentialKind(
            "attached_policies",
            listed("list_attached_user_policies", "AttachedPolicies", "PolicyArn"),
            "DetachUserPolicy",
            lambda arn: iam.detach_user_policy(UserName=name, PolicyArn=arn),
        ),
    ]


def _mfa_devices(iam: IAMClient, name: str) -> list[str]:
    pages = iam.get_paginator("list_mfa_devices").paginate(UserName=name)
    return [str(d["SerialNumber"]) for page in pages for d in page["MFADevices"]]


def _login_profile(iam: IAMClient, name: str) -> bool:
    try:
        iam.get_login_profile(UserName=name)
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return False
        raise
    return True


def attached(
    iam: IAMClient, store: StateStore, name: str, record: UserRecord | None
) -> tuple[Removed, set[str]]:
    """Everything attached to `name`, and which of its MFA devices are not assigned to it.

    `UserNotFound` when the user went meanwhile (another offboarding finished while this one listed).
    """
    pending = links.pending_serial(links.enrollment_of(store, record))
    kinds = credential_kinds(iam, name)
    with ThreadPoolExecutor(max_workers=len(kinds) + 3) as pool:
        f_profile = pool.submit(_login_profile, iam, name)
        f_mfa = pool.submit(_mfa_devices, iam, name)
        f_unassigned = pool.submit(devices.unassigned_devices_of, iam, name)
        f_kinds = {kind.field: pool.submit(kind.listing) for kind in kinds}
    try:
        assigned = f_mfa.result()
        found = {field: f.result() for field, f in f_kinds.items()}
        profile = f_profile.result()
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            raise UserNotFound(f"{name} was removed by another request meanwhile.") from error
        raise
    # The pending enrollment device, and any device a stopped offboarding deactivated but did not delete.
    unassigned = {s for s in [pending, *f_unassigned.result()] if s} - set(assigned)
    removed = Removed(user=name, login_profile=profile, mfa_devices=assigned + sorted(unassigned), **found)
    return removed, unassigned
