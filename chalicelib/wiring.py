"""Services built on this container's clients and settings: the only place that wires them together."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib import aws, caches
from chalicelib.config import settings, slack_settings
from chalicelib.errors import SlackNotConfigured
from chalicelib.services import account
from chalicelib.services.mfa import MfaEnrollment
from chalicelib.services.slack import SlackGate
from chalicelib.services.store import StateStore
from chalicelib.services.users import Provisioner

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


def reset() -> None:
    """Forget everything this warm container keeps, as a cold start would (tests and benchmarks).

    Settings, AWS clients, the static files and the OpenAPI document (`caches`), and the account facts
    kept for a few minutes (`account`).
    """
    caches.reset()
    account.forget()
