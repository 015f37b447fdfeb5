"""Settings read from the environment when first asked for, then cached for the warm container."""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from chalicelib import caches

# `chalicelib/policies` links to the top-level `policies/` so the manifest ships inside the Lambda zip.
POLICIES_DIR = Path(__file__).resolve().parent / "policies"


@dataclass(frozen=True)
class GroupSpec:
    """One provisionable IAM group and what the bootstrap attaches to it."""

    name: str
    managed_policy_arns: tuple[str, ...]
    local_policies: tuple[str, ...]
    admin: bool
    # An admin group may be granted over Slack only when the manifest says so: making an administrator
    # takes the REST API and an MFA session by default.
    slack: bool = False
    # Members come and go by temporary elevation (SPEC §15): a member without a live grant is a finding,
    # unless listed as this group's break-glass user.
    elevate: bool = False
    break_glass: tuple[str, ...] = ()


# The longest elevation SPEC §15 allows; `ELEVATION_MAX_MINUTES` may lower it, never raise it.
ELEVATION_CEILING_MINUTES = 480


@dataclass(frozen=True)
class ElevationSettings:
    """Where the schedules that end grants live and what they invoke (deployed: the stack's; locally:
    the emulator's, fired by `make run`)."""

    max_minutes: int = 480
    schedule_group: str = "iam-onboarding-local"
    # The revoke function the schedules invoke, the role Scheduler assumes to invoke it, and the queue
    # that keeps an invocation Scheduler gave up on.
    revoke_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:iam-onboarding-local-elevation_revoke"
    )
    scheduler_role_arn: str = "arn:aws:iam::123456789012:role/iam-onboarding-local-scheduler"
    dead_letter_arn: str = "arn:aws:sqs:us-east-1:123456789012:iam-onboarding-local-elevation-dlq"
    # Deployed, the audit asks the revoke function to sweep (its own role stays read-only); None: in process.
    revoke_function: str | None = None


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment."""

    table_name: str
    user_path: str
    public_base_url: str
    credential_link_ttl: timedelta
    enrollment_link_ttl: timedelta
    groups: dict[str, GroupSpec]
    # The region this service runs in: the newcomer's page proposes it for the terminal profile.
    region: str = "us-east-1"
    elevation: ElevationSettings = field(default_factory=ElevationSettings)

    @property
    def admin_groups(self) -> frozenset[str]:
        """Groups whose members may call `/admin/*`."""
        return frozenset(name for name, spec in self.groups.items() if spec.admin)

    @property
    def elevate_groups(self) -> frozenset[str]:
        """Groups a user may ask to join for a while (`"elevate": true`)."""
        return frozenset(name for name, spec in self.groups.items() if spec.elevate)


def _hours(name: str, default: int) -> timedelta:
    return timedelta(hours=int(os.environ.get(name, str(default))))


def load_groups_manifest(path: Path | None = None) -> dict[str, GroupSpec]:
    """Read `policies/groups.json`: the provisionable groups are data, not code."""
    raw: dict[str, Any] = json.loads((path or POLICIES_DIR / "groups.json").read_text())
    return {
        name: GroupSpec(
            name=name,
            managed_policy_arns=tuple(spec.get("aws_managed_policies", [])),
            local_policies=tuple(spec.get("local_policies", [])),
            admin=bool(spec.get("admin", False)),
            slack=bool(spec.get("slack", False)),
            elevate=bool(spec.get("elevate", False)),
            break_glass=tuple(spec.get("break_glass", [])),
        )
        for name, spec in raw["groups"].items()
    }


@caches.register
@functools.cache
def settings() -> Settings:
    """The settings of this container; `wiring.reset()` after changing the environment."""
    port = os.environ.get("PORT", "8000")
    path = os.environ.get("USER_PATH", "/onboarding/")
    if not (path.startswith("/") and path.endswith("/")):
        raise ValueError("USER_PATH must start and end with '/'")
    return Settings(
        table_name=os.environ.get("STATE_TABLE", "iam-onboarding-state"),
        user_path=path,
        public_base_url=os.environ.get("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}").rstrip("/"),
        credential_link_ttl=_hours("CREDENTIAL_LINK_HOURS", 72),
        enrollment_link_ttl=_hours("ENROLLMENT_LINK_HOURS", 24),
        groups=load_groups_manifest(),
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        elevation=elevation_settings(),
    )


def elevation_settings() -> ElevationSettings:
    """The elevation settings from the environment (`ELEVATION_*`); the local defaults otherwise."""
    default = ElevationSettings()
    most = int(os.environ.get("ELEVATION_MAX_MINUTES", str(ELEVATION_CEILING_MINUTES)))
    if not 1 <= most <= ELEVATION_CEILING_MINUTES:
        raise ValueError(f"ELEVATION_MAX_MINUTES must be 1-{ELEVATION_CEILING_MINUTES}")
    return ElevationSettings(
        max_minutes=most,
        schedule_group=os.environ.get("ELEVATION_SCHEDULE_GROUP") or default.schedule_group,
        revoke_function_arn=os.environ.get("ELEVATION_REVOKE_FUNCTION_ARN") or default.revoke_function_arn,
        scheduler_role_arn=os.environ.get("ELEVATION_SCHEDULER_ROLE_ARN") or default.scheduler_role_arn,
        dead_letter_arn=os.environ.get("ELEVATION_DEAD_LETTER_ARN") or default.dead_letter_arn,
        revoke_function=os.environ.get("ELEVATION_REVOKE_FUNCTION") or None,
    )


def audit_stalled_after() -> timedelta:
    """How long an onboarding may stay unfinished before the audit reports it (`AUDIT_STALLED_DAYS`)."""
    return timedelta(days=int(os.environ.get("AUDIT_STALLED_DAYS", "7")))


@dataclass(frozen=True)
class SlackSettings:
    """Where the Slack channel's secret comes from, who may use it, and where slow work runs."""

    signing_secret: str | None
    signing_secret_param: str | None
    audit_webhook_param: str | None
    # Slack user id → the IAM user of this account it acts as (who must be in an admin group).
    admins: dict[str, str]
    team_id: str | None
    app_id: str | None
    worker_function: str | None
    in_lambda: bool
    # The stack's KMS key for the Slack parameters (deployed): the one key the functions may decrypt with.
    secrets_key_arn: str | None = None
    # The reason Slack cannot be used as configured (a malformed SLACK_ADMINS), if any.
    problem: str | None = None


def _slack_admins(value: str) -> tuple[dict[str, str], str | None]:
    admins: dict[str, str] = {}
    for entry in (e.strip() for e in value.split(",")):
        slack_id, _, user_name = entry.partition(":")
        if not entry:
            continue
        if not (slack_id.strip() and user_name.strip()):
            return {}, (
                "SLACK_ADMINS must map each Slack user id to an IAM user name, "
                "e.g. SLACK_ADMINS=U012AB3CD:alice,U045EF6GH:bob."
            )
        admins[slack_id.strip()] = user_name.strip()
    return admins, None


@caches.register
@functools.cache
def slack_settings() -> SlackSettings:
    """The Slack settings of this container; `wiring.reset()` after changing the environment.

    Deployed, the signing secret is read from SSM by parameter name (`SLACK_SIGNING_SECRET_PARAM`);
    locally, from `SLACK_SIGNING_SECRET`. `SLACK_TEAM_ID` and `SLACK_APP_ID` pin the one workspace and
    app whose requests are trusted.
    """
    admins, problem = _slack_admins(os.environ.get("SLACK_ADMINS", ""))
    return SlackSettings(
        signing_secret=os.environ.get("SLACK_SIGNING_SECRET") or None,
        signing_secret_param=os.environ.get("SLACK_SIGNING_SECRET_PARAM") or None,
        audit_webhook_param=os.environ.get("SLACK_AUDIT_WEBHOOK_PARAM") or None,
        admins=admins,
        team_id=os.environ.get("SLACK_TEAM_ID") or None,
        app_id=os.environ.get("SLACK_APP_ID") or None,
        worker_function=os.environ.get("SLACK_WORKER_FUNCTION") or None,
        in_lambda=bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")),
        secrets_key_arn=os.environ.get("SLACK_SECRETS_KEY_ARN") or None,
        problem=problem,
    )
