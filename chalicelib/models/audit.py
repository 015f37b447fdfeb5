"""The daily audit's report: findings keyed by check id, a summary, and the freshness of its inputs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from chalicelib.models import Body


class Severity(StrEnum):
    """How urgent a finding is, most urgent first."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


SEVERITY_ORDER = {s: i for i, s in enumerate(Severity)}


class Finding(Body):
    """One thing wrong with one resource, and what to do about it."""

    check_id: str
    severity: Severity
    resource: str
    message: str
    remediation: str


class AuditSummary(Body):
    """Counts a person (or a Slack channel) reads first; never a secret, never a resource name."""

    users: int
    checks: int
    findings: int
    by_severity: dict[str, int]
    by_check: dict[str, int]


class AuditReport(Body):
    """`POST /admin/audit`, `GET /admin/audit`: one run of every check over one snapshot of the account."""

    generated_at: datetime
    credential_report_generated_at: datetime | None
    summary: AuditSummary
    findings: list[Finding]
