"""Services built on this container's clients and settings: the only place that wires them together."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from chalicelib import account, aws
from chalicelib.config import settings, slack_settings
from chalicelib.errors import SlackNotConfigured
from chalicelib.people.identity import require_admin
from chalicelib.services.mfa import MfaEnrollment
from chalicelib.services.users import Provisioner
from chalicelib.slack.channel import SlackChannel
from chalicelib.slack.commands import Services
from chalicelib.slack.gate import SlackGate
from chalicelib.slack.jobs import JobQueue, LambdaJobs, LocalJobs, SlackWorker
from chalicelib.state import StateStore

if TYPE_CHECKING:
    from chalicelib.services.audit import Auditor


def store() -> StateStore:
    """The state table of this deployment."""
    return StateStore(aws.dynamodb(), settings().table_name)


def provisioner() -> Provisioner:
    """The user provisioner of this deployment."""
    return Provisioner(aws.iam(), store(), settings())


def mfa() -> MfaEnrollment:
    """MFA enrollment, enrollment links and MFA resets of this deployment."""
    return MfaEnrollment(aws.iam(), store(), settings())


def slack_signing_secret() -> str:
    """Slack's signing secret: from SSM by name when deployed, from the environment locally.

    Kept for a few minutes (`account.CACHE_SECONDS`), not for the container's life: a secret rotated
    after a leak must stop working within minutes everywhere. A failure is not kept.
    """
    conf = slack_settings()
    if conf.signing_secret_param:
        name = conf.signing_secret_param
        return account.cached(
            f"ssm:{name}",
            lambda: aws.ssm().get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"],
        )
    if conf.signing_secret:
        return conf.signing_secret
    raise SlackNotConfigured()


def slack_gate() -> SlackGate:
    """The signature check, workspace pin and allow-list of the Slack channel."""
    secret, conf = slack_signing_secret(), slack_settings()
    if conf.problem:
        raise SlackNotConfigured(conf.problem)
    if not (conf.team_id and conf.app_id):
        raise SlackNotConfigured(
            "Set SLACK_TEAM_ID and SLACK_APP_ID to your Slack workspace's and app's ids: only their requests "
            "are trusted."
        )
    return SlackGate(signing_secret=secret, admins=conf.admins, team_id=conf.team_id, app_id=conf.app_id)


def slack_channel() -> SlackChannel:
    """The Slack channel: its gate, the admin check, once-only records and the services commands use."""
    gate, conf = slack_gate(), settings()
    return SlackChannel(
        gate=gate,
        require_admin=partial(require_admin, aws.iam(), admin_groups=conf.admin_groups),
        once=store(),
        services=Services(provisioner=provisioner, mfa=mfa, auditor=auditor, groups=conf.groups),
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
    # Imported here so that routes which never audit do not load the checks on a cold start.
    from chalicelib.config import audit_stalled_after
    from chalicelib.services.audit import Auditor

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
        secret_parameters=secrets,
    )
