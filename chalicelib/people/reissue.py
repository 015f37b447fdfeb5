"""Reissuing a managed user's first credentials: a new password (reset forced) and a new link."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from chalicelib.aws_errors import error_code, retry_eventual, step_error
from chalicelib.models import Link, OnboardingState
from chalicelib.models.records import Actor, LinkKind
from chalicelib.onboarding import links
from chalicelib.people.managed import find_managed_user, record_writes
from chalicelib.people.passwords import generate_password, password_policy
from chalicelib.service import Service
from chalicelib.trail import recorded


class Reissue(Service):
    """New first credentials for a user who lost theirs or let the link expire."""

    @recorded("reissue_credentials")
    def reissue_credentials(self, user_name: str, actor: Actor) -> Link:
        """A new first password (reset forced) and a new link; every older link dies."""
        record, user = find_managed_user(self._iam, self._store, self._settings, user_name)
        name = user["UserName"]
        action = f"Reissuing credentials of {name}"
        password = generate_password(password_policy(self._iam))
        now = self._clock()
        with ThreadPoolExecutor(max_workers=1) as pool:
            # The old enrollment dies below with its link; its pending device is named by the link.
            f_enrollment = pool.submit(links.enrollment_of, self._store, record)
            self._change_password(action, name, password)
        bundle = links.issue(LinkKind.CREDENTIALS, name, self._settings, now, secret=password)
        # No enrollment id left: the new claim hands out a fresh enrollment, not the old one.
        items = [
            self._store.link_put(bundle.record),
            self.trail.ok(actor, "reissue_credentials", name),
            *links.older_links_killed(self._store, record),
            record_writes(
                self._store,
                record,
                user,
                OnboardingState.INVITED,
                bundle_id=bundle.link_id,
                enrollment_id=None,
            ),
        ]
        try:
            enrollment = f_enrollment.result()
            self._store.transact(items)
        except ClientError as error:
            # IAM cannot give the old password back: the old link now hands out a dead one.
            raise step_error(
                action,
                "StateWrite",
                error,
                outcome="The password was changed already, so the previous link no longer works. "
                "Run it again.",
            ) from error
        links.delete_pending_device(self._iam, links.pending_serial(enrollment))
        return bundle.link(self._settings)

    def _change_password(self, action: str, name: str, password: str) -> None:
        # Always pass a password: UpdateLoginProfile without one would leave the old password valid
        # (and the emulator deletes the profile outright).
        try:
            retry_eventual(
                self._iam.update_login_profile, UserName=name, Password=password, PasswordResetRequired=True
            )
        except ClientError as error:
            if error_code(error) != "NoSuchEntity":
                raise step_error(action, "UpdateLoginProfile", error, leftovers=[]) from error
            try:
                retry_eventual(
                    self._iam.create_login_profile,
                    UserName=name,
                    Password=password,
                    PasswordResetRequired=True,
                )
            except ClientError as create_error:
                raise step_error(action, "CreateLoginProfile", create_error, leftovers=[]) from create_error
