"""Creating a managed user: all or nothing, with a first password and a one-time credential link."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.aws_errors import error_code, retry_eventual, step_error
from chalicelib.errors import AwsStepFailed, InvalidRequest, UserExists
from chalicelib.models import CreatedUser, OnboardingState
from chalicelib.models.records import Actor, LinkKind, UserRecord, rfc3339
from chalicelib.onboarding import links
from chalicelib.people.passwords import generate_password, password_policy
from chalicelib.service import Service
from chalicelib.state import Conflict
from chalicelib.trail import recorded


def _taken(user_name: str) -> UserExists:
    return UserExists(f"A user named {user_name} exists already (names ignore letter case).")


class Creation(Service):
    """Makes new managed users."""

    @recorded("create_user")
    def create_user(self, user_name: str, groups: list[str], actor: Actor) -> CreatedUser:
        """Create a user in `groups` with a first password and a one-time link, or leave nothing."""
        unknown = [g for g in groups if g not in self._settings.groups]
        if unknown:
            raise InvalidRequest(
                f"Unknown group {', '.join(unknown)}; choose from {', '.join(sorted(self._settings.groups))}."
            )
        action = f"Creating user {user_name}"
        password = generate_password(password_policy(self._iam))
        now = self._clock()
        try:
            created = retry_eventual(self._iam.create_user, UserName=user_name, Path=self._settings.user_path)
        except ClientError as error:
            if error_code(error) == "EntityAlreadyExists":
                raise _taken(user_name) from error
            raise step_error(action, "CreateUser", error) from error
        arn = created["User"]["Arn"]

        bundle = links.issue(LinkKind.CREDENTIALS, user_name, self._settings, now, secret=password)
        record = UserRecord(user_name, arn, rfc3339(now), OnboardingState.INVITED, bundle_id=bundle.link_id)
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
            partial(
                retry_eventual,
                self._iam.create_login_profile,
                UserName=user_name,
                Password=password,
                PasswordResetRequired=True,
            ),
            partial(retry_eventual, self._iam.delete_login_profile, UserName=user_name),
        )
        steps["StateWrite"] = (
            partial(
                self._store.transact,
                [
                    self._store.new_user_put(record),
                    self._store.link_put(bundle.record),
                    self.trail.ok(actor, "create_user", user_name),
                ],
            ),
            # A failed transaction wrote nothing; one that succeeded is undone when another step failed.
            partial(
                self._store.transact,
                [self._store.user_delete(user_name), self._store.link_delete(bundle.link_id)],
            ),
        )
        with ThreadPoolExecutor(max_workers=len(steps)) as pool:
            futures = {name: pool.submit(do) for name, (do, _) in steps.items()}
        failures = {name: failed for name, f in futures.items() if (failed := f.exception()) is not None}
        if not failures:
            link = bundle.link(self._settings)
            return CreatedUser(
                user_name=user_name, arn=arn, groups=groups, state=OnboardingState.INVITED, bundle=link
            )

        leftovers = [name for name, (_, undo) in steps.items() if name not in failures and not _done(undo)]
        if not _done(partial(retry_eventual, self._iam.delete_user, UserName=user_name)):
            leftovers.append("CreateUser")
        step, failure = next(iter(failures.items()))
        if isinstance(failure, Conflict):  # the state write found the name taken, in another letter case
            raise _taken(user_name) from failure
        raise _refusal(action, step, failure, leftovers) from failure


def _done(undo: Callable[[], Any]) -> bool:
    try:
        undo()
    except Exception:
        return False
    return True


def _refusal(action: str, step: str, failure: BaseException, leftovers: list[str]) -> AwsStepFailed:
    refusal = step_error(action, step, failure, leftovers=leftovers)
    if (
        step.startswith("AddUserToGroup(")
        and isinstance(failure, ClientError)
        and error_code(failure) == "NoSuchEntity"
    ):
        # The managed groups are made by the account bootstrap, not by the stack (its role may not).
        group = step.removeprefix("AddUserToGroup(").removesuffix(")")
        refusal = type(refusal)(
            refusal.step,
            refusal.aws_code,
            f"{refusal.message} The group {group} does not exist in this account: an administrator runs "
            "`python -m deploy.bootstrap_account --apply` once (see the README), then try again.",
        )
    return refusal
