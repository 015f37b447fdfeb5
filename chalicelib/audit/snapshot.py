"""The account as the audit saw it: everything the checks read, fetched once, before any check runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.config import GroupSpec
    from chalicelib.models.records import GrantRecord, LinkRecord, UserRecord

# The credential report's name for the root user, and the resource of root's findings.
ROOT = "<root_account>"


@dataclass(frozen=True)
class AccessKeyRow:
    """One of the two access-key slots of a credential-report row."""

    number: int
    active: bool
    last_rotated: datetime | None
    last_used: datetime | None


@dataclass(frozen=True)
class CredentialRow:
    """One IAM user's row of the credential report (root excluded)."""

    user: str
    arn: str
    password_enabled: bool
    password_last_used: datetime | None
    mfa_active: bool
    access_keys: tuple[AccessKeyRow, ...] = ()


@dataclass(frozen=True)
class IamUser:
    """A user as GetAccountAuthorizationDetails describes it."""

    name: str
    arn: str
    path: str
    created_at: datetime
    groups: tuple[str, ...] = ()
    attached_policies: tuple[str, ...] = ()
    inline_policies: tuple[str, ...] = ()


@dataclass(frozen=True)
class IamGroup:
    """A group and the names of the managed policies attached to it."""

    name: str
    attached_policies: tuple[str, ...] = ()


@dataclass(frozen=True)
class PasswordPolicyFacts:
    """The account password policy as set (IAM's own defaults are not a policy)."""

    minimum_length: int = 6
    require_uppercase: bool = False
    require_lowercase: bool = False
    require_numbers: bool = False
    require_symbols: bool = False
    reuse_prevention: int | None = None


@dataclass(frozen=True)
class RootFacts:
    """What GetAccountSummary says of the root user."""

    mfa_enabled: bool
    access_keys_present: bool


@dataclass(frozen=True)
class SecretParameter:
    """An SSM parameter holding one of the service's secrets, as DescribeParameters shows it (no value)."""

    name: str
    type: str
    key_id: str | None
    # The ARN of the key `key_id` names (an alias, id or ARN), resolved by KMS; None if it resolves to none.
    key_arn: str | None = None


@dataclass(frozen=True)
class AccountSnapshot:
    """Everything the checks read. `mfa_users` is fresh: the stale report was confirmed by live calls."""

    now: datetime
    managed_path: str
    managed_groups: Mapping[str, GroupSpec]
    stalled_after: timedelta
    credential_rows: tuple[CredentialRow, ...] = ()
    users: Mapping[str, IamUser] = field(default_factory=dict)
    groups: Mapping[str, IamGroup] = field(default_factory=dict)
    deployed_policies: Mapping[str, Any] = field(default_factory=dict)
    expected_policies: Mapping[str, Any] = field(default_factory=dict)
    unassigned_mfa_devices: tuple[str, ...] = ()
    mfa_users: frozenset[str] = frozenset()
    password_policy: PasswordPolicyFacts | None = None
    root: RootFacts = RootFacts(mfa_enabled=True, access_keys_present=False)
    records: Mapping[str, UserRecord] = field(default_factory=dict)
    links: Mapping[str, LinkRecord] = field(default_factory=dict)
    credential_report_generated_at: datetime | None = None
    secret_parameters: tuple[SecretParameter, ...] = ()
    # The stack's own key for the Slack secrets (SLACK_SECRETS_KEY_ARN), the only one that should hold them.
    secrets_key_arn: str | None = None
    grants: tuple[GrantRecord, ...] = ()

    def record_of(self, user_name: str) -> UserRecord | None:
        """The service's record of a user, whatever the letter case (IAM names ignore it)."""
        return self.records.get(user_name.lower())

    def has_mfa(self, user_name: str) -> bool:
        """Whether the user has an MFA device now (not as of the credential report)."""
        return user_name in self.mfa_users

    def managed_users(self) -> list[IamUser]:
        """The users under the service's path, by name."""
        return sorted(
            (u for u in self.users.values() if u.path.startswith(self.managed_path)), key=lambda u: u.name
        )
