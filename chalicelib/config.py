"""Settings read from the environment when first asked for, then cached for the warm container."""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
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

    @property
    def admin_groups(self) -> frozenset[str]:
        """Groups whose members may call `/admin/*`."""
        return frozenset(name for name, spec in self.groups.items() if spec.admin)


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
