"""`/admin/audit`: run the audit now, or read the newest report."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib import wiring
from chalicelib.api.http import route
from chalicelib.errors import NoReport
from chalicelib.models.audit import AuditReport
from chalicelib.models.records import Actor

audit = Blueprint(__name__)


@route(audit, "/admin/audit", "POST", "Audit the account now", returns=AuditReport, access="admin")
def run_audit(actor: Actor) -> AuditReport:
    """Audit the account now; the report is stored and returned."""
    return wiring.auditor().run(actor)


@route(audit, "/admin/audit", "GET", "The latest audit report", returns=AuditReport, access="admin")
def latest_audit() -> AuditReport:
    """The newest stored report."""
    report = wiring.auditor().latest()
    if report is None:
        raise NoReport("No audit has run yet; POST /admin/audit runs one now.")
    return report
