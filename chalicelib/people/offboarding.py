"""Offboarding: list everything attached to a managed user, or remove it all and then the user.

One offboarding per user runs at a time: a lock record, taken with the write that kills the user's links.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.aws_errors import error_code, retry_eventual, step_error
from chalicelib.errors import (
    OffboardingInProgress,
    UnmanagedGroupMembership,
    UserNotFound,
    UserOutsideManagedPath,
)
from chalicelib.models import Removed
from chalicelib.models.records import Actor, UserRecord
from chalicelib.onboarding import links
from chalicelib.people.attached import attached, credential_kinds
from chalicelib.people.managed import find_managed_user
from chalicelib.service import Service
from chalicelib.state import Conflict
from chalicelib.trail import recorded

log = logging.getLogger(__name__)

# The offboarding lock's kind in the state table, and how long a holder may keep it: longer than any
# function that offboards may run (the Slack worker: 120 s), so a live offboarding never loses it.
OFFBOARDING = "offboarding"
OFFBOARDING_LOCK_TTL = timedelta(minutes=5)


class Offboarding(Service):
    """The inventory and the removal of a managed user."""

    @recorded("offboard_dry_run")
    def inventory(self, user_name: str, actor: Actor) -> Removed:
        """What offboarding `user_name` would remove; nothing is changed."""
        record, user = find_managed_user(self._iam, self._store, self._settings, user_name)
        removed, _ = attached(self._iam, self._store, user["UserName"], record)
        self._store.transact([self.trail.ok(actor, "offboard_dry_run", user["UserName"])])
        return removed

    @recorded("offboard")
    def offboard(self, user_name: str, actor: Actor, *, started: Callable[[], None] | None = None) -> Removed:
        """Remove everything IAM requires gone before DeleteUser, then the user.

        One offboarding per user at a time: a second one while the first runs gets
        `OffboardingInProgress` and does nothing. `started` is called once this request holds the
        offboarding, before anything is removed (the Slack worker says "Offboarding…" then).
        """
        try:
            record, user = find_managed_user(self._iam, self._store, self._settings, user_name)
        except UserOutsideManagedPath:
            # The IAM user is alive outside the path (moved by hand): forgetting it here would report an
            # offboarding that never happened and leave its password and groups working.
            raise
        except UserNotFound:
            record = self._store.get_user(user_name)
            if record is None:
                raise
            # IAM says NoSuchEntity: an offboarding that stopped after DeleteUser, so only the state
            # records are left to remove (unless another offboarding is at it right now).
            self._forget(record.user_name, record, actor, holder=None)
            nothing: dict[str, list[str]] = {
                kind.field: [] for kind in credential_kinds(self._iam, record.user_name)
            }
            return Removed(user=record.user_name, login_profile=False, mfa_devices=[], **nothing)
        name = user["UserName"]
        removed, unassigned = attached(self._iam, self._store, name, record)
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
        """Remove what the inventory found, then the user: in the order IAM requires.

        IAM refuses DeleteUser while anything is attached (the emulator does not): keep the order.
        """
        iam = self._iam
        steps: list[tuple[str, Callable[[], Any]]] = []
        if removed.login_profile:
            steps.append(("DeleteLoginProfile", partial(iam.delete_login_profile, UserName=name)))
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
        for kind in credential_kinds(self._iam, name):
            steps += [
                (f"{kind.step}({item})", partial(kind.remove, item)) for item in getattr(removed, kind.field)
            ]
        steps.append(("DeleteUser", partial(iam.delete_user, UserName=name)))
        for step, call in steps:
            try:
                retry_eventual(call)
            except ClientError as error:
                if error_code(error) == "NoSuchEntity":
                    continue  # already gone: offboarding is idempotent
                raise step_error(
                    f"Offboarding {name}",
                    step,
                    error,
                    outcome="The user still exists. Run it again once the cause is fixed.",
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
                *links.older_links_killed(self._store, record),
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
            raise step_error(
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
            self.trail.ok(actor, "offboard", name),
            *links.older_links_killed(self._store, record),
            self._store.lock_delete(OFFBOARDING, name.lower())
            if holder
            else self._store.lock_free(OFFBOARDING, name.lower(), self._clock()),
        ]
        try:
            self._store.transact(items)
        except Conflict as error:
            raise self._in_progress(name) from error
        except ClientError as error:
            raise step_error(
                f"Offboarding {name}",
                "StateWrite",
                error,
                outcome="The IAM user is deleted but its name is still reserved. Run it again once the cause "
                "is fixed.",
            ) from error
