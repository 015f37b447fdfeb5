"""Reading managed users: the list with groups and onboarding state, and one user in detail."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.aws_errors import error_code
from chalicelib.errors import UserNotFound
from chalicelib.models import UserDetail, UserSummary
from chalicelib.onboarding import devices
from chalicelib.people.managed import effective_state, find_managed_user
from chalicelib.service import Service


class Directory(Service):
    """The admin's view of the users under the managed path."""

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
        # Hardware tokens and passkeys show only in each user's own ListMFADevices: only users without an
        # assigned virtual device are asked, so enrolled newcomers cost nothing extra.
        mfa = f_mfa.result() | devices.with_mfa(
            self._iam, [u["UserName"] for u in listed if u["UserName"] not in f_mfa.result()]
        )
        rows = []
        for u in sorted(listed, key=lambda u: u["UserName"].lower()):
            name = u["UserName"]
            rec = records.get(name)
            state = effective_state(
                rec.state if rec else None, has_mfa=name in mfa, password_used="PasswordLastUsed" in u
            )
            rows.append(
                UserSummary(
                    user_name=name,
                    arn=u["Arn"],
                    groups=sorted(member_of.get(name, [])),
                    state=state,
                    created_at=u["CreateDate"],
                )
            )
        return rows

    def describe_user(self, user_name: str) -> UserDetail:
        """One managed user: groups, state, MFA devices, last password use."""
        record, user = find_managed_user(self._iam, self._store, self._settings, user_name)
        name = user["UserName"]
        with ThreadPoolExecutor(max_workers=2) as pool:
            f_groups = pool.submit(self._iam.list_groups_for_user, UserName=name)
            f_mfa = pool.submit(self._iam.list_mfa_devices, UserName=name)
        try:
            devices = [d["SerialNumber"] for d in f_mfa.result()["MFADevices"]]
            groups = sorted(g["GroupName"] for g in f_groups.result()["Groups"])
        except ClientError as error:
            if error_code(error) == "NoSuchEntity":
                raise UserNotFound(f"{name} was offboarded by another request meanwhile.") from error
            raise
        return UserDetail(
            user_name=name,
            arn=user["Arn"],
            groups=groups,
            state=effective_state(
                record.state if record else None,
                has_mfa=bool(devices),
                password_used="PasswordLastUsed" in user,
            ),
            created_at=user["CreateDate"],
            mfa_devices=devices,
            password_last_used=user.get("PasswordLastUsed"),
        )
