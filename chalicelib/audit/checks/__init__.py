"""The audit's checks: pure functions over one `AccountSnapshot`, keyed by Prowler's id where one exists."""

from __future__ import annotations

from chalicelib.audit.checks import account, credentials, elevation, onboarding, policies
from chalicelib.audit.checks.base import Check
from chalicelib.audit.snapshot import AccountSnapshot
from chalicelib.models.audit import SEVERITY_ORDER, Finding

ALL_CHECKS: tuple[Check, ...] = (
    *account.CHECKS,
    *credentials.CHECKS,
    *policies.CHECKS,
    *onboarding.CHECKS,
    *elevation.CHECKS,
)


def run_checks(snapshot: AccountSnapshot, checks: tuple[Check, ...] = ALL_CHECKS) -> list[Finding]:
    """Every finding of `checks`, most severe first, then by check id, resource and message."""
    findings = [finding for c in checks for finding in c.execute(snapshot)]
    return sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.check_id, f.resource, f.message))
