"""The audit summary Slack receives; a module of its own, so that posting it never loads the checks."""

from __future__ import annotations

from datetime import UTC

from chalicelib.models.audit import AuditReport


def summary_text(report: AuditReport) -> str:
    """A short Slack message: counts only, no user names, nothing secret."""
    s = report.summary
    severities = ", ".join(f"{count} {name}" for name, count in s.by_severity.items() if count)
    checks = ", ".join(
        f"{cid} ({n})" for cid, n in sorted(s.by_check.items(), key=lambda i: (-i[1], i[0])) if n
    )
    head = f"IAM audit {report.generated_at.astimezone(UTC):%Y-%m-%d %H:%M}Z: {s.findings} findings"
    head += f" ({severities}) over {s.users} users." if s.findings else f" over {s.users} users."
    tail = "Details: GET /admin/audit." if s.findings else ""
    return "\n".join(part for part in (head, checks, tail) if part)
