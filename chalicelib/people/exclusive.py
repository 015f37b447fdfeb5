"""One admin change of a user at a time, and the re-run of a change whose conditional write lost a race.

Every admin write (create, reissue, enrollment link, MFA reset, offboarding) holds the user's lock while it
changes IAM, so two admins never interleave their IAM steps on one user; the loser answers 409 at once,
having done nothing. Newcomers (claim, enrollment) take no lock: their writes are conditional on the
record's link pointers, and the admin's final write is conditional on the record's generation, so a
newcomer's write in the middle of an admin change makes the admin's write lose, re-read and run again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib.aws_errors import step_error
from chalicelib.errors import ConcurrentChange, OffboardingInProgress, ProductError
from chalicelib.state import Conflict, StateStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

log = logging.getLogger(__name__)

USER_LOCK = "user_lock"
# How long a holder may keep the lock: longer than any function that changes a user may run (the Slack
# worker: 120 s), so a live change never loses it, and a lock whose holder died frees itself.
LOCK_TTL = timedelta(minutes=5)
# How often a change re-reads and runs again after losing a race, before it answers 409.
ATTEMPTS = 3
OFFBOARD = "offboard"


class UserLock:
    """The lock of one user for one change (`purpose`); its writes go into the change's transactions."""

    def __init__(self, store: StateStore, user_name: str, purpose: str, clock: Callable[[], datetime]):
        self._store = store
        self._key = user_name.lower()
        self._name = user_name
        self._clock = clock
        self.purpose = purpose
        self.holder = uuid.uuid4().hex
        self.tried = False  # a take whose answer was lost may still have taken it
        self.released = False

    def take(self, *writes: TransactWriteItemTypeDef) -> None:
        """Take the lock, in one transaction with `writes`; the holder's own retry takes it again.

        The error to answer when another request holds it; `Conflict` when one of `writes` lost instead.
        """
        now = self._clock()
        taking = self._store.lock_put(
            USER_LOCK, self._key, self.holder, now, now + LOCK_TTL, purpose=self.purpose
        )
        self.tried = True
        try:
            self._store.transact([taking, *writes])
        except Conflict as error:
            if 0 in error.failed or not error.failed:
                self.tried = False
                raise self._busy() from error
            raise
        except ClientError as error:
            raise step_error(
                f"Changing {self._name}", "StateWrite", error, outcome="Nothing was changed."
            ) from error

    def commit(self, writes: list[TransactWriteItemTypeDef]) -> None:
        """Write the change's last transaction, which gives the lock back; `Conflict` when it lost."""
        self._store.transact([*writes, self._store.lock_delete(USER_LOCK, self._key, self.holder)])
        self.released = True

    def release(self) -> None:
        """Give the lock back after a change that stopped (best effort: it frees itself after LOCK_TTL)."""
        if self.released or not self.tried:
            return
        try:
            self._store.release(USER_LOCK, self._key, self.holder)
        except Exception:
            log.warning("could not release the lock of %s", self._name)

    def _busy(self) -> ProductError:
        try:
            purpose = self._store.lock_purpose(USER_LOCK, self._key, self._clock())
        except Exception:
            purpose = None
        if purpose == OFFBOARD:
            return OffboardingInProgress(
                f"{self._name} is being offboarded by another request right now; nothing was done here. "
                "Look the user up again in a minute (an offboarding whose request died frees itself within "
                f"{LOCK_TTL.seconds // 60} minutes)."
            )
        doing = f" ({purpose.replace('_', ' ')})" if purpose else ""
        return ConcurrentChange(
            f"Another request is changing {self._name} right now{doing}; nothing was done here. "
            "Try again in a moment."
        )


@contextmanager
def changing(
    store: StateStore, user_name: str, purpose: str, clock: Callable[[], datetime], *, take: bool = True
) -> Iterator[UserLock]:
    """Hold `user_name`'s lock for the block (taken now unless `take` is False); given back if it fails."""
    lock = UserLock(store, user_name, purpose, clock)
    try:
        if take:
            lock.take()
        yield lock
    finally:
        lock.release()


def rerun_on_conflict[T](change: Callable[[], T], user_name: str) -> T:
    """Run `change` (which reads what it needs afresh) again when its conditional write lost a race."""
    for _ in range(ATTEMPTS):
        try:
            return change()
        except Conflict:
            continue
    raise ConcurrentChange(
        f"{user_name} was changed by other requests at the same moment, {ATTEMPTS} times in a row; "
        "nothing more was done. Try again."
    )
