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
from chalicelib.people.exclusive import UserLock, changing
from chalicelib.people.passwords import (
    FirstPasswordFailed,
    generate_password,
    password_policy,
    put_first_password,
)
from chalicelib.service import Service
from chalicelib.state import Conflict
from chalicelib.trail import recorded


def _taken(user_name: str) -> UserExists:
    return UserExists(f"A user named {user_name} exists already (names ignore letter case).")


class Creation(Service):
    """Makes new managed users."""

    @recorded("create_user")
    def create_user(self, user_name: str, groups: list[str], actor: Actor) -> CreatedUser:
        """Create a user in `groups` with a first password and a one-time link, or leave nothing.

        Every step is retry-safe (botocore retries a call whose answer was lost after it took effect), and
        a create that fails is undone step by step; if the undo fails too, the same command run again
        finishes the user, whom `CREATED_BY` marks as this service's half-made user.
        """
        unknown = [g for g in groups if g not in self._settings.groups]
        if unknown:
            raise InvalidRequest(
                f"Unknown group {', '.join(unknown)}; choose from {', '.join(sorted(self._settings.groups))}."
            )
        with changing(self._store, user_name, "create_user", self._clock) as lock:
            return self._create(lock, user_name, groups, actor)

    def _create(self, lock: UserLock, user_name: str, groups: list[str], actor: Actor) -> CreatedUser:
        action = f"Creating user {user_name}"
        password = generate_password(password_policy(self._iam))
        now = self._clock()
        user = self._new_iam_user(action, user_name)
        arn, user_id = user["Arn"], user["UserId"]

        bundle = links.issue(
            LinkKind.CREDENTIALS, user_name, self._settings, now, user_id=user_id, secret=password
        )
        record = UserRecord(
            user_name, arn, rfc3339(now), OnboardingState.INVITED, bundle_id=bundle.link_id, user_id=user_id
        )
        # Group memberships, the login profile and the state write are independent: run them at once,
        # so creation costs the same three round trips whatever the number of groups. Each undo is safe
        # to run whether or not its step took effect.
        steps: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
            f"AddUserToGroup({g})": (
                partial(retry_eventual, self._iam.add_user_to_group, GroupName=g, UserName=user_name),
                partial(_gone_is_fine, self._iam.remove_user_from_group, GroupName=g, UserName=user_name),
            )
            for g in groups
        }
        steps["CreateLoginProfile"] = (
            partial(put_first_password, self._iam, user_name, password, has_profile=False),
            partial(_gone_is_fine, self._iam.delete_login_profile, UserName=user_name),
        )
        steps["StateWrite"] = (
            # With the lock given back: a user complete in the table is free for the next change.
            partial(
                lock.commit,
                [
                    self._store.new_user_put(record),
                    self._store.link_put(bundle.record),
                    self.trail.ok(actor, "create_user", user_name),
                ],
            ),
            partial(self._forget, record, bundle.link_id),
        )
        with ThreadPoolExecutor(max_workers=len(steps)) as pool:
            futures = {name: pool.submit(do) for name, (do, _) in steps.items()}
        failures = {name: failed for name, f in futures.items() if (failed := f.exception()) is not None}
        if not failures:
            return CreatedUser(
                user_name=user_name,
                arn=arn,
                groups=groups,
                state=OnboardingState.INVITED,
                bundle=bundle.link(self._settings),
            )

        step, failure = next(iter(failures.items()))
        taken = isinstance(failure, Conflict)  # the state write found the name taken, in another letter case
        # A failed step may have taken effect all the same (its answer was lost): undo every step.
        leftovers = [
            name
            for name, (_, undo) in steps.items()
            if not _done(undo) and not (taken and name == "StateWrite")
        ]
        if not _done(partial(_gone_is_fine, self._iam.delete_user, UserName=user_name)):
            leftovers.append("CreateUser")
        if taken:
            raise _taken(user_name) from failure
        if isinstance(failure, FirstPasswordFailed):
            step, failure = failure.step, failure.error
        raise _refusal(action, user_name, step, failure, leftovers) from failure

    def _forget(self, record: UserRecord, link_id: str) -> None:
        """Undo the state write, which may or may not have taken effect; fine when there is nothing."""
        try:
            self._store.transact([self._store.user_delete(record), self._store.link_delete(link_id)])
        except Exception:
            store = self._store
            if store.get_user(record.user_name) is not None or store.get_link(link_id) is not None:
                raise

    def _new_iam_user(self, action: str, user_name: str) -> dict[str, Any]:
        """The new IAM user; or the half-made one a failed create of the same name left (finished now)."""
        try:
            return dict(
                retry_eventual(
                    self._iam.create_user,
                    UserName=user_name,
                    Path=self._settings.user_path,
                    Tags=[CREATED_BY],
                )["User"]
            )
        except ClientError as error:
            if error_code(error) != "EntityAlreadyExists":
                raise step_error(action, "CreateUser", error) from error
            # Our own CreateUser, retried after it took effect, or a create that failed and could not be
            # undone: either way a user of ours with no record. Anyone else's user is taken.
            try:
                existing = self._iam.get_user(UserName=user_name)["User"]
            except ClientError as lookup_error:
                raise step_error(action, "GetUser", lookup_error) from lookup_error
            if CREATED_BY in existing.get("Tags", []) and self._store.get_user(user_name) is None:
                return dict(existing)
            raise _taken(user_name) from error


# Marks the IAM users this service made: a half-made one (no record) is finished by the next create.
CREATED_BY = {"Key": "created-by", "Value": "iam-onboarding"}


def _gone_is_fine(call: Callable[..., Any], **kwargs: Any) -> None:
    """An undo: the call, retried through IAM's eventual consistency, where "already gone" is success."""
    try:
        retry_eventual(call, **kwargs)
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise


def _done(undo: Callable[[], Any]) -> bool:
    try:
        undo()
    except Exception:
        return False
    return True


def _refusal(
    action: str, user_name: str, step: str, failure: BaseException, leftovers: list[str]
) -> AwsStepFailed:
    outcome = None
    if leftovers:
        outcome = (
            f"Cleaning up failed too ({', '.join(leftovers)} left): run the same command again to finish "
            f"creating {user_name}, or offboard {user_name} to remove what is left."
        )
    refusal = step_error(action, step, failure, outcome=outcome)
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
