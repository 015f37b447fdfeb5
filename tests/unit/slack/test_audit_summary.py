"""The audit's Slack message: counts only, never a user name; the webhook must be https."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.errors import InvalidRequest
from chalicelib.models.audit import AuditReport, AuditSummary, Finding, Severity
from chalicelib.slack.jobs import post_to_slack
from chalicelib.slack.replies import summary_text

AT = datetime(2026, 11, 29, 6, 30, tzinfo=UTC)


def report(findings: list[Finding], users: int = 40) -> AuditReport:
    by_check: dict[str, int] = {"iam_root_mfa_enabled": 0, "iam_user_mfa_enabled_console_access": 0}
    by_severity = {s.value: 0 for s in Severity}
    for f in findings:
        by_check[f.check_id] += 1
        by_severity[f.severity.value] += 1
    summary = AuditSummary(
        users=users, checks=2, findings=len(findings), by_severity=by_severity, by_check=by_check
    )
    return AuditReport(
        generated_at=AT, credential_report_generated_at=None, summary=summary, findings=findings
    )


def test_a_clean_account_is_one_line() -> None:
    assert summary_text(report([])) == "IAM audit 2026-11-29 06:30Z: 0 findings over 40 users."


def test_findings_are_counted_by_severity_and_by_check_most_frequent_first_without_names() -> None:
    findings = [
        Finding(
            check_id="iam_user_mfa_enabled_console_access",
            severity=Severity.HIGH,
            resource=name,
            message=f"User {name} has Console Password enabled but MFA disabled.",
            remediation="enroll",
        )
        for name in ("alice", "bob")
    ] + [
        Finding(
            check_id="iam_root_mfa_enabled",
            severity=Severity.CRITICAL,
            resource="<root_account>",
            message="MFA is not enabled for root account.",
            remediation="root",
        )
    ]

    text = summary_text(report(findings))

    assert text == (
        "IAM audit 2026-11-29 06:30Z: 3 findings (1 critical, 2 high) over 40 users.\n"
        "iam_user_mfa_enabled_console_access (2), iam_root_mfa_enabled (1)\n"
        "Details: GET /admin/audit."
    )
    assert "alice" not in text and "bob" not in text


def test_a_slack_url_that_is_not_https_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(InvalidRequest, match="not a Slack URL"):
        post_to_slack("http://hooks.slack.example/services/T/B/x", {"text": "text"}, loopback_ok=False)
