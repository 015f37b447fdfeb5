"""`/slack/*`: the `/iam` slash command and its buttons, for allow-listed Slack users who are IAM admins.

Order on every request: Slack's signature (401, nothing read or done, when bad or stale), our workspace
and app (403), a Slack `response_url` (400), then the allow-list and the mapped IAM user's admin groups
(a polite refusal), then once-only (a retry or replay of a handled request does nothing), then the
command. Slack waits three seconds for an answer, so anything that writes to IAM or runs long answers at
once and continues in the worker. The worker's job is the signed request itself: it runs every one of
these checks again (with the 30 minutes a `response_url` lives) before it acts and posts the outcome.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qsl

from chalice.app import Blueprint, Response
from pydantic import ValidationError

from chalicelib import aws, wiring
from chalicelib.api.http import MAX_BODY_BYTES, json_response, translating_errors
from chalicelib.config import settings, slack_settings
from chalicelib.errors import (
    BodyTooLarge,
    InvalidRequest,
    NotAnAdmin,
    OffboardingInProgress,
    ProductError,
    SlackNotConfigured,
)
from chalicelib.models.records import Actor
from chalicelib.models.slack import BlockActions, JobAction, SlackJob, SlackMessage, SlashCommand
from chalicelib.people.identity import require_admin
from chalicelib.services import slack as s

log = logging.getLogger(__name__)

slack = Blueprint(__name__)
FORM = ["application/x-www-form-urlencoded"]

# Long enough to outlive Slack's retries (seconds to minutes) and the five-minute signature window.
ONCE_TTL = timedelta(hours=1)


# --- who is asking, from what Slack signed -----------------------------------------------------------


@dataclass(frozen=True)
class Signed:
    """A request our Slack app signed: its raw body, and the command or click in it."""

    kind: Literal["command", "interactivity"]
    body: bytes
    headers: dict[str, str]
    user_id: str
    response_url: str
    command: SlashCommand | None = None
    click: BlockActions | None = None


def _read(
    gate: s.SlackGate,
    kind: Literal["command", "interactivity"],
    body: bytes,
    headers: dict[str, str],
    *,
    window: float,
) -> Signed | None:
    """The signed request in `body`, checked: signature, workspace and app, `response_url`.

    None for what is signed but not ours to act on (Slack's certificate check, other interactions).
    """
    if len(body) > MAX_BODY_BYTES:  # Slack's own bodies are a few KiB; refuse before hashing the rest
        raise BodyTooLarge(f"The request body is over {MAX_BODY_BYTES // 1024} KiB.")
    gate.verify(body, headers, window=window)
    form = dict(parse_qsl(body.decode(), keep_blank_values=True))
    if kind == "command":
        if form.get("ssl_check") == "1":
            return None  # Slack checking our certificate: no command in it
        try:
            command = SlashCommand.model_validate(form)
        except ValidationError as error:
            raise InvalidRequest("The body is not a Slack slash command.") from error
        gate.check_origin(command.team_id, command.api_app_id)
        signed = Signed("command", body, headers, command.user_id, command.response_url, command=command)
    else:
        try:
            payload = json.loads(form.get("payload", ""))
        except (ValueError, RecursionError) as error:  # signed, but never let nesting depth be a 500
            raise InvalidRequest("The body is not a Slack interactivity payload.") from error
        if not isinstance(payload, dict) or payload.get("type") != "block_actions":
            return None  # shortcuts, modals: nothing of ours
        try:
            click = BlockActions.model_validate(payload)
        except ValidationError as error:
            raise InvalidRequest("The body is not a Slack block_actions payload.") from error
        gate.check_origin(click.team.id, click.api_app_id)
        signed = Signed("interactivity", body, headers, click.user.id, click.response_url, click=click)
    s.check_response_url(signed.response_url, loopback_ok=not slack_settings().in_lambda)
    return signed


def _admitted(gate: s.SlackGate, signed: Signed) -> Actor | SlackMessage:
    """The acting admin, or the polite refusal to send instead.

    Allow-listed Slack ids act as the IAM user they are mapped to, who must be in an admin group of this
    account at the time of each command: leaving the group (or being offboarded) ends the Slack power too.
    """
    iam_user = gate.iam_user_of(signed.user_id)
    if iam_user is None:
        log.warning("Slack user %s is not on the allow-list", signed.user_id)
        return s.refusal_reply()
    try:
        require_admin(aws.iam(), iam_user, settings().admin_groups)
    except NotAnAdmin:
        log.warning(
            "Slack user %s maps to IAM user %s, who is not in an admin group", signed.user_id, iam_user
        )
        return s.reply(
            f"Sorry, your Slack account acts as the IAM user *{s.escape(iam_user)}*, which is not an AWS "
            "admin (in an admin group) of this account now, so this command cannot be used."
        )
    return Actor(id=f"{iam_user} (Slack {signed.user_id})", channel="slack")


# --- the worker: slow work after the answer ---------------------------------------------------------


def _work(
    work: s.Work, actor: Actor, response_url: str, post: Callable[[str, SlackMessage], None]
) -> SlackMessage:
    name = work.user_name or ""
    if work.action is JobAction.ONBOARD:
        return s.created_reply(wiring.creation().create_user(name, list(work.groups), actor))
    if work.action is JobAction.RESET_MFA:
        removed, link = wiring.mfa_admin().reset(name, actor)
        return s.mfa_reset_reply(name, removed, link)
    if work.action is JobAction.OFFBOARD:

        def started() -> None:
            # Once this job holds the offboarding (a second click's job is refused by then), take the
            # buttons away; a failed post must not stop the offboarding the admin confirmed.
            try:
                post(response_url, s.reply(f"Offboarding *{name}*…", replace_original=True))
            except Exception:
                log.warning("could not post the progress of Slack job offboard", exc_info=True)

        return s.offboarded_reply(wiring.offboarding().offboard(name, actor, started=started))
    if work.action is JobAction.OFFBOARD_CANCELLED:
        return s.reply(f"Offboarding of *{name}* cancelled; nothing was changed.", replace_original=True)
    if work.action is JobAction.AUDIT:
        return s.audit_reply(wiring.auditor().run(actor))
    raise AssertionError(f"unhandled job {work.action}")


def _post_reply(response_url: str, message: SlackMessage) -> None:
    s.post_reply(response_url, message, loopback_ok=not slack_settings().in_lambda)


def run_job(job: SlackJob, post: Callable[[str, SlackMessage], None] = _post_reply) -> None:
    """Check `job` as the API did, do it and post its outcome to its `response_url`; never raise.

    A job that fails the check is dropped with a log line (never its body or URL). Raising would make
    Lambda retry an asynchronous invocation, doing the work twice.
    """
    try:
        gate = wiring.slack_gate()
        headers = {"x-slack-request-timestamp": job.timestamp, "x-slack-signature": job.signature}
        # surrogatepass: a body no text encodes (only a forged job has one) fails the signature check.
        body = job.body.encode("utf-8", "surrogatepass")
        signed = _read(gate, job.kind, body, headers, window=s.JOB_WINDOW_SECONDS)
        work = None if signed is None else _work_of(signed)
    except ProductError as error:
        log.warning("dropped a Slack job that failed verification (%s)", error.code)
        return
    except Exception:
        # The secret could not be read (SSM), say: nothing is known of the job, so nothing is posted.
        log.error("could not check a Slack job; dropped it", exc_info=True)
        return
    if signed is None or work is None:
        log.warning("dropped a Slack job that asks for no slow work")
        return
    if not wiring.store().first_time("slack_job", hashlib.sha256(signed.body).hexdigest(), _once_until()):
        log.warning("dropped a Slack job done already (%s)", work.action.value)
        return
    replace = True if work.action in (JobAction.OFFBOARD, JobAction.OFFBOARD_CANCELLED) else None
    try:
        admitted = _admitted(gate, signed)
        if isinstance(admitted, SlackMessage):
            message = admitted
        else:
            message = _work(work, admitted, signed.response_url, post)
    except OffboardingInProgress as error:
        # A second click: its answer must not replace the message the offboarding in progress updates.
        message = s.error_reply(s.escape(error.message), replace_original=False)
    except ProductError as error:
        message = s.error_reply(s.escape(error.message), replace_original=replace)
    except Exception:
        log.error("Slack job %s failed", work.action.value, exc_info=True)
        message = s.error_reply(
            f"`{work.action.value}` failed on our side; nothing more is known here. Try again later, "
            "or ask whoever runs this service to check its logs.",
            replace_original=replace,
        )
    try:
        post(signed.response_url, message)
    except Exception:
        # The response_url is a capability (anyone holding it can post to the channel): never log it.
        log.error("could not post the outcome of Slack job %s", work.action.value, exc_info=True)


def run_job_event(event: dict[str, Any]) -> None:
    """The worker Lambda's entry point: the event should be a `SlackJob`; anything else is dropped."""
    try:
        job = SlackJob.model_validate(event)
    except ValidationError:
        log.warning("dropped a Slack job that is not a signed Slack request")
        return
    run_job(job)


local_jobs = s.LocalJobs(run_job)


def job_queue() -> s.JobQueue:
    """The worker function when deployed (`SLACK_WORKER_FUNCTION`), else a thread of this process."""
    conf = slack_settings()
    if conf.worker_function:
        return s.LambdaJobs(aws.lambda_(), conf.worker_function)
    if conf.in_lambda:
        # A thread would be frozen with the Lambda as soon as the answer is sent: the work would not run.
        raise SlackNotConfigured("Slow commands need SLACK_WORKER_FUNCTION set on this deployment.")
    return local_jobs


# --- the requests ---------------------------------------------------------------------------------


def _once_until() -> datetime:
    return datetime.now(UTC) + ONCE_TTL


def _first_time(body: bytes) -> bool:
    # Keyed by the body, not the timestamp: a retry may be signed anew, but its body (which carries the
    # invocation's unique trigger_id) is the same.
    first = wiring.store().first_time("slack_request", hashlib.sha256(body).hexdigest(), _once_until())
    if not first:
        retry = slack.current_request.headers.get("x-slack-retry-num")
        log.info("ignoring a Slack request handled already (retry %s)", retry or "none")
    return first


def _work_of(signed: Signed) -> s.Work | None:
    if signed.command is not None:
        return s.work_of_command(
            s.parse_command(signed.command.text), signed.command.command, settings().groups
        )
    assert signed.click is not None
    return s.work_of_click(signed.click.actions[0])


def _later(signed: Signed) -> None:
    job = SlackJob(
        kind=signed.kind,
        body=signed.body.decode(),
        timestamp=signed.headers.get("x-slack-request-timestamp", ""),
        signature=signed.headers.get("x-slack-signature", ""),
    )
    job_queue().submit(job)


def _answer(signed: Signed) -> SlackMessage:
    """The immediate answer to an admin's command; slow work is queued for the worker."""
    assert signed.command is not None
    slash = signed.command.command
    groups = settings().groups
    parsed = s.parse_command(signed.command.text)
    if parsed.name == "help":
        return s.help_reply(slash, groups)
    if parsed.name not in s.USAGE:
        return s.unknown_command_reply(slash, parsed.name, groups)
    work = s.work_of_command(parsed, slash, groups)
    if work is not None:
        _later(signed)
        if work.action is JobAction.AUDIT:
            return s.reply("Running the audit… the report follows here in a moment.")
        if work.action is JobAction.ONBOARD:
            return s.reply(
                f"Creating *{work.user_name}* in {', '.join(work.groups)}… their one-time link follows here."
            )
        return s.reply(
            f"Removing the MFA devices of *{work.user_name}*… the new enrollment link follows here."
        )

    name = s.user_name_arg(s.expect_args(parsed, slash, 1)[0])
    if parsed.name == "status":
        return s.status_reply(wiring.directory().describe_user(name))
    # offboard: only ask here (the user must exist); the confirming click does it.
    return s.offboard_prompt(wiring.directory().describe_user(name))


def _message(message: SlackMessage) -> Response:
    return json_response(message.model_dump(mode="json", exclude_none=True))


def _acknowledged() -> Response:
    return Response(body="", status_code=200, headers={"Cache-Control": "no-store"})


def _admins_first_request(kind: Literal["command", "interactivity"]) -> Signed | Response:
    """This request, checked, when an admin sent it and it is not a retry; else the answer that ends it."""
    gate = wiring.slack_gate()
    raw = slack.current_request.raw_body or b""
    body = raw.encode() if isinstance(raw, str) else raw
    headers = {k.lower(): v for k, v in slack.current_request.headers.items()}
    signed = _read(gate, kind, body, headers, window=s.REQUEST_WINDOW_SECONDS)
    if signed is None:
        return _acknowledged()
    admitted = _admitted(gate, signed)
    if isinstance(admitted, SlackMessage):
        return _message(admitted)
    if not _first_time(signed.body):
        return _acknowledged()
    return signed


@slack.route("/slack/commands", methods=["POST"], content_types=FORM)
@translating_errors
def slash_command() -> Response:
    """The `/iam` slash command."""
    signed = _admins_first_request("command")
    if isinstance(signed, Response):
        return signed
    try:
        return _message(_answer(signed))
    except ProductError as error:
        return _message(s.error_reply(s.escape(error.message)))


@slack.route("/slack/interactivity", methods=["POST"], content_types=FORM)
@translating_errors
def interactivity() -> Response:
    """Button clicks on our messages (the offboarding confirmation)."""
    signed = _admins_first_request("interactivity")
    if isinstance(signed, Response):
        return signed
    if _work_of(signed) is not None:
        _later(signed)
    return _acknowledged()
