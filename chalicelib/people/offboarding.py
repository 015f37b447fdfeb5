"""Offboarding: list everything attached to a managed user, or remove it all and then the user.

One change of a user runs at a time (`people/exclusive.py`): the lock is taken with the write that kills
the user's links, and given back with the write that forgets them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.aws_errors import Step, run_steps, step_error
from chalicelib.errors import (
    AwsStepFailed,
    ConcurrentChange,
    UnmanagedGroupMembership,
    UserNotFound,
    UserOutsideManagedPath,
)
from chalicelib.models import Removed
from chalicelib.models.records import Actor, UserRecord
from chalicelib.onboarding import devices, links
from chalicelib.people.attached import attached, credential_kinds
from chalicelib.people.exclusive import OFFBOARD, UserLock, changing, rerun_on_conflict
from chalicelib.people.managed import find_managed_user
from chalicelib.service import Service
from chalicelib.state import Conflict
from chalicelib.trail import recorded


class Offboarding(Service):
    """The inventory and the removal of a managed user, and the end of every elevation grant of theirs."""

    def __init__(
        self,
        *args: Any,
        end_grants: Callable[[str, Actor], list[str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._end_grants = end_grants

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

        One change of a user at a time: an offboarding (or any other admin change) running already makes
        this one answer 409 having done nothing. `started` is called once this request holds the user,
        before anything is removed (the Slack worker says "Offboarding…" then).
        """
        with changing(self._store, user_name, OFFBOARD, self._clock, take=False) as lock:
            held = rerun_on_conflict(lambda: self._take(lock, user_name), user_name)
            if started is not None:
                started()
            removed = held.removed
            self._end_every_grant(held.name, actor)
            if not held.user_gone:
                removed = self._remove(held.name, held.record, removed, held.unassigned)
            self._forget(lock, held.name, held.record, actor)
            return removed

    def _end_every_grant(self, name: str, actor: Actor) -> None:
        """End the user's pending and live grants and remove their schedules, before the user goes (the
        memberships go with the user). Each grant ended already is skipped, so a re-run is safe."""
        if self._end_grants is None:
            return
        try:
            self._end_grants(name, actor)
        except (ClientError, AwsStepFailed) as error:
            raise step_error(
                f"Offboarding {name}",
                getattr(error, "step", "EndGrants"),
                error,
                outcome="The user still exists. Run it again once the cause is fixed.",
            ) from error

    def _take(self, lock: UserLock, user_name: str) -> _Held:
        """Hold the user and kill their links, with the inventory as of that moment.

        The links die before the first removal, in the write that takes the lock, conditional on the
        record the inventory was made from: a newcomer who started enrollment meanwhile (a new pending
        device) makes it lose and look again. From then on no claim, start or verify can act.
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
            # records are left to remove (unless another change of the user is under way right now).
            lock.take()
            nothing: dict[str, list[str]] = {
                kind.field: [] for kind in credential_kinds(self._iam, record.user_name)
            }
            removed = Removed(user=record.user_name, login_profile=False, mfa_devices=[], **nothing)
            return _Held(record, record.user_name, removed, set(), user_gone=True)
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
        writes = []
        if record is not None:
            writes = [
                self._store.user_update(record, bundle_id=None, enrollment_id=None),
                *links.older_links_killed(self._store, record),
            ]
        try:
            lock.take(*writes)
        except ClientError as error:
            raise step_error(
                f"Offboarding {name}", "StateWrite", error, outcome="Nothing was changed."
            ) from error
        if record is None and self._store.get_user(name) is not None:
            # A create finished its record after this offboarding read none: look again, with the lock.
            raise Conflict(f"{name} got its record meanwhile")
        return _Held(record, name, removed, unassigned)

    def _remove(
        self, name: str, record: UserRecord | None, removed: Removed, unassigned: set[str]
    ) -> Removed:
        """Remove what the inventory found, then the user: in the order IAM requires.

        IAM refuses DeleteUser while anything is attached (DeleteConflict): what was attached after the
        inventory (by a verify already enabling its device) is found by a new inventory and removed too.
        """
        for attempt in range(REMOVAL_PASSES):
            if not self._remove_once(name, removed, unassigned, last=attempt == REMOVAL_PASSES - 1):
                break
            again, unassigned = attached(self._iam, self._store, name, record)
            removed = _union(removed, again)
        return removed

    def _remove_once(self, name: str, removed: Removed, unassigned: set[str], *, last: bool) -> bool:
        """One pass over the removals; True when DeleteUser met something attached since (not `last`)."""
        iam = self._iam
        steps: list[Step] = []
        if removed.login_profile:
            steps.append(("DeleteLoginProfile", partial(iam.delete_login_profile, UserName=name)))
        steps += devices.removal_steps(iam, name, removed.mfa_devices, unassigned=unassigned)
        for kind in credential_kinds(self._iam, name):
            steps += [
                (f"{kind.step}({item})", partial(kind.remove, item)) for item in getattr(removed, kind.field)
            ]
        steps.append(("DeleteUser", partial(iam.delete_user, UserName=name)))
        try:
            run_steps(
                f"Offboarding {name}",
                steps,
                outcome="The user still exists. Run it again once the cause is fixed.",
            )
        except AwsStepFailed as failed:
            if failed.step == "DeleteUser" and failed.aws_code == "DeleteConflict" and not last:
                return True
            raise
        return False

    def _forget(self, lock: UserLock, name: str, record: UserRecord | None, actor: Actor) -> None:
        """Remove an offboarded user's state records: the name reservation and any link left, with the
        lock, which frees the name for a new user (the delete is conditional on the incarnation only)."""
        items = [self.trail.ok(actor, "offboard", name)]
        if record is not None:
            items += [self._store.user_delete(record), *links.older_links_killed(self._store, record)]
        try:
            lock.commit(items)
        except Conflict as error:
            raise ConcurrentChange(
                f"{name} is deleted, but this request lost its hold on the name meanwhile; run the "
                "offboarding again to remove what is left."
            ) from error
        except ClientError as error:
            raise step_error(
                f"Offboarding {name}",
                "StateWrite",
                error,
                outcome="The IAM user is deleted but its name is still reserved. Run it again once the cause "
                "is fixed.",
            ) from error


# How many times offboarding looks again when IAM finds something attached it had not seen.
REMOVAL_PASSES = 3


@dataclass(frozen=True)
class _Held:
    """A user an offboarding holds: their record, IAM name, and what is attached to them."""

    record: UserRecord | None
    name: str
    removed: Removed
    unassigned: set[str]
    user_gone: bool = False


def _union(first: Removed, second: Removed) -> Removed:
    """Both inventories in one, in the order first seen."""
    lists = {
        field: list(dict.fromkeys([*getattr(first, field), *getattr(second, field)]))
        for field, value in first.model_dump().items()
        if isinstance(value, list)
    }
    return Removed(user=first.user, login_profile=first.login_profile or second.login_profile, **lists)
