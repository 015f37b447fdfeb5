"""The admin's half of MFA: a fresh enrollment link for a user without MFA, and the reset of a lost device."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.aws_errors import run_steps, step_error
from chalicelib.errors import MfaAlreadyEnabled
from chalicelib.models import Link, OnboardingState
from chalicelib.models.records import Actor, LinkKind, LinkRecord, UserRecord
from chalicelib.onboarding import devices, links
from chalicelib.people.exclusive import UserLock, changing, rerun_on_conflict
from chalicelib.people.managed import find_managed_user
from chalicelib.service import Service
from chalicelib.trail import recorded

if TYPE_CHECKING:
    pass


_AGAIN = "Run it again: it carries on where it stopped."


class MfaAdmin(Service):
    """What an admin does to a user's MFA."""

    @recorded("issue_enrollment")
    def issue_enrollment(self, user_name: str, actor: Actor) -> Link:
        """A fresh enrollment link for a managed user without MFA; 409 when they have a device."""
        with changing(self._store, user_name, "issue_enrollment", self._clock) as lock:
            return rerun_on_conflict(lambda: self._issue_enrollment(lock, user_name, actor), user_name)

    def _issue_enrollment(self, lock: UserLock, user_name: str, actor: Actor) -> Link:
        record, user = find_managed_user(self._iam, self._store, self._settings, user_name)
        name = user["UserName"]
        with ThreadPoolExecutor(max_workers=2) as pool:
            f_devices = pool.submit(devices.mfa_devices_of, self._iam, name)
            f_previous = pool.submit(links.enrollment_of, self._store, record)
        if f_devices.result():
            raise MfaAlreadyEnabled(
                f"{name} has an MFA device already; if it is lost, reset it (DELETE /admin/users/{name}/mfa)."
            )
        state = None if record else OnboardingState.INVITED
        replacement = self._new_link(record, user, state, f_previous.result())
        lock.commit([*replacement.writes, self.trail.ok(actor, "issue_enrollment", name)])
        replacement.after_commit(self._iam)
        return replacement.issued.link(self._settings)

    @recorded("reset_mfa")
    def reset(self, user_name: str, actor: Actor) -> tuple[list[str], Link]:
        """Remove a user's MFA devices (lost phone) and hand out a fresh enrollment link."""
        with changing(self._store, user_name, "reset_mfa", self._clock) as lock:
            return rerun_on_conflict(lambda: self._reset(lock, user_name, actor), user_name)

    def _reset(self, lock: UserLock, user_name: str, actor: Actor) -> tuple[list[str], Link]:
        record, user = find_managed_user(self._iam, self._store, self._settings, user_name)
        name = user["UserName"]
        with ThreadPoolExecutor(max_workers=3) as pool:
            f_assigned = pool.submit(devices.mfa_devices_of, self._iam, name)
            f_unassigned = pool.submit(devices.unassigned_devices_of, self._iam, name)
            f_previous = pool.submit(links.enrollment_of, self._store, record)
        assigned = f_assigned.result()
        previous = f_previous.result()
        # A device this service made for the user and that nothing uses any more (a reset that stopped
        # between deactivating and deleting) goes too; the pending one is replaced with the link below.
        leftovers = [s for s in f_unassigned.result() if s != links.pending_serial(previous)]
        run_steps(
            f"Resetting MFA of {name}",
            devices.removal_steps(self._iam, name, assigned + leftovers, unassigned=leftovers),
            outcome=_AGAIN,
        )
        opened = record is not None and record.state != OnboardingState.INVITED
        state = OnboardingState.CREDENTIALS_VIEWED if opened else OnboardingState.INVITED
        replacement = self._new_link(record, user, state, previous)
        try:
            lock.commit([*replacement.writes, self.trail.ok(actor, "reset_mfa", name)])
        except ClientError as error:
            raise step_error(f"Resetting MFA of {name}", "StateWrite", error, outcome=_AGAIN) from error
        replacement.after_commit(self._iam)
        return assigned + leftovers, replacement.issued.link(self._settings)

    def _new_link(
        self,
        record: UserRecord | None,
        user: dict[str, Any],
        state: OnboardingState | None,
        previous: LinkRecord | None,
    ) -> links.Replacement:
        """A new enrollment link that kills every older link of the user.

        The older credential link dies too: an admin acting on a user's MFA decides which link is live,
        and a leaked credential link would otherwise hand out a fresh enrollment of its own.
        """
        return links.replace(
            self._store,
            record,
            user,
            LinkKind.ENROLLMENT,
            settings=self._settings,
            now=self._clock(),
            state=state,
            enrollment=previous,
        )
