"""`/admin/audit`: run the audit now, or read the newest report."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib import wiring
from chalicelib.api.admin import authorized_admin, iam_auth
from chalicelib.api.http import json_response, translating_errors
from chalicelib.errors import NoReport

audit = Blueprint(__name__)


@audit.route("/admin/audit", methods=["POST"], authorizer=iam_auth)
@translating_errors
def run_audit() -> Response:
    """Audit the account now; the report is stored and returned."""
    return json_response(wiring.auditor().run(authorized_admin()))


@audit.route("/admin/audit", methods=["GET"], authorizer=iam_auth)
@translating_errors
def latest_audit() -> Response:
    """The newest stored report."""
    authorized_admin()
    report = wiring.auditor().latest()
    if report is None:
        raise NoReport("No audit has run yet; POST /admin/audit runs one now.")
    return json_response(report)
