"""Services built on this container's clients, settings and secrets: the one module on the request path
that reads them."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from chalicelib import account, aws, caches
from chalicelib.config import audit_stalled_after, settings, slack_settings
from chalicelib.errors import SlackNotConfigured
from chalicelib.people.identity import require_admin
from chalicelib.secrets import read_secret
from chalicelib.slack.jobs import JobQueue, LambdaJobs, LocalJobs, SlackWorker, post_to_slack
from chalicelib.slack.replies import summary_text
from chalicelib.state import StateStore

# The services are imported where they are built: a cold start loads the code of the route it serves,
# not of every route (the audit's checks, most of all, stay unloaded until an audit runs).
if TYPE_CHECKING:
    from chalicelib.audit.auditor import Auditor
    from chalicelib.models import ClaimedCredentials
    from chalicelib.models.audit import AuditReport
    from chalicelib.models.mfa import SessionReport
    from chalicelib.onboarding.enrollment import Enrollment
    from chalicelib.people.create import Creation
    from chalicelib.people.directory import Directory
    from chalicelib.people.identity import Caller
    from chalicelib.people.mfa_admin import MfaAdmin
    from chalicelib.people.offboarding import Offboarding
    from chalicelib.people.reissue import Reissue
    from chalicelib.slack.channel import SlackChannel
    from chalicelib.slack.gate import SlackGate

# No API Gateway in front of the scheduled Lambda: it can wait longer for a large account's report.
SCHEDULED_REPORT_DEADLINE = 240.0


def store() -> StateStore:
    """The state table of this deployment."""
    return StateStore(aws.dynamodb(), settings().table_name)


def creation() -> Creation:
    """Creating managed users."""
    from chalicelib.people.create import Creation

    return Creation(aws.iam(), store(), settings())


def directory() -> Directory:
    """Listing and describing managed users."""
    from chalicelib.people.directory import Directory

    return Directory(aws.iam(), store(), settings())


def reissue() -> Reissue:
    """Reissuing first credentials."""
    from chalicelib.people.reissue import Reissue

    return Reissue(aws.iam(), store(), settings())


def offboarding() -> Offboarding:
    """Offboarding managed users (and listing what that would remove)."""
    from chalicelib.people.offboarding import Offboarding
    from chalicelib.wiring_elevation import grant_ending

    return Offboarding(aws.iam(), store(), settings(), end_grants=grant_ending().end_all_of)


def mfa_admin() -> MfaAdmin:
    """The admin's enrollment links and MFA resets."""
    from chalicelib.people.mfa_admin import MfaAdmin

    return MfaAdmin(aws.iam(), store(), settings())


def enrollment() -> Enrollment:
    """The newcomer's MFA enrollment."""
    from chalicelib.onboarding.enrollment import Enrollment

    return Enrollment(aws.iam(), store(), settings())


def check_admin(user_name: str | None) -> None:
    """Refuse (403) unless `user_name` is an IAM user of this account in one of the admin groups."""
    require_admin(aws.iam(), user_name, settings().admin_groups)


def session_report(caller: Caller) -> SessionReport:
    """What IAM knows of the caller: identity, credential type, MFA devices and MFA state."""
    from chalicelib.people import session

    return session.session_report(aws.iam(), caller)


def claim_credentials(token: str, source_ip: str | None = None) -> ClaimedCredentials:
    """Open the credential bundle of a one-time link, once (trailed with `source_ip`)."""
    from chalicelib.onboarding.claim import Claim

    return Claim(aws.iam(), store(), settings()).claim(token, source_ip)


def provisionable_groups() -> list[str]:
    """The groups an admin may put a user in (policies/groups.json), sorted."""
    return sorted(settings().groups)


def secret(name: str) -> str:
    """An SSM SecureString by name (`secrets.read_secret`): the one way the product reads a secret."""
    return read_secret(aws.ssm(), name, key_arn=slack_settings().secrets_key_arn)


def slack_signing_secret() -> str:
    """Slack's signing secret: from SSM by name when deployed (`secret`), from the environment locally."""
    conf = slack_settings()
    if conf.signing_secret_param:
        return secret(conf.signing_secret_param)
    if conf.signing_secret:
        return conf.signing_secret
    raise SlackNotConfigured()


def slack_gate() -> SlackGate:
    """The signature check, workspace pin and allow-list of the Slack channel."""
    from chalicelib.slack.gate import SlackGate

    # Decided from settings before the secret is read: with Slack off (the template's default), an
    # anonymous request must cost no AWS call.
    conf = slack_settings()
    if conf.problem:
        raise SlackNotConfigured(conf.problem)
    if not (conf.team_id and conf.app_id):
        raise SlackNotConfigured(
            "Set SLACK_TEAM_ID and SLACK_APP_ID to your Slack workspace's and app's ids: only their requests "
            "are trusted."
        )
    if not conf.admins:
        raise SlackNotConfigured()  # nobody may act: no secret is worth reading
    signing_secret = slack_signing_secret()
    return SlackGate(
        signing_secret=signing_secret, admins=conf.admins, team_id=conf.team_id, app_id=conf.app_id
    )


def slack_channel() -> SlackChannel:
    """The Slack channel: its gate, the admin check, once-only records and the services commands use."""
    from chalicelib.slack.channel import SlackChannel
    from chalicelib.slack.commands import Services

    gate, conf = slack_gate(), settings()
    return SlackChannel(
        gate=gate,
        require_admin=check_admin,
        once=store(),
        services=Services(
            creation=creation,
            directory=directory,
            offboarding=offboarding,
            mfa_admin=mfa_admin,
            auditor=auditor,
            groups=conf.groups,
        ),
        loopback_ok=not slack_settings().in_lambda,
    )


def slack_worker() -> SlackWorker:
    """The worker Lambda's logic; each job builds its channel inside its checks."""
    return SlackWorker(slack_channel)


# Locally, slow work runs on threads of this process (tests `drain` it).
local_slack_jobs = LocalJobs(lambda job: slack_worker().run(job))


def slack_jobs() -> JobQueue:
    """The worker function when deployed (`SLACK_WORKER_FUNCTION`), else a thread of this process."""
    conf = slack_settings()
    if conf.worker_function:
        return LambdaJobs(aws.lambda_(), conf.worker_function)
    if conf.in_lambda:
        # A thread would be frozen with the Lambda as soon as the answer is sent: the work would not run.
        raise SlackNotConfigured("Slow commands need SLACK_WORKER_FUNCTION set on this deployment.")
    return local_slack_jobs


def auditor(*, report_deadline: float = 20.0) -> Auditor:
    """The daily audit of this deployment: `.run()` audits, stores and returns; `.latest()` reads back.

    `report_deadline` bounds the wait for IAM's credential report: 20 s fits API Gateway's 29 s limit.
    """
    from chalicelib.audit.auditor import Auditor
    from chalicelib.wiring_elevation import sweep_elevations

    conf = slack_settings()
    # The audit checks how the Slack secrets are stored (never reads them): the names are settings.
    secrets = tuple(name for name in (conf.signing_secret_param, conf.audit_webhook_param) if name)
    return Auditor(
        aws.iam(),
        store(),
        settings(),
        stalled_after=audit_stalled_after(),
        report_deadline=report_deadline,
        ssm=aws.ssm() if secrets else None,
        kms=aws.kms() if secrets else None,
        secret_parameters=secrets,
        secrets_key_arn=conf.secrets_key_arn,
        sweep=sweep_elevations,
    )


def audit_webhook_url() -> str | None:
    """The Slack webhook for audit summaries: from SSM by name when deployed, the environment locally.

    A secret, read and kept like the signing secret (`secret`).
    """
    name = slack_settings().audit_webhook_param
    if name:
        return secret(name)
    return os.environ.get("SLACK_AUDIT_WEBHOOK_URL") or None


def post_audit_summary(report: AuditReport) -> None:
    """Post the report's counts (no names) to the audit webhook, when one is set."""
    url = audit_webhook_url()
    if url:
        post_to_slack(url, {"text": summary_text(report)}, loopback_ok=not slack_settings().in_lambda)


def daily_audit() -> AuditReport:
    """The scheduled audit: run and stored as the scheduler, its summary posted to Slack."""
    return auditor(report_deadline=SCHEDULED_REPORT_DEADLINE).run_scheduled(announce=post_audit_summary)


def reset() -> None:
    """Forget everything this warm container keeps, as a cold start would (tests and benchmarks).

    Settings, AWS clients, the static files and the OpenAPI document (`caches`), and the account facts
    kept for a few minutes (`account`).
    """
    caches.reset()
    account.forget()
