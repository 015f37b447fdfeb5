"""`iam-onboarding doctor [--profile P]`: why the terminal does not work, each failed check with its fix.

Exit 0 only when nothing failed and a signed `GET /session/mfa` succeeded: the API's resource policy
opens that route to MFA sessions only, so that answer is the proof that this profile carries MFA.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from iam_onboarding_cli import profiles
from iam_onboarding_cli.api import Api, SigV4Signing, checked_endpoint, region_of
from iam_onboarding_cli.errors import ApiError, CliError

if TYPE_CHECKING:
    import boto3

    from iam_onboarding_cli.main import Console

AWS_LOGIN_VERSION = (2, 32, 0)  # `aws login` came with AWS CLI 2.32.0
TOTP_STEP_SECONDS = 30


@dataclass(frozen=True)
class Check:
    """One line of the report: passed (True), failed (False) or only worth knowing (None)."""

    ok: bool | None
    what: str
    fix: str = ""

    def line(self) -> str:
        """`ok`, `FAIL` or `note`, the finding, and the fix under a failure."""
        mark = {True: "ok  ", False: "FAIL", None: "note"}[self.ok]
        return f"{mark}  {self.what}" + (
            f"\n      fix: {self.fix}" if self.fix and self.ok is not True else ""
        )


def aws_cli_version(run: Any = subprocess.run) -> Check:
    """The AWS CLI's version: `aws login` needs 2.32 or newer."""
    aws = shutil.which("aws")
    install = "install AWS CLI v2, 2.32 or newer: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"
    if aws is None:
        return Check(None, "AWS CLI not found (SDKs alone do not need it)", install)
    answer = run([aws, "--version"], capture_output=True, text=True, timeout=30, check=False)
    found = re.search(r"aws-cli/(\d+)\.(\d+)\.(\d+)", answer.stdout + answer.stderr)
    if found is None:
        return Check(False, f"{aws} --version names no version", install)
    version = tuple(int(n) for n in found.groups())
    text = ".".join(found.groups())
    if version < AWS_LOGIN_VERSION:
        return Check(False, f"AWS CLI {text}: `aws login` needs 2.32.0 or newer", install)
    return Check(True, f"AWS CLI {text}")


def shadowing_keys(profile: str) -> list[Check]:
    """Keys that silently win over the profile's own way to get credentials (aws-cli#9869)."""
    checks = []
    config = profiles.settings(profiles.read(profiles.config_file()), profiles.config_section(profile))
    keys = profiles.settings(profiles.read(profiles.credentials_file()), profile)
    way = next((k for k in ("login_session", "credential_process", "sso_session") if k in config), None)
    if way and keys.get("aws_access_key_id"):
        checks.append(
            Check(
                False,
                f"{profiles.credentials_file()} has keys under [{profile}]: they win over its {way}",
                f"rename that section to [{profile}{profiles.LONG_TERM_SUFFIX}] or delete it",
            )
        )
    if os.environ.get("AWS_ACCESS_KEY_ID"):
        checks.append(
            Check(
                None,
                "AWS_ACCESS_KEY_ID is set: without --profile the AWS CLI and SDKs use it before any profile",
                "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN",
            )
        )
    return checks


def credential_source(session: boto3.Session, profile: str) -> tuple[Check, Any]:
    """The source botocore takes for the profile (the AWS CLI resolves alike), and its credentials."""
    try:
        found = session.get_credentials()
    except CliError:
        raise
    except Exception as error:
        return Check(False, f"no credentials for profile {profile}: {error}", _setup(profile)), None
    if found is None:
        return Check(False, f"no credentials for profile {profile}", _setup(profile)), None
    frozen = found.get_frozen_credentials()
    # A token makes a session, wherever it is kept (aws-mfa writes one into the credentials file).
    if not frozen.token:
        return Check(
            False,
            f"profile {profile} uses a long-term access key ({found.method}): it never carries MFA",
            _setup(profile),
        ), frozen
    return Check(True, f"profile {profile} gets temporary credentials from {found.method}"), frozen


def _setup(profile: str) -> str:
    return f"`aws login --profile {profile}`, or `iam-onboarding configure --profile {profile}`"


def region(session: boto3.Session, profile: str) -> Check:
    """A region is set for the profile."""
    if session.region_name:
        return Check(True, f"region {session.region_name}")
    return Check(
        False, "no region for the profile", f"aws configure set region eu-west-1 --profile {profile}"
    )


def clock_skew(endpoint: str, now: Any = lambda: datetime.now(UTC)) -> Check:
    """This machine's clock against the API's `Date` header, measured in TOTP steps."""
    # Unsigned: only the Date header matters. The endpoint is checked (https, or http on loopback).
    request = urllib.request.Request(endpoint + "/session", method="GET")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - checked endpoint
            date = response.headers.get("Date")
    except urllib.error.HTTPError as error:
        date = error.headers.get("Date")
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        return Check(False, f"cannot reach {endpoint}: {getattr(error, 'reason', error)}", "check the URL")
    if not date:
        return Check(None, "the API sent no Date header: clock not checked")
    skew = (now() - parsedate_to_datetime(date)).total_seconds()
    what = f"clock {skew:+.0f} s against AWS (a code lasts {TOTP_STEP_SECONDS} s; signatures fail past 5 min)"
    if abs(skew) > TOTP_STEP_SECONDS:
        return Check(
            False, what, "turn on network time: `timedatectl set-ntp true` (macOS: Date & Time, automatic)"
        )
    return Check(True, what)


@dataclass(frozen=True)
class SessionReport:
    """What the API said of this session: the checks, the caller's ARN, and whether MFA was proved."""

    checks: list[Check]
    arn: str | None = None
    mfa: bool = False


def session_checks(api: Api) -> SessionReport:
    """`GET /session`, then `GET /session/mfa`: the API's own report on this session's MFA."""
    try:
        session = api.call("GET", "/session")
    except CliError as error:
        return SessionReport([Check(False, f"GET /session: {error}", "check the profile and the API's URL")])
    arn = str(session.get("arn"))
    checks = [Check(True, f"the API sees {arn} ({session.get('credential_type')} credentials)")]
    try:
        api.call("GET", "/session/mfa")
    except ApiError as error:
        if error.status != 403:
            raise
        checks.append(
            Check(
                False,
                "GET /session/mfa refused: this session has no MFA",
                "with `aws login`, MFA may not reach the CLI: use the key path, `iam-onboarding configure`",
            )
        )
        return SessionReport(checks, arn)
    checks.append(Check(True, "GET /session/mfa: this session has MFA"))
    return SessionReport(checks, arn, mfa=True)


def active_keys(session: boto3.Session, user_arn: str | None) -> Check:
    """At most one active access key (IAM cannot say so in a policy; SPEC §14)."""
    if not user_arn or ":user/" not in user_arn:
        return Check(None, "not an IAM user: access keys not checked")
    user = user_arn.rsplit("/", 1)[1]
    try:
        keys = session.client("iam").list_access_keys(UserName=user)["AccessKeyMetadata"]
    except Exception as error:
        return Check(None, f"access keys not checked: {error}")
    active = [k["AccessKeyId"] for k in keys if k["Status"] == "Active"]
    if len(active) > 1:
        return Check(
            False,
            f"{len(active)} active access keys: keep one",
            f"aws iam update-access-key --status Inactive --access-key-id {active[-1]}, then delete it",
        )
    return Check(True, f"{len(active)} active access key{'' if len(active) == 1 else 's'}")


def run(args: argparse.Namespace, console: Console) -> int:
    """Run every check, print each, exit 0 only when none failed and GET /session/mfa succeeded."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    profile = args.profile or os.environ.get("AWS_PROFILE") or "default"
    checks = [aws_cli_version(), *shadowing_keys(profile)]
    try:
        session = boto3.Session(profile_name=profile)
    except ProfileNotFound:
        checks.append(Check(False, f"no profile {profile}", _setup(profile)))
        return _report(console, checks, proved=False)
    checks.append(region(session, profile))
    source, frozen = credential_source(session, profile)
    checks.append(source)
    endpoint = args.endpoint or os.environ.get("IAM_ONBOARDING_URL")
    if not endpoint:
        checks.append(
            Check(
                False,
                "the API is not named",
                "export IAM_ONBOARDING_URL=<the base URL of your onboarding page>",
            )
        )
        return _report(console, checks, proved=False)
    endpoint = checked_endpoint(endpoint)
    checks.append(clock_skew(endpoint))
    if frozen is None:
        return _report(console, checks, proved=False)
    api = Api(endpoint, SigV4Signing(frozen, region_of(endpoint) or session.region_name or "us-east-1"))
    report = session_checks(api)
    checks += report.checks
    if report.mfa:
        checks.append(active_keys(session, report.arn))
    return _report(console, checks, proved=report.mfa)


def _report(console: Console, checks: list[Check], *, proved: bool) -> int:
    for check in checks:
        console.say(check.line())
    if proved and not any(c.ok is False for c in checks):
        console.say("Your terminal works, with MFA.")
        return 0
    return 1
