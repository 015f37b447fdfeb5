"""The daily audit: collect the account once, run every check over it, store and return the report.

AWS calls grow with the number of *failing* users, not all users: the credential report, paginated
GetAccountAuthorizationDetails and ListVirtualMFADevices (unassigned ones), the password policy and the
account summary, then one ListMFADevices per user the (up to 4-hour-old) credential report marks
without MFA.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import time
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib import account
from chalicelib.audit_checks import ALL_CHECKS, run_checks
from chalicelib.audit_checks.snapshot import (
    AccessKeyRow,
    AccountSnapshot,
    CredentialRow,
    IamGroup,
    IamUser,
    PasswordPolicyFacts,
    RootFacts,
    SecretParameter,
)
from chalicelib.aws_errors import error_code, step_error
from chalicelib.config import POLICIES_DIR, Settings
from chalicelib.errors import CredentialReportNotReady
from chalicelib.models.audit import AuditReport, AuditSummary, Finding, Severity
from chalicelib.models.records import Actor, TrailEntry
from chalicelib.state import StateStore

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_ssm import SSMClient

log = logging.getLogger(__name__)

SCHEDULER = Actor(id="scheduler", channel="schedule")
REPORT_RETENTION = timedelta(days=90)
# IAM's largest page: a 5,000-user account is six pages of authorization details instead of fifty.
PAGE_SIZE = 1000
_ROOT = "<root_account>"
# Credential-report values that mean "no date": never used, before tracking began, or not applicable.
_NO_DATE = frozenset({"N/A", "no_information", "not_supported", ""})


# --- the credential report ----------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialReport:
    """The credential report as IAM generated it: rows per user, root included."""

    generated_at: datetime | None
    rows: tuple[CredentialRow, ...]


def _date(value: str) -> datetime | None:
    return None if value in _NO_DATE else datetime.fromisoformat(value.replace("Z", "+00:00"))


def parse_credential_report(content: bytes | str) -> tuple[CredentialRow, ...]:
    """The rows of a credential report's CSV."""
    text = content.decode() if isinstance(content, bytes) else content
    rows = []
    for r in csv.DictReader(io.StringIO(text)):
        keys = tuple(
            AccessKeyRow(
                number=n,
                active=r[f"access_key_{n}_active"] == "true",
                last_rotated=_date(r[f"access_key_{n}_last_rotated"]),
                last_used=_date(r[f"access_key_{n}_last_used_date"]),
            )
            for n in (1, 2)
            if r[f"access_key_{n}_active"] == "true" or _date(r[f"access_key_{n}_last_rotated"])
        )
        rows.append(
            CredentialRow(
                user=r["user"],
                arn=r["arn"],
                password_enabled=r["password_enabled"] == "true",  # noqa: S105 - a flag, not a password
                password_last_used=_date(r["password_last_used"]),
                mfa_active=r["mfa_active"] == "true",
                access_keys=keys,
            )
        )
    return tuple(rows)


def fetch_credential_report(
    iam: IAMClient,
    *,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    deadline: float = 20.0,
) -> CredentialReport:
    """Ask IAM for a credential report and poll, backing off, until it is ready or `deadline` passes.

    IAM answers COMPLETE at once while its last report is under 4 hours old, so usually this is one
    GenerateCredentialReport and one GetCredentialReport.
    """
    start, delay = monotonic(), 0.5
    while iam.generate_credential_report()["State"] != "COMPLETE":
        if monotonic() - start + delay > deadline:
            raise CredentialReportNotReady(
                "AWS is still generating the credential report; run the audit again in a minute."
            )
        sleep(delay)
        delay = min(delay * 2, 8.0)
    report = iam.get_credential_report()
    generated = report.get("GeneratedTime")
    return CredentialReport(
        generated_at=generated.astimezone(UTC) if generated else None,
        rows=parse_credential_report(report["Content"]),
    )


# --- the rest of the account ----------------------------------------------------------------------


def _document(document: Any) -> Any:
    # botocore decodes policy documents into dicts; a raw API answer is URL-encoded JSON.
    return json.loads(urllib.parse.unquote(document)) if isinstance(document, str) else document


@dataclass(frozen=True)
class AuthorizationDetails:
    """Users, groups and local managed policies' default documents, from GetAccountAuthorizationDetails."""

    users: dict[str, IamUser]
    groups: dict[str, IamGroup]
    policies: dict[str, Any]


def fetch_authorization_details(iam: IAMClient) -> AuthorizationDetails:
    """Every user, group and local managed policy, in pages of 1,000."""
    pages = iam.get_paginator("get_account_authorization_details").paginate(
        Filter=["User", "Group", "LocalManagedPolicy"], PaginationConfig={"PageSize": PAGE_SIZE}
    )
    users: dict[str, IamUser] = {}
    groups: dict[str, IamGroup] = {}
    policies: dict[str, Any] = {}
    for page in pages:
        for u in page.get("UserDetailList", []):
            users[u["UserName"]] = IamUser(
                name=u["UserName"],
                arn=u["Arn"],
                path=u.get("Path", "/"),
                created_at=u["CreateDate"].astimezone(UTC),
                groups=tuple(u.get("GroupList", [])),
                attached_policies=tuple(p["PolicyName"] for p in u.get("AttachedManagedPolicies", [])),
                inline_policies=tuple(p["PolicyName"] for p in u.get("UserPolicyList", [])),
            )
        for g in page.get("GroupDetailList", []):
            groups[g["GroupName"]] = IamGroup(
                name=g["GroupName"],
                attached_policies=tuple(p["PolicyName"] for p in g.get("AttachedManagedPolicies", [])),
            )
        for p in page.get("Policies", []):
            versions = p.get("PolicyVersionList", [])
            default = next((v for v in versions if v.get("VersionId") == p.get("DefaultVersionId")), None)
            if default is not None:
                # The name is the ARN's last segment (the emulator leaves PolicyName out of this answer).
                policies[p["Arn"].rsplit("/", 1)[1]] = _document(default.get("Document"))
    return AuthorizationDetails(users, groups, policies)


def fetch_unassigned_mfa_devices(iam: IAMClient) -> tuple[str, ...]:
    """The serial numbers of virtual MFA devices assigned to nobody, in pages of 1,000.

    Only unassigned ones: listing every device would cost a page per 1,000 healthy users, and the
    credential report already says who has MFA.
    """
    pages = iam.get_paginator("list_virtual_mfa_devices").paginate(
        AssignmentStatus="Unassigned", PaginationConfig={"PageSize": PAGE_SIZE}
    )
    return tuple(d["SerialNumber"] for page in pages for d in page["VirtualMFADevices"])


def fetch_password_policy(iam: IAMClient) -> PasswordPolicyFacts | None:
    """The account password policy, fresh (not the cached one), or None when the account has none."""
    p = account.read_password_policy(iam)
    if p is None:
        return None
    return PasswordPolicyFacts(
        minimum_length=p.get("MinimumPasswordLength", 6),
        require_uppercase=p.get("RequireUppercaseCharacters", False),
        require_lowercase=p.get("RequireLowercaseCharacters", False),
        require_numbers=p.get("RequireNumbers", False),
        require_symbols=p.get("RequireSymbols", False),
        reuse_prevention=p.get("PasswordReusePrevention"),
    )


def fetch_root_facts(iam: IAMClient) -> RootFacts:
    """Root's MFA and access keys, from the account summary (current, unlike the credential report)."""
    summary = iam.get_account_summary()["SummaryMap"]
    return RootFacts(
        mfa_enabled=summary.get("AccountMFAEnabled", 0) == 1,
        access_keys_present=summary.get("AccountAccessKeysPresent", 0) == 1,
    )


def fetch_secret_parameters(ssm: SSMClient, names: Sequence[str]) -> tuple[SecretParameter, ...]:
    """What SSM says of the service's secret parameters (type and key, never the value)."""
    if not names:
        return ()
    found: list[SecretParameter] = []
    paginator = ssm.get_paginator("describe_parameters")
    for page in paginator.paginate(
        ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": list(names)}]
    ):
        found += [SecretParameter(p["Name"], p.get("Type", ""), p.get("KeyId")) for p in page["Parameters"]]
    return tuple(sorted(found, key=lambda p: p.name))


def has_mfa_device(iam: IAMClient, user_name: str) -> bool:
    """Whether the user has any MFA device now (virtual, hardware or passkey); a deleted user has none."""
    try:
        return bool(iam.list_mfa_devices(UserName=user_name)["MFADevices"])
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return False
        raise


# --- the auditor ------------------------------------------------------------------------------------


def summarize(snapshot: AccountSnapshot, findings: list[Finding]) -> AuditSummary:
    """Counts by severity and by check (every severity and every check present, zeros included)."""
    by_check = {c.id: 0 for c in sorted(ALL_CHECKS, key=lambda c: c.id)}
    by_severity = {s.value: 0 for s in Severity}
    for f in findings:
        by_check[f.check_id] = by_check.get(f.check_id, 0) + 1
        by_severity[f.severity.value] += 1
    return AuditSummary(
        users=len(snapshot.users),
        checks=len(ALL_CHECKS),
        findings=len(findings),
        by_severity=by_severity,
        by_check=by_check,
    )


class Auditor:
    """Runs the audit over one snapshot of the account, and keeps the reports."""

    def __init__(
        self,
        iam: IAMClient,
        store: StateStore,
        settings: Settings,
        *,
        stalled_after: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        report_deadline: float = 20.0,
        ssm: SSMClient | None = None,
        secret_parameters: Sequence[str] = (),
    ) -> None:
        self._iam = iam
        self._ssm = ssm
        self._secret_parameters = tuple(secret_parameters) if ssm is not None else ()
        self._store = store
        self._settings = settings
        self._stalled_after = stalled_after
        self._clock = clock
        self._monotonic = monotonic
        self._sleep = sleep
        self._report_deadline = report_deadline

    def _expected_policies(self) -> dict[str, Any]:
        names = {name for spec in self._settings.groups.values() for name in spec.local_policies}
        return {name: json.loads((POLICIES_DIR / f"{name.lower()}.json").read_text()) for name in names}

    def _confirm_mfa(self, suspects: Iterable[str]) -> set[str]:
        names = sorted(suspects)
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda name: has_mfa_device(self._iam, name), names))
        return {name for name, has in zip(names, answers, strict=True) if has}

    def snapshot(self) -> AccountSnapshot:
        """Everything the checks read, each source fetched once (in parallel), MFA state made fresh."""
        iam = self._iam
        jobs: dict[str, Callable[[], Any]] = {
            "GetCredentialReport": lambda: fetch_credential_report(
                iam, monotonic=self._monotonic, sleep=self._sleep, deadline=self._report_deadline
            ),
            "GetAccountAuthorizationDetails": lambda: fetch_authorization_details(iam),
            "ListVirtualMFADevices": lambda: fetch_unassigned_mfa_devices(iam),
            "GetAccountPasswordPolicy": lambda: fetch_password_policy(iam),
            "GetAccountSummary": lambda: fetch_root_facts(iam),
            "StateTableUsers": self._store.list_users,
            "StateTableLinks": self._store.list_links,
        }
        if self._ssm is not None and self._secret_parameters:
            ssm = self._ssm
            jobs["DescribeParameters"] = lambda: fetch_secret_parameters(ssm, self._secret_parameters)
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            futures = {name: pool.submit(job) for name, job in jobs.items()}
        for name, future in futures.items():
            error = future.exception()
            if isinstance(error, ClientError):
                raise step_error("Auditing the account", name, error) from error
            if error is not None:
                raise error
        report: CredentialReport = futures["GetCredentialReport"].result()
        details: AuthorizationDetails = futures["GetAccountAuthorizationDetails"].result()

        # Users deleted since the report was generated are gone; users created since are not in it yet.
        rows = tuple(r for r in report.rows if r.user != _ROOT and r.user in details.users)
        mfa_users = {r.user for r in rows if r.mfa_active}
        managed = self._settings.user_path
        # Only users a check would report for missing MFA are confirmed live: console users and
        # managed (onboarding) users.
        suspects = {
            r.user
            for r in rows
            if r.user not in mfa_users
            and (r.password_enabled or details.users[r.user].path.startswith(managed))
        }
        try:
            mfa_users |= self._confirm_mfa(suspects)
        except ClientError as error:
            raise step_error("Auditing the account", "ListMFADevices", error) from error

        return AccountSnapshot(
            now=self._clock(),
            managed_path=managed,
            managed_groups=self._settings.groups,
            stalled_after=self._stalled_after,
            credential_rows=rows,
            users=details.users,
            groups=details.groups,
            deployed_policies=details.policies,
            expected_policies=self._expected_policies(),
            unassigned_mfa_devices=futures["ListVirtualMFADevices"].result(),
            mfa_users=frozenset(mfa_users),
            password_policy=futures["GetAccountPasswordPolicy"].result(),
            root=futures["GetAccountSummary"].result(),
            records={r.user_name.lower(): r for r in futures["StateTableUsers"].result()},
            links={link.link_id: link for link in futures["StateTableLinks"].result()},
            credential_report_generated_at=report.generated_at,
            secret_parameters=futures["DescribeParameters"].result()
            if "DescribeParameters" in futures
            else (),
        )

    def audit(self) -> AuditReport:
        """Run every check over a fresh snapshot; stores nothing."""
        snapshot = self.snapshot()
        findings = run_checks(snapshot)
        return AuditReport(
            generated_at=snapshot.now,
            credential_report_generated_at=snapshot.credential_report_generated_at,
            summary=summarize(snapshot, findings),
            findings=findings,
        )

    def run(self, actor: Actor = SCHEDULER) -> AuditReport:
        """Audit now, store the report (the newest becomes `latest()`), record who asked, return it."""
        try:
            report = self.audit()
            # Compressed: an item holds 400 KB, and thousands of findings repeat the same phrases.
            body = zlib.compress(report.model_dump_json().encode())
            self._store.transact(
                [
                    self._store.report_put(report.generated_at, body, report.generated_at + REPORT_RETENTION),
                    self._store.trail_put(self._trail(actor, f"ok: {report.summary.findings} findings")),
                ]
            )
        except Exception as error:
            with contextlib.suppress(Exception):
                self._store.record(self._trail(actor, f"failed: {type(error).__name__}"))
            raise
        return report

    def latest(self) -> AuditReport | None:
        """The newest stored report, if any."""
        body = self._store.latest_report()
        return AuditReport.model_validate_json(zlib.decompress(body)) if body else None

    def _trail(self, actor: Actor, outcome: str) -> TrailEntry:
        return TrailEntry(actor.id, "run_audit", "account", actor.channel, outcome, self._clock())
