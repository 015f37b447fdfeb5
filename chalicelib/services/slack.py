"""The Slack channel without the framework: who may talk to us, what they said, and what we answer.

Slack signs every request with the app's signing secret; only then is the body read. Replies are
ephemeral (only the requesting admin sees them), and the only secret that ever goes into one is a
one-time link, whose token sits in the URL fragment.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.audit.summary import summary_text
from chalicelib.errors import ForeignSlackApp, InvalidRequest, InvalidSlackSignature
from chalicelib.models import USER_NAME_PATTERN, CreatedUser, Link, Removed, UserDetail
from chalicelib.models.audit import AuditReport
from chalicelib.models.slack import JobAction, SlackAction, SlackJob, SlackMessage

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

    from chalicelib.config import GroupSpec

log = logging.getLogger(__name__)

POST_TIMEOUT_SECONDS = 5.0
SLACK_HOST = "hooks.slack.com"


# Slack's own replay window for requests to us, and how long a `response_url` accepts posts: a job the
# worker gets later is checked against the second.
REQUEST_WINDOW_SECONDS = 5 * 60
JOB_WINDOW_SECONDS = 30 * 60


class SlackGate:
    """Checks that a request comes from our Slack app (signature, freshness, workspace) and who sent it."""

    def __init__(
        self,
        *,
        signing_secret: str,
        admins: Mapping[str, str],
        team_id: str,
        app_id: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # Imported here, not at module level: slack_sdk's package import pulls in its web client, a cost
        # every cold start of the API would pay for a check only Slack requests need.
        from slack_sdk.signature import SignatureVerifier

        self._verifier = SignatureVerifier(signing_secret)
        self._clock = clock
        self._admins = dict(admins)
        self._team_id = team_id
        self._app_id = app_id

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, window: float = REQUEST_WINDOW_SECONDS
    ) -> None:
        """Raise `InvalidSlackSignature` unless Slack signed `body` within `window` seconds of our clock.

        slack_sdk computes Slack's v0 signature over `v0:<timestamp>:<raw body>`; its own `is_valid`
        hard-codes Slack's five-minute window, which the worker's later check must widen to the life of
        a `response_url`, so the window is applied here. Compared in constant time, as bytes: a header
        with non-ASCII characters is simply not a match.
        """
        timestamp = headers.get("x-slack-request-timestamp")
        signature = headers.get("x-slack-signature")
        try:
            fresh = timestamp is not None and abs(self._clock() - int(timestamp)) <= window
            expected = (
                self._verifier.generate_signature(timestamp=timestamp or "", body=body) if fresh else None
            )
            valid = (
                expected is not None
                and signature is not None
                and hmac.compare_digest(expected.encode(), signature.encode())
            )
        except ValueError:  # a timestamp not a number, a body not UTF-8, a header no text encodes
            valid = False
        if not valid:
            raise InvalidSlackSignature()

    def check_origin(self, team_id: str, app_id: str) -> None:
        """Raise `ForeignSlackApp` unless the request names our workspace and our app."""
        if (team_id, app_id) != (self._team_id, self._app_id):
            raise ForeignSlackApp()

    def iam_user_of(self, slack_user_id: str) -> str | None:
        """The IAM user an allow-listed Slack user acts as (`SLACK_ADMINS`), or None."""
        return self._admins.get(slack_user_id)


def check_response_url(url: str, *, loopback_ok: bool) -> None:
    """Raise `InvalidRequest` unless `url` is Slack's (`https://hooks.slack.com/...`).

    One-time links are posted there: a forged `response_url` would carry them anywhere. Locally (not in
    Lambda), plain http to this machine stands in for Slack.
    """
    parsed = urllib.parse.urlsplit(url)
    slack = parsed.scheme == "https" and parsed.hostname == SLACK_HOST and parsed.port in (None, 443)
    local = loopback_ok and parsed.scheme == "http" and parsed.hostname in ("127.0.0.1", "localhost")
    if not (slack or local) or parsed.username is not None or parsed.password is not None:
        raise InvalidRequest(f"The response_url is not a Slack URL (https://{SLACK_HOST}/...).")


# --- what the admin typed ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """A parsed `/iam` command: the sub-command and its words."""

    name: str
    args: tuple[str, ...]


USAGE = {
    "onboard": "onboard <user> <group>[,<group>]",
    "status": "status <user>",
    "reset-mfa": "reset-mfa <user>",
    "offboard": "offboard <user>",
    "audit": "audit",
    "help": "help",
}


def parse_command(text: str) -> Command:
    """Split the command text into a sub-command (lower-cased) and its arguments; empty means help."""
    words = text.split()
    if not words:
        return Command("help", ())
    return Command(words[0].lower(), tuple(words[1:]))


def expect_args(command: Command, slash: str, count: int) -> tuple[str, ...]:
    """The command's arguments, or an `InvalidRequest` that shows the usage."""
    if len(command.args) != count:
        wanted = "no arguments" if count == 0 else f"{count} argument{'s' if count > 1 else ''}"
        raise InvalidRequest(
            f"`{slash} {command.name}` takes {wanted}. Usage: `{slash} {USAGE[command.name]}`"
        )
    return command.args


def user_name_arg(value: str) -> str:
    """A user name as IAM accepts it, or `InvalidRequest`."""
    if not re.fullmatch(USER_NAME_PATTERN, value):
        raise InvalidRequest(f"`{value}` is not a valid user name: use 1-64 of A-Za-z0-9_+=,.@-.")
    return value


def groups_arg(value: str, known: Collection[str]) -> list[str]:
    """`developer,administrator` as a list of provisionable groups, or `InvalidRequest`."""
    groups = list(dict.fromkeys(g.strip() for g in value.split(",") if g.strip()))
    unknown = [g for g in groups if g not in known]
    if not groups or unknown:
        raise InvalidRequest(
            f"Unknown group {', '.join(unknown) or value}; choose from {', '.join(sorted(known))}."
        )
    return groups


@dataclass(frozen=True)
class Work:
    """Slow work for the worker, derived only from what Slack signed (the command or the click)."""

    action: JobAction
    user_name: str | None = None
    groups: tuple[str, ...] = ()


def grantable_over_slack(groups: Sequence[str], manifest: Mapping[str, GroupSpec]) -> None:
    """Raise `InvalidRequest` if a group is an admin group that `groups.json` keeps off Slack.

    Slack proves a signature, not an MFA session: making an administrator takes the REST API (and its
    one-hour MFA rule) unless the manifest marks the group `"slack": true`.
    """
    refused = [g for g in groups if manifest[g].admin and not manifest[g].slack]
    if refused:
        raise InvalidRequest(
            f"Adding someone to {', '.join(refused)} needs the REST API with an MFA session "
            f"(`iam-onboarding users create <user> --group {refused[0]}`), not Slack."
        )


def work_of_command(command: Command, slash: str, manifest: Mapping[str, GroupSpec]) -> Work | None:
    """The slow work a command asks for, or None for one answered at once; `InvalidRequest` if malformed."""
    if command.name == "audit":
        expect_args(command, slash, 0)
        return Work(JobAction.AUDIT)
    if command.name == "onboard":
        name_arg, groups_text = expect_args(command, slash, 2)
        name, groups = user_name_arg(name_arg), groups_arg(groups_text, manifest)
        grantable_over_slack(groups, manifest)
        return Work(JobAction.ONBOARD, name, tuple(groups))
    if command.name == "reset-mfa":
        return Work(JobAction.RESET_MFA, user_name_arg(expect_args(command, slash, 1)[0]))
    return None


def work_of_click(action: SlackAction) -> Work | None:
    """The slow work a click on one of our buttons asks for, or None for a button that is not ours."""
    jobs = {OFFBOARD_CONFIRM: JobAction.OFFBOARD, OFFBOARD_CANCEL: JobAction.OFFBOARD_CANCELLED}
    if action.action_id not in jobs:
        return None
    return Work(jobs[action.action_id], user_name_arg(action.value))


# --- what we answer -----------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Text as Slack shows it literally: `&`, `<`, `>` would otherwise form links and mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _when(moment: datetime) -> str:
    # Slack renders this in the reader's own time zone; the fallback is RFC 3339 UTC.
    fallback = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def reply(text: str, **fields: Any) -> SlackMessage:
    """An ephemeral message."""
    return SlackMessage(text=text, **fields)


def error_reply(message: str, **fields: Any) -> SlackMessage:
    """An ephemeral message saying what went wrong."""
    return SlackMessage(text=f":warning: {message}", **fields)


def help_reply(slash: str, groups: Collection[str]) -> SlackMessage:
    """What `/iam` can do."""
    what = {
        "onboard": f"create a user (groups: {', '.join(sorted(groups))}); "
        "you get their one-time link to pass on",
        "status": "groups, onboarding state and MFA devices",
        "reset-mfa": "remove their MFA devices (lost phone) and get a new enrollment link",
        "offboard": "remove the user and everything attached (asks first)",
        "audit": "run the account audit now",
        "help": "this text",
    }
    lines = [f"*{escape(slash)}* manages people's AWS access. Only you see these replies."]
    lines += [f"• `{escape(f'{slash} {USAGE[name]}')}`: {text}" for name, text in what.items()]
    return reply("\n".join(lines))


def refusal_reply() -> SlackMessage:
    """The polite answer to a Slack user who is not on the allow-list."""
    return reply(
        "Sorry, you are not on the list of people who may manage AWS access with this command. "
        "Ask an AWS admin if you need something done."
    )


def unknown_command_reply(slash: str, name: str, groups: Collection[str]) -> SlackMessage:
    """The answer to a sub-command we do not know, with the help text."""
    known = help_reply(slash, groups).text
    return reply(f":warning: `{escape(name)}` is not a command I know.\n{known}")


def created_reply(created: CreatedUser) -> SlackMessage:
    """A user was created: the link goes to this admin only, to pass on privately."""
    return reply(
        f":white_check_mark: Created *{created.user_name}* in {', '.join(created.groups)}.\n"
        f"Send them this one-time link privately (it works once, until {_when(created.bundle.expires_at)}); "
        f"it shows their first password and walks them through MFA:\n{created.bundle.url}"
    )


def status_reply(user: UserDetail) -> SlackMessage:
    """What we know of one user."""
    devices = ", ".join(f"`{d}`" for d in user.mfa_devices) or "none"
    used = _when(user.password_last_used) if user.password_last_used else "never"
    return reply(
        f"*{user.user_name}*: {user.state.value.replace('_', ' ')}\n"
        f"• groups: {', '.join(user.groups) or 'none'}\n"
        f"• MFA devices: {devices}\n"
        f"• password last used: {used}\n"
        f"• created: {_when(user.created_at)}"
    )


def mfa_reset_reply(user_name: str, removed: Sequence[str], link: Link) -> SlackMessage:
    """MFA devices were removed; the new enrollment link goes to this admin only."""
    gone = ", ".join(f"`{s}`" for s in removed) if removed else "none (there was no device)"
    return reply(
        f":white_check_mark: Removed the MFA devices of *{user_name}*: {gone}.\n"
        f"Send them this enrollment link privately (it works until {_when(link.expires_at)}):\n{link.url}"
    )


OFFBOARD_CONFIRM = "offboard_confirm"
OFFBOARD_CANCEL = "offboard_cancel"


def offboard_prompt(user: UserDetail) -> SlackMessage:
    """Ask before removing a user: offboarding cannot be undone."""
    text = (
        f"Offboard *{user.user_name}* ({', '.join(user.groups) or 'no groups'}; "
        f"{user.state.value.replace('_', ' ')})? This removes their password, access keys, MFA devices, "
        "group memberships and policies, then the user. It cannot be undone."
    )
    return reply(
        text,
        blocks=[
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": OFFBOARD_CONFIRM,
                        "style": "danger",
                        "text": {"type": "plain_text", "text": f"Offboard {user.user_name}"},
                        "value": user.user_name,
                    },
                    {
                        "type": "button",
                        "action_id": OFFBOARD_CANCEL,
                        "text": {"type": "plain_text", "text": "Cancel"},
                        "value": user.user_name,
                    },
                ],
            },
        ],
    )


def offboarded_reply(removed: Removed) -> SlackMessage:
    """What offboarding removed."""
    parts = [
        ("password", int(removed.login_profile)),
        ("MFA devices", len(removed.mfa_devices)),
        ("access keys", len(removed.access_keys)),
        ("signing certificates", len(removed.signing_certificates)),
        ("SSH keys", len(removed.ssh_public_keys)),
        ("service credentials", len(removed.service_specific_credentials)),
        ("groups", len(removed.groups)),
        ("inline policies", len(removed.inline_policies)),
        ("attached policies", len(removed.attached_policies)),
    ]
    listed = ", ".join(f"{name}: {count}" for name, count in parts if count) or "nothing else was attached"
    return reply(
        f":white_check_mark: Offboarded *{removed.user}*. Removed {listed}; then the user.",
        replace_original=True,
    )


AUDIT_FINDINGS_SHOWN = 15


def audit_reply(report: AuditReport) -> SlackMessage:
    """The audit's summary and its first findings; the whole report stays at `GET /admin/audit`.

    Unlike the daily summary for a channel, this goes to one allow-listed admin, so it names resources.
    """
    lines = [escape(summary_text(report))]
    for finding in report.findings[:AUDIT_FINDINGS_SHOWN]:
        lines.append(
            f"• *{finding.severity.value}* `{escape(finding.check_id)}` {escape(finding.resource)}: "
            f"{escape(finding.message)}"
        )
    hidden = len(report.findings) - AUDIT_FINDINGS_SHOWN
    if hidden > 0:
        lines.append(f"…and {hidden} more.")
    return reply("\n".join(lines))


# --- after the answer: slow work and its outcome -----------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is answered with its own HTTP error instead of being followed."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def post_to_slack(
    url: str, payload: Mapping[str, Any], *, loopback_ok: bool, timeout: float = POST_TIMEOUT_SECONDS
) -> None:
    """POST JSON to a Slack URL (a command's `response_url` or an incoming webhook).

    Only Slack's host (`check_response_url`), and never a redirect: these URLs carry one-time links, and
    a redirect could take the post anywhere. The URL itself is never logged.
    """
    check_response_url(url, loopback_ok=loopback_ok)
    request = urllib.request.Request(  # noqa: S310 (Slack's https host, or loopback, checked above)
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.build_opener(_NoRedirects).open(request, timeout=timeout) as answer:
        answer.read()


def post_reply(response_url: str, message: SlackMessage, *, loopback_ok: bool) -> None:
    """Post `message` to a command's `response_url` (Slack accepts a few posts within 30 minutes)."""
    post_to_slack(response_url, message.model_dump(mode="json", exclude_none=True), loopback_ok=loopback_ok)


class JobQueue(Protocol):
    """Where slow work goes so that Slack gets its answer within three seconds."""

    def submit(self, job: SlackJob) -> None:
        """Start `job` and return at once."""


class LambdaJobs(JobQueue):
    """Deployed: invoke the worker function asynchronously (the API function returns at once)."""

    def __init__(self, client: LambdaClient, function_name: str) -> None:
        self._client = client
        self._function = function_name

    def submit(self, job: SlackJob) -> None:
        """Queue `job` for the worker function (InvocationType=Event)."""
        self._client.invoke(
            FunctionName=self._function, InvocationType="Event", Payload=job.model_dump_json().encode()
        )


class LocalJobs(JobQueue):
    """Locally: run each job on a background thread of this process; `drain` waits for them (tests)."""

    def __init__(self, run: Callable[[SlackJob], None]) -> None:
        self._run = run
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def submit(self, job: SlackJob) -> None:
        """Start `job` on a new thread."""
        thread = threading.Thread(target=self._run, args=(job,), name=f"slack-{job.kind}", daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until every submitted job has finished."""
        with self._lock:
            threads, self._threads = self._threads, []
        for thread in threads:
            thread.join(timeout)
            if thread.is_alive():
                raise TimeoutError(f"{thread.name} did not finish within {timeout} s")
