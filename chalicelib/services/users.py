"""Managed IAM users: create (all or nothing), list, describe, reissue credentials, offboard."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

from chalicelib.aws_errors import UNAVAILABLE_CODES, error_code, retry_eventual
from chalicelib.config import Settings
from chalicelib.errors import (
    AwsStepFailed,
    AwsUnavailable,
    InvalidRequest,
    OffboardingInProgress,
    UnmanagedGroupMembership,
    UserExists,
    UserNotFound,
    UserOutsideManagedPath,
)
from chalicelib.models import (
    CreatedUser,
    Link,
    OnboardingState,
    Removed,
    UserDetail,
    UserSummary,
)
from chalicelib.models.records import Actor, LinkKind, LinkRecord, TrailEntry, UserRecord, rfc3339
from chalicelib.onboarding import sealing
from chalicelib.people.passwords import generate_password, password_policy
from chalicelib.services.bundles import (
    delete_pending_device,
    older_links_killed,
    pending_serial,
    unassigned_devices_of,
)
from chalicelib.state import Conflict, StateStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef
    from mypy_boto3_iam import IAMClient

log = logging.getLogger(__name__)


# The offboarding lock's kind in the state table, and how long a holder may keep it: longer than any
# function that offboards may run (the Slack worker: 120 s), so a live offboarding never loses it.
OFFBOARDING = "offboarding"
OFFBOARDING_LOCK_TTL = timedelta(minutes=5)


def step_failed(
    action: str,
    step: str,
    error: BaseException,
    leftovers: list[str] | None = None,
    *,
    outcome: str | None = None,
) -> AwsStepFailed:
    """The error for a failed AWS step: the step, the AWS code, and what the failure left.

    `outcome` says it when "nothing was left behind" (or the `leftovers` to remove by hand) is not the
    story, e.g. when an earlier step cannot be undone.
    """
    code = error_code(error) if isinstance(error, ClientError) else type(error).__name__
    if outcome is None:
        outcome = (
            f"Cleaning up failed too; remove by hand: {', '.join(leftovers)}."
            if leftovers
            else "Nothing was left behind."
        )
    cls = AwsUnavailable if code in UNAVAILABLE_CODES else AwsStepFailed
    return cls(step, code, f"{action} failed at {step} ({code}). {outcome}")


def effective_state(stored: str | None, has_mfa: bool, password_used: bool) -> OnboardingState:
    """The onboarding state: link progress from the store, MFA and sign-in from IAM (IAM wins)."""
    if has_mfa:
        return OnboardingState.ACTIVE if password_used else OnboardingState.MFA_ENROLLED
    if stored == OnboardingState.INVITED:
        return OnboardingState.INVITED
    return OnboardingState.CREDENTIALS_VIEWED if stored else OnboardingState.INVITED


def find_managed_user(
    iam: IAMClient, store: StateStore, settings: Settings, user_name: str
) -> tuple[UserRecord | None, dict[str, Any]]:
    """The record and IAM user of a managed user, found case-insensitively; 404 otherwise."""
    record = store.get_user(user_name)
    name = record.user_name if record else user_name
    try:
        user = iam.get_user(UserName=name)["User"]
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            raise UserNotFound(f"No managed user named {user_name}.") from error
        raise
    if not user.get("Path", "/").startswith(settings.user_path):
        raise UserOutsideManagedPath(
            f"{user['UserName']} exists in IAM but not under the managed path {settings.user_path} (its path "
            f"is {user.get('Path', '/')}), so this service does not act on it and nothing was changed. To "
            f"manage it here, move it back: aws iam update-user --user-name {user['UserName']} --new-path "
            f"{settings.user_path}"
        )
    return record, dict(user)


class Provisioner:
    """Creates, inspects, re-credentials and removes the IAM users under the managed path."""

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

    # --- links ----------------------------------------------------------------------------------

    def _new_bundle(self, user_name: str, password: str, now: datetime) -> tuple[Link, LinkRecord]:
        token = sealing.new_token()
        expires = now + self._settings.credential_link_ttl
        record = LinkRecord(
            link_id=sealing.token_id(token),
            kind=LinkKind.CREDENTIALS,
            user_name=user_name,
            expires_at=int(expires.timestamp()),
            sealed=sealing.seal(token, password),
        )
        return Link(url=f"{self._settings.public_base_url}/onboard#{token}", expires_at=expires), record

    def _trail(self, actor: Actor, action: str, target: str, outcome: str) -> TrailEntry:
        return TrailEntry(actor.id, action, target, actor.channel, outcome, self._clock())

    def _record_failure(self, actor: Actor, action: str, target: str, error: Exception) -> None:
        # The trail must show failed attempts too; losing this record must not hide the real error.
        with contextlib.suppress(Exception):
            self._store.record(self._trail(actor, action, target, f"failed: {error}"))

    # --- create ---------------------------------------------------------------------------------

    def create_user(self, user_name: str, groups: list[str], actor: Actor) -> CreatedUser:
        """Create a user in `groups` with a first password and a one-time link, or leave nothing."""
        unknown = [g for g in groups if g not in self._settings.groups]
        if unknown:
            raise InvalidRequest(
                f"Unknown group {', '.join(unknown)}; choose from {', '.join(sorted(self._settings.groups))}."
            )
        try:
            return self._create_user(user_name, groups, actor)
        except Exception as error:
            self._record_failure(actor, "create_user", user_name, error)
            raise

    def _create_user(self, user_name: str, groups: list[str], actor: Actor) -> CreatedUser:
        action = f"Creating user {user_name}"
        password = generate_password(password_policy(self._iam))
        now = self._clock()
        try:
            created = retry_eventual(self._iam.create_user, UserName=user_name, Path=self._settings.user_path)
            user = created["User"]
        except ClientError as error:
            if error_code(error) == "EntityAlreadyExists":
                raise UserExists(
                    f"A user named {user_name} exists already (names ignore letter case)."
                ) from error
            raise step_failed(action, "CreateUser", error) from error

        link, link_record = self._new_bundle(user_name, password, now)
        record = UserRecord(
            user_name, user["Arn"], rfc3339(now), OnboardingState.INVITED, bundle_id=link_record.link_id
        )
        # Group memberships, the login profile and the state write are independent: run them at once,
        # so creation costs the same three round trips whatever the number of groups.
        steps: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
            f"AddUserToGroup({g})": (
                partial(retry_eventual, self._iam.add_user_to_group, GroupName=g, UserName=user_name),
                partial(retry_eventual, self._iam.remove_user_from_group, GroupName=g, UserName=user_name),
            )
            for g in groups
        }
        steps["CreateLoginProfile"] = (
            lambda: retry_eventual(
                self._iam.create_login_profile,
                UserName=user_name,
                Password=password,
                PasswordResetRequired=True,
            ),
            lambda: retry_eventual(self._iam.delete_login_profile, UserName=user_name),
        )
        steps["StateWrite"] = (
            lambda: self._store.transact(
                [
                    self._store.new_user_put(record),
                    self._store.link_put(link_record),
                    self._store.trail_put(self._trail(actor, "create_user", user_name, "ok")),
                ]
            ),
            lambda: None,  # a failed transaction wrote nothing; a successful one is never undone
        )
        with ThreadPoolExecutor(max_workers=len(steps)) as pool:
            futures = {name: pool.submit(do) for name, (do, _) in steps.items()}
        failures = {name: f.exception() for name, f in futures.items() if f.exception() is not None}
        if not failures:
            return CreatedUser(
                user_name=user_name,
                arn=user["Arn"],
                groups=groups,
                state=OnboardingState.INVITED,
                bundle=link,
            )

        leftovers = []
        for name, future in futures.items():
            if future.exception() is None and name != "StateWrite":
                try:
                    steps[name][1]()
                except Exception:
                    leftovers.append(name)
        if "StateWrite" not in failures:
            # The state write succeeded but another step failed: remove the reservation and the link.
            try:
                self._store.transact(
                    [
                        self._store.user_delete(user_name),
                        self._store.link_delete(link_record.link_id),
                    ]
                )
            except Exception:
                leftovers.append("StateWrite")
        try:
            retry_eventual(self._iam.delete_user, UserName=user_name)
        except Exception:
            leftovers.append("CreateUser")
        step, failure = next((k, v) for k, v in failures.items() if v is not None)
        if step == "StateWrite" and isinstance(failure, Conflict):
            raise UserExists(
                f"A user named {user_name} exists already (names ignore letter case)."
            ) from failure
        refusal = step_failed(action, step, failure, leftovers)
        if (
            step.startswith("AddUserToGroup(")
            and isinstance(failure, ClientError)
            and error_code(failure) == "NoSuchEntity"
        ):
            # The managed groups are made by the account bootstrap, not by the stack (its role may not).
            refusal = type(refusal)(
                refusal.step,
                refusal.aws_code,
                f"{refusal.message} The group {step.removeprefix('AddUserToGroup(').removesuffix(')')} does "
                "not exist in this account: an administrator runs `python -m deploy.bootstrap_account "
                "--apply` once (see the README), then try again.",
            )
        raise refusal from failure

    # --- read -----------------------------------------------------------------------------------

    def _managed(self, user_name: str) -> tuple[UserRecord | None, dict[str, Any]]:
        return find_managed_user(self._iam, self._store, self._settings, user_name)

    def list_users(self) -> list[UserSummary]:
        """Every user under the managed path, with groups and onboarding state.

        Four paginated reads, plus one ListMFADevices per user without an assigned virtual device.
        """
        path = self._settings.user_path

        def users() -> list[dict[str, Any]]:
            pages = self._iam.get_paginator("list_users").paginate(PathPrefix=path)
            return [u for p in pages for u in p["Users"]]  # type: ignore[misc]

        def groups() -> dict[str, list[str]]:
            pages = self._iam.get_paginator("get_account_authorization_details").paginate(Filter=["User"])
            return {u["UserName"]: u.get("GroupList", []) for p in pages for u in p.get("UserDetailList", [])}

        def with_mfa() -> set[str]:
            pages = self._iam.get_paginator("list_virtual_mfa_devices").paginate(AssignmentStatus="Assigned")
            return {d["User"]["UserName"] for p in pages for d in p["VirtualMFADevices"] if "User" in d}

        with ThreadPoolExecutor(max_workers=4) as pool:
            f_users, f_groups, f_mfa = pool.submit(users), pool.submit(groups), pool.submit(with_mfa)
            f_records = pool.submit(self._store.list_users)
        records = {r.user_name: r for r in f_records.result()}
        member_of, listed = f_groups.result(), f_users.result()
        mfa = f_mfa.result() | self._other_mfa(
            [u["UserName"] for u in listed if u["UserName"] not in f_mfa.result()]
        )
        rows = []
        for u in sorted(listed, key=lambda u: u["UserName"].lower()):
            name = u["UserName"]
            rec = records.get(name)
            rows.append(
                UserSummary(
                    user_name=name,
                    arn=u["Arn"],
                    groups=sorted(member_of.get(name, [])),
                    state=effective_state(rec.state if rec else None, name in mfa, "PasswordLastUsed" in u),
                    created_at=u["CreateDate"],
                )
            )
        return rows

    def _other_mfa(self, names: list[str]) -> set[str]:
        """Which of `names` have an MFA device that ListVirtualMFADevices does not show.

        Hardware TOTP tokens and FIDO security keys (passkeys) appear only in a user's own
        ListMFADevices; IAM has no account-wide listing of them (GetAccountAuthorizationDetails leaves
        MFA out, and the credential report's `mfa_active` can be four hours old). Only users without an
        assigned virtual device are asked, so enrolled newcomers cost nothing extra.
        """
        if not names:
            return set()

        def has_mfa(name: str) -> bool:
            return bool(self._iam.list_mfa_devices(UserName=name)["MFADevices"])

        with ThreadPoolExecutor(max_workers=min(len(names), 8)) as pool:
            return {name for name, has in zip(names, pool.map(has_mfa, names), strict=True) if has}

    def describe_user(self, user_name: str) -> UserDetail:
        """One managed user: groups, state, MFA devices, last password use."""
        record, user = self._managed(user_name)
        name = user["UserName"]
        with ThreadPoolExecutor(max_workers=2) as pool:
            f_groups = pool.submit(self._iam.list_groups_for_user, UserName=name)
            f_mfa = pool.submit(self._iam.list_mfa_devices, UserName=name)
        devices = [d["SerialNumber"] for d in f_mfa.result()["MFADevices"]]
        return UserDetail(
            user_name=name,
            arn=user["Arn"],
            groups=sorted(g["GroupName"] for g in f_groups.result()["Groups"]),
            state=effective_state(
                record.state if record else None, bool(devices), "PasswordLastUsed" in user
            ),
            created_at=user["CreateDate"],
            mfa_devices=devices,
            password_last_used=user.get("PasswordLastUsed"),
        )

    # --- reissue --------------------------------------------------------------------------------

    def reissue_credentials(self, user_name: str, actor: Actor) -> Link:
        """A new first password (reset forced) and a new link; every older link dies."""
        try:
            return self._reissue(user_name, actor)
        except Exception as error:
            self._record_failure(actor, "reissue_credentials", user_name, error)
            raise

    def _reissue(self, user_name: str, actor: Actor) -> Link:
        record, user = self._managed(user_name)
        name = user["UserName"]
        password = generate_password(password_policy(self._iam))
        now = self._clock()
        with ThreadPoolExecutor(max_workers=1) as pool:
            # The old enrollment dies below with its link; its pending device is named by the link.
            f_enrollment = pool.submit(self._enrollment_of, record)
            self._change_password(name, password)
        link, link_record = self._new_bundle(name, password, now)
        items: list[TransactWriteItemTypeDef] = [
            self._store.link_put(link_record),
            self._store.trail_put(self._trail(actor, "reissue_credentials", name, "ok")),
            *older_links_killed(self._store, record),
        ]
        if record is None:
            created = rfc3339(user["CreateDate"])
            items.append(
                self._store.new_user_put(
                    UserRecord(
                        name, user["Arn"], created, OnboardingState.INVITED, bundle_id=link_record.link_id
                    )
                )
            )
        else:
            # No enrollment id left: the new claim hands out a fresh enrollment, not the old one.
            items.append(
                self._store.user_update(
                    name, state=OnboardingState.INVITED, bundle_id=link_record.link_id, enrollment_id=None
                )
            )
        try:
            enrollment = f_enrollment.result()
            self._store.transact(items)
        except ClientError as error:
            # IAM cannot give the old password back: the old link now hands out a dead one.
            raise step_failed(
                f"Reissuing credentials of {name}",
                "StateWrite",
                error,
                outcome="The password was changed already, so the previous link no longer works. "
                "Run it again.",
            ) from error
        delete_pending_device(self._iam, pending_serial(enrollment))
        return link

    def _enrollment_of(self, record: UserRecord | None) -> LinkRecord | None:
        return self._store.get_link(record.enrollment_id) if record and record.enrollment_id else None

    def _change_password(self, name: str, password: str) -> None:
        # Always pass a password: UpdateLoginProfile without one would leave the old password valid
        # (and the emulator deletes the profile outright).
        try:
            retry_eventual(
                self._iam.update_login_profile, UserName=name, Password=password, PasswordResetRequired=True
            )
        except ClientError as error:
            if error_code(error) != "NoSuchEntity":
                raise step_failed(
                    f"Reissuing credentials of {name}", "UpdateLoginProfile", error, []
                ) from error
            try:
                retry_eventual(
                    self._iam.create_login_profile,
                    UserName=name,
                    Password=password,
                    PasswordResetRequired=True,
                )
            except ClientError as create_error:
                raise step_failed(
                    f"Reissuing credentials of {name}", "CreateLoginProfile", create_error, []
                ) from create_error

    # --- offboard -------------------------------------------------------------------------------

    def _inventory(self, name: str, pending_device: str | None) -> tuple[Removed, set[str]]:
        """Everything attached to `name`, and which of its MFA devices are not assigned to it."""
        iam = self._iam

        def listed(paginator: str, key: str, field: str) -> Callable[[], list[str]]:
            def run() -> list[str]:
                pages = iam.get_paginator(paginator).paginate(UserName=name)  # type: ignore[call-overload]
                return [str(item[field]) if field else str(item) for p in pages for item in p[key]]

            return run

        def login_profile() -> bool:
            try:
                iam.get_login_profile(UserName=name)
            except ClientError as error:
                if error_code(error) == "NoSuchEntity":
                    return False
                raise
            return True

        def service_credentials() -> list[str]:
            try:
                creds = iam.list_service_specific_credentials(UserName=name)["ServiceSpecificCredentials"]
            except (ResponseParserError, NotImplementedError):
                # The emulator does not implement this call (an HTML 500 in server mode, a Python error
                # in-process). Real IAM always answers it, so only the emulator ever lands here.
                return []
            return [c["ServiceSpecificCredentialId"] for c in creds]

        jobs: dict[str, Callable[[], Any]] = {
            "login_profile": login_profile,
            "mfa_devices": listed("list_mfa_devices", "MFADevices", "SerialNumber"),
            "access_keys": listed("list_access_keys", "AccessKeyMetadata", "AccessKeyId"),
            "signing_certificates": listed("list_signing_certificates", "Certificates", "CertificateId"),
            "ssh_public_keys": listed("list_ssh_public_keys", "SSHPublicKeys", "SSHPublicKeyId"),
            "service_specific_credentials": service_credentials,
            "groups": listed("list_groups_for_user", "Groups", "GroupName"),
            "inline_policies": listed("list_user_policies", "PolicyNames", ""),
            "attached_policies": listed("list_attached_user_policies", "AttachedPolicies", "PolicyArn"),
        }
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            futures = {k: pool.submit(job) for k, job in jobs.items()}
            f_unassigned = pool.submit(unassigned_devices_of, iam, name)
        found = {k: f.result() for k, f in futures.items()}
        # The pending enrollment device, and any device a stopped offboarding deactivated but did not delete.
        unassigned = {s for s in [pending_device, *f_unassigned.result()] if s} - set(found["mfa_devices"])
        found["mfa_devices"] += sorted(unassigned)
        return Removed(user=name, **found), unassigned

    def offboard(
        self, user_name: str, actor: Actor, *, dry_run: bool, started: Callable[[], None] | None = None
    ) -> Removed:
        """Remove everything IAM requires gone before DeleteUser, then the user; or only list it.

        One offboarding per user at a time: a second one while the first runs gets
        `OffboardingInProgress` and does nothing. `started` is called once this request holds the
        offboarding, before anything is removed (the Slack worker says "Offboarding…" then).
        """
        try:
            return self._offboard(user_name, actor, dry_run=dry_run, started=started)
        except Exception as error:
            self._record_failure(actor, "offboard", user_name, error)
            raise

    def _offboard(
        self, user_name: str, actor: Actor, *, dry_run: bool, started: Callable[[], None] | None
    ) -> Removed:
        try:
            record, user = self._managed(user_name)
        except UserOutsideManagedPath:
            # The IAM user is alive outside the path (moved by hand): forgetting it here would report an
            # offboarding that never happened and leave its password and groups working.
            raise
        except UserNotFound:
            record = self._store.get_user(user_name)
            if record is None or dry_run:
                raise
            # IAM says NoSuchEntity: an offboarding that stopped after DeleteUser, so only the state
            # records are left to remove (unless another offboarding is at it right now).
            self._forget(record.user_name, record, actor, holder=None)
            nothing: list[str] = []
            return Removed(
                user=record.user_name,
                login_profile=False,
                mfa_devices=nothing,
                access_keys=nothing,
                signing_certificates=nothing,
                ssh_public_keys=nothing,
                service_specific_credentials=nothing,
                groups=nothing,
                inline_policies=nothing,
                attached_policies=nothing,
            )
        name = user["UserName"]
        pending = pending_serial(self._enrollment_of(record))
        removed, unassigned = self._inventory(name, pending)
        if dry_run:
            self._store.record(self._trail(actor, "offboard_dry_run", name, "ok"))
            return removed
        foreign = sorted(set(removed.groups) - set(self._settings.groups))
        if foreign:
            # The service may change membership of the managed groups only (its role says so): stop
            # before removing anything rather than halfway, with the credentials already gone.
            raise UnmanagedGroupMembership(
                f"{name} is also in {', '.join(foreign)}, which this service does not manage; remove "
                "that membership first, then offboard again. Nothing was removed."
            )
        holder = self._lock(name, record)
        try:
            if started is not None:
                started()
            self._remove(name, removed, unassigned)
            self._forget(name, record, actor, holder=holder)
        except BaseException:
            self._unlock(name, holder)
            raise
        return removed

    def _remove(self, name: str, removed: Removed, unassigned: set[str]) -> None:
        """Remove what the inventory found, then the user: in the order IAM requires."""
        iam = self._iam
        # IAM refuses DeleteUser while anything below is attached (the emulator does not): keep the order.
        steps: list[tuple[str, Callable[[], Any]]] = []
        if removed.login_profile:
            steps.append(("DeleteLoginProfile", lambda: iam.delete_login_profile(UserName=name)))
        for serial in removed.mfa_devices:
            if serial not in unassigned:
                steps.append(
                    (
                        f"DeactivateMFADevice({serial})",
                        partial(iam.deactivate_mfa_device, UserName=name, SerialNumber=serial),
                    )
                )
            if ":mfa/" in serial:  # virtual devices are deleted too; hardware ones only deactivated
                steps.append(
                    (
                        f"DeleteVirtualMFADevice({serial})",
                        partial(iam.delete_virtual_mfa_device, SerialNumber=serial),
                    )
                )
        for key in removed.access_keys:
            steps.append(
                (f"DeleteAccessKey({key})", partial(iam.delete_access_key, UserName=name, AccessKeyId=key))
            )
        for cert in removed.signing_certificates:
            steps.append(
                (
                    f"DeleteSigningCertificate({cert})",
                    partial(iam.delete_signing_certificate, UserName=name, CertificateId=cert),
                )
            )
        for ssh in removed.ssh_public_keys:
            steps.append(
                (
                    f"DeleteSSHPublicKey({ssh})",
                    partial(iam.delete_ssh_public_key, UserName=name, SSHPublicKeyId=ssh),
                )
            )
        for cred in removed.service_specific_credentials:
            steps.append(
                (
                    f"DeleteServiceSpecificCredential({cred})",
                    partial(
                        iam.delete_service_specific_credential,
                        UserName=name,
                        ServiceSpecificCredentialId=cred,
                    ),
                )
            )
        for group in removed.groups:
            steps.append(
                (
                    f"RemoveUserFromGroup({group})",
                    partial(iam.remove_user_from_group, UserName=name, GroupName=group),
                )
            )
        for policy in removed.inline_policies:
            steps.append(
                (
                    f"DeleteUserPolicy({policy})",
                    partial(iam.delete_user_policy, UserName=name, PolicyName=policy),
                )
            )
        for arn in removed.attached_policies:
            steps.append(
                (f"DetachUserPolicy({arn})", partial(iam.detach_user_policy, UserName=name, PolicyArn=arn))
            )
        steps.append(("DeleteUser", lambda: iam.delete_user(UserName=name)))
        for step, call in steps:
            try:
                retry_eventual(call)
            except ClientError as error:
                if error_code(error) == "NoSuchEntity":
                    continue  # already gone: offboarding is idempotent
                # Throttling or an AWS-side failure is a 503 like everywhere else: try again later.
                cls = AwsUnavailable if error_code(error) in UNAVAILABLE_CODES else AwsStepFailed
                raise cls(
                    step,
                    error_code(error),
                    f"Offboarding {name} stopped at {step} ({error_code(error)}); the user still exists. "
                    "Run it again once the cause is fixed.",
                ) from error

    def _in_progress(self, name: str) -> OffboardingInProgress:
        return OffboardingInProgress(
            f"{name} is being offboarded by another request right now; nothing was done here. Look the "
            "user up again in a minute (an offboarding whose request died frees itself within "
            f"{OFFBOARDING_LOCK_TTL.seconds // 60} minutes)."
        )

    def _lock(self, name: str, record: UserRecord | None) -> str:
        """Take the user's offboarding lock and kill their links, in one write; the lock's holder id.

        The links die before the first removal, so an offboarding that stops midway leaves none alive.
        """
        holder = uuid.uuid4().hex
        now = self._clock()
        writes = [self._store.lock_put(OFFBOARDING, name.lower(), holder, now, now + OFFBOARDING_LOCK_TTL)]
        if record is not None:
            writes += [
                # Conditional on the record: if another offboarding finished meanwhile, this one stops.
                self._store.user_update(name, bundle_id=None, enrollment_id=None),
                *older_links_killed(self._store, record),
            ]
        try:
            self._store.transact(writes)
        except Conflict as error:
            if 0 in error.failed or not error.failed:
                raise self._in_progress(name) from error
            raise UserNotFound(
                f"{name} was offboarded by another request meanwhile; nothing more was done."
            ) from error
        except ClientError as error:
            raise step_failed(
                f"Offboarding {name}", "StateWrite", error, outcome="Nothing was changed."
            ) from error
        return holder

    def _unlock(self, name: str, holder: str) -> None:
        # Best effort: a lock left behind frees itself after OFFBOARDING_LOCK_TTL, and the caller's
        # answer is the error that stopped the offboarding, not this one.
        try:
            self._store.release(OFFBOARDING, name.lower(), holder)
        except Exception:
            log.warning("could not release the offboarding lock of %s", name)

    def _forget(self, name: str, record: UserRecord | None, actor: Actor, *, holder: str | None) -> None:
        """Remove an offboarded user's state records: the name reservation, any live link, and the
        offboarding lock `holder` took (with no `holder`: only while nobody holds it)."""
        items = [
            self._store.user_delete(name),
            self._store.trail_put(self._trail(actor, "offboard", name, "ok")),
            *older_links_killed(self._store, record),
            self._store.lock_delete(OFFBOARDING, name.lower())
            if holder
            else self._store.lock_free(OFFBOARDING, name.lower(), self._clock()),
        ]
        try:
            self._store.transact(items)
        except Conflict as error:
            raise self._in_progress(name) from error
        except ClientError as error:
            raise step_failed(
                f"Offboarding {name}",
                "StateWrite",
                error,
                outcome="The IAM user is deleted but its name is still reserved. Run it again once the cause "
                "is fixed.",
            ) from error
