"""The audit: collect the account once, run every check over it, store and return the report.

AWS calls grow with the number of *failing* users, not all users: the credential report, paginated
GetAccountAuthorizationDetails and ListVirtualMFADevices (unassigned ones), the password policy and the
account summary, then one ListMFADevices per user the (up to 4-hour-old) credential report marks
without MFA.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.audit.checks import ALL_CHECKS, run_checks
from chalicelib.audit.collect import (
    AuthorizationDetails,
    CredentialReport,
    fetch_authorization_details,
    fetch_credential_report,
    fetch_password_policy,
    fetch_root_facts,
    fetch_secret_parameters,
    fetch_unassigned_mfa_devices,
    read_expected_policies,
)
from chalicelib.audit.snapshot import ROOT, AccountSnapshot
from chalicelib.aws_errors import step_error
from chalicelib.config import Settings
from chalicelib.models.audit import AuditReport, AuditSummary, Finding, Severity
from chalicelib.models.records import Actor
from chalicelib.onboarding import devices
from chalicelib.state import StateStore
from chalicelib.trail import Trail, recorded

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_ssm import SSMClient

log = logging.getLogger(__name__)

SCHEDULER = Actor(id="scheduler", channel="schedule")
REPORT_RETENTION = timedelta(days=90)


@dataclass(frozen=True)
class Clocks:
    """The audit's sense of time, which tests replace: the report's wall clock, and the monotonic clock and
    sleep of the wait for IAM's credential report."""

    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


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
        report_deadline: float = 20.0,
        ssm: SSMClient | None = None,
        kms: KMSClient | None = None,
        secret_parameters: Sequence[str] = (),
        secrets_key_arn: str | None = None,
        clocks: Clocks = Clocks(),
        sweep: Callable[[], list[str]] | None = None,
    ) -> None:
        self._iam = iam
        self._ssm = ssm
        self._kms = kms
        self._secret_parameters = tuple(secret_parameters) if ssm is not None and kms is not None else ()
        self._secrets_key_arn = secrets_key_arn
        self._store = store
        self._settings = settings
        self._stalled_after = stalled_after
        self._report_deadline = report_deadline
        self._clocks = clocks
        self._sweep = sweep
        self.trail = Trail(store, clocks.now)

    def snapshot(self) -> AccountSnapshot:
        """Everything the checks read, each source fetched once (in parallel), MFA state made fresh."""
        iam, clocks = self._iam, self._clocks
        jobs: dict[str, Callable[[], Any]] = {
            "GetCredentialReport": lambda: fetch_credential_report(
                iam, monotonic=clocks.monotonic, sleep=clocks.sleep, deadline=self._report_deadline
            ),
            "GetAccountAuthorizationDetails": lambda: fetch_authorization_details(iam),
            "ListVirtualMFADevices": lambda: fetch_unassigned_mfa_devices(iam),
            "GetAccountPasswordPolicy": lambda: fetch_password_policy(iam),
            "GetAccountSummary": lambda: fetch_root_facts(iam),
            "StateTableUsers": self._store.list_users,
            "StateTableLinks": self._store.list_links,
            "StateTableGrants": self._store.list_grants,
        }
        if self._ssm is not None and self._kms is not None and self._secret_parameters:
            ssm, kms = self._ssm, self._kms
            jobs["DescribeParameters"] = lambda: fetch_secret_parameters(ssm, kms, self._secret_parameters)
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
        rows = tuple(r for r in report.rows if r.user != ROOT and r.user in details.users)
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
            mfa_users |= devices.with_mfa(iam, suspects)
        except ClientError as error:
            raise step_error("Auditing the account", "ListMFADevices", error) from error

        return AccountSnapshot(
            now=clocks.now(),
            managed_path=managed,
            managed_groups=self._settings.groups,
            stalled_after=self._stalled_after,
            credential_rows=rows,
            users=details.users,
            groups=details.groups,
            deployed_policies=details.policies,
            expected_policies=read_expected_policies(self._settings.groups),
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
            secrets_key_arn=self._secrets_key_arn,
            grants=tuple(futures["StateTableGrants"].result()),
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

    @recorded("run_audit", target="account")
    def run(self, actor: Actor = SCHEDULER) -> AuditReport:
        """Audit now, store the report (the newest becomes `latest()`), record who asked, return it.

        First, grants whose schedule was missed are ended (`sweep`), so the report shows what is left.
        """
        if self._sweep is not None:
            try:
                self._sweep()
            except Exception as error:
                # The report still runs: it then shows the unswept members as standing members.
                log.error("the elevation sweep failed: %s", type(error).__name__)
        report = self.audit()
        # Compressed: an item holds 400 KB, and thousands of findings repeat the same phrases.
        body = zlib.compress(report.model_dump_json().encode())
        self._store.transact(
            [
                self._store.report_put(report.generated_at, body, report.generated_at + REPORT_RETENTION),
                self.trail.ok(
                    actor, "run_audit", "account", outcome=f"ok: {report.summary.findings} findings"
                ),
            ]
        )
        return report

    def run_scheduled(self, announce: Callable[[AuditReport], None]) -> AuditReport:
        """The daily run: audit and store as the scheduler, then `announce` the report (to Slack).

        The report is stored either way: a failed announcement is only logged, by its type alone, since
        the message of a failed post can carry the webhook's URL.
        """
        report = self.run()
        try:
            announce(report)
        except Exception as error:
            log.error("posting the audit summary to Slack failed: %s", type(error).__name__)
        return report

    def latest(self) -> AuditReport | None:
        """The newest stored report, if any."""
        body = self._store.latest_report()
        return AuditReport.model_validate_json(zlib.decompress(body)) if body else None
