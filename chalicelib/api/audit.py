"""`/admin/audit` (run now, read the latest) and the daily scheduled audit with its Slack summary."""

from __future__ import annotations

import logging
import os

from chalice.app import Blueprint, Response

from chalicelib import aws, wiring
from chalicelib.api.admin import authorized_admin, iam_auth
from chalicelib.api.http import json_response, translating_errors
from chalicelib.config import slack_settings
from chalicelib.errors import NoReport
from chalicelib.models.audit import AuditReport

audit = Blueprint(__name__)
log = logging.getLogger(__name__)

SCHEDULED_REPORT_DEADLINE = 240.0


@audit.route("/admin/audit", methods=["POST"], authorizer=iam_auth)
@translating_errors
def run_audit() -> Response:
    """Audit the account now; the report is stored and returned."""
    actor = authorized_admin()
    return json_response(wiring.auditor().run(actor))


@audit.route("/admin/audit", methods=["GET"], authorizer=iam_auth)
@translating_errors
def latest_audit() -> Response:
    """The newest stored report."""
    authorized_admin()
    report = wiring.auditor().latest()
    if report is None:
        raise NoReport("No audit has run yet; POST /admin/audit runs one now.")
    return json_response(report)


def audit_webhook_url() -> str | None:
    """The Slack webhook for audit summaries: a secret, from SSM when deployed, the environment locally."""
    name = slack_settings().audit_webhook_param
    if name:
        return aws.ssm().get_parameter(Name=name, WithDecryption=True)["Parameter"].get("Value")
    return os.environ.get("SLACK_AUDIT_WEBHOOK_URL") or None


def run_daily_audit() -> AuditReport:
    """The scheduled audit: run and store it, then post the summary to Slack when a webhook is set."""
    from chalicelib.slack.jobs import post_to_slack
    from chalicelib.slack.replies import summary_text

    # No API Gateway in front of the scheduled Lambda: it can wait longer for a large account's report.
    report = wiring.auditor(report_deadline=SCHEDULED_REPORT_DEADLINE).run()
    try:
        url = audit_webhook_url()
        if url:
            post_to_slack(url, {"text": summary_text(report)}, loopback_ok=not slack_settings().in_lambda)
    except Exception as error:
        # The report is stored either way. The type only: the message of a failed post can carry the URL.
        log.error("posting the audit summary to Slack failed: %s", type(error).__name__)
    return report
