"""Reissuing a managed user's first credentials: a new password (reset forced) and a new link."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from chalicelib.aws_errors import step_error
from chalicelib.models import Link, OnboardingState
from chalicelib.models.records import Actor, LinkKind
from chalicelib.onboarding import links
from chalicelib.people.exclusive import UserLock, changing, rerun_on_conflict
from chalicelib.people.managed import find_managed_user
from chalicelib.people.passwords import (
    FirstPasswordFailed,
    generate_password,
    password_policy,
    put_first_password,
)
from chalicelib.service import Service
from chalicelib.trail import recorded


class Reissue(Service):
    """New first credentials for a user who lost theirs or let the link expire."""

    @recorded("reissue_credentials")
    def reissue_credentials(self, user_name: str, actor: Actor) -> Link:
        """A new first password (reset forced) and a new link; every older link dies."""
        with changing(self._store, user_name, "reissue", self._clock) as lock:
            return rerun_on_conflict(lambda: self._reissue(lock, user_name, actor), user_name)

    def _reissue(self, lock: UserLock, user_name: str, actor: Actor) -> Link:
        record, user = find_managed_user(self._iam, self._store, self._settings, user_name)
        name = user["UserName"]
        action = f"Reissuing credentials of {name}"
        password = generate_password(password_policy(self._iam))
        now = self._clock()
        with ThreadPoolExecutor(max_workers=1) as pool:
            # The old enrollment dies below with its link; its pending device is named by the link.
            f_enrollment = pool.submit(links.enrollment_of, self._store, record)
            self._change_password(action, name, password)
        # No enrollment left: the new claim hands out a fresh enrollment, not the old one.
        replacement = links.replace(
            self._store,
            record,
            user,
            LinkKind.CREDENTIALS,
            settings=self._settings,
            now=now,
            state=OnboardingState.INVITED,
            enrollment=f_enrollment.result(),
            secret=password,
        )
        try:
            lock.commit([*replacement.writes, self.trail.ok(actor, "reissue_credentials", name)])
        except ClientError as error:
            # IAM cannot give the old password back: the old link now hands out a dead one.
            raise step_error(
                action,
                "StateWrite",
                error,
                outcome="The password was changed already, so the previous link no longer works. "
                "Run it again.",
            ) from error
        replacement.after_commit(self._iam)
        return replacement.issued.link(self._settings)

    def _change_password(self, action: str, name: str, password: str) -> None:
        try:
            put_first_password(self._iam, name, password, has_profile=True)
        except FirstPasswordFailed as failed:
            raise step_error(action, failed.step, failed.error, leftovers=[]) from failed.error
