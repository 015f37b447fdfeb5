"""`/slack/*`: the `/iam` slash command and its buttons, for allow-listed Slack users.

Order on every request: Slack's signature (401, nothing read or done, when bad or stale), then the
allow-list (a polite refusal), then once-only (a retry or replay of a handled request does nothing),
then the command. Slack waits three seconds for an answer, so anything that writes to IAM or runs long
answers at once and continues in the worker, which posts the outcome to the command's `response_url`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from chalice.app import Blueprint, Response
from pydantic import ValidationError

from chalicelib import aws, wiring
from chalicelib.api.http import MAX_BODY_BYTES, json_response, translating_errors
from chalicelib.config import settings, slack_settings
from chalicelib.errors import BodyTooLarge, InvalidRequest, ProductError, SlackNotConfigured
from chalicelib.models.slack import BlockActions, JobAction, SlackJob, SlackMessage, SlashCommand
from chalicelib.services import slack as s
from chalicelib.services.users import Actor

log = logging.getLogger(__name__)

slack = Blueprint(__name__)
FORM = ["application/x-www-form-urlencoded"]

# Long enough to outlive Slack's retries (seconds to minutes) and the five-minute signature window.
ONCE_TTL = timedelta(hours=1)


# --- the worker: slow work after the answer ---------------------------------------------------------


def _work(job: SlackJob, actor: Actor, post: Callable[[str, SlackMessage], None]) -> SlackMessage:
    name = job.user_name or ""
    if job.action is JobAction.ONBOARD:
        return s.created_reply(wiring.provisioner().create_user(name, job.groups, actor))
    if job.action is JobAction.RESET_MFA:
        removed, link = wiring.mfa().reset(name, actor)
        return s.mfa_reset_reply(name, removed, link)
    if job.action is JobAction.OFFBOARD:
        # Take the buttons away first, so a second click cannot start a second offboarding; a failed
        # post must not stop the offboarding the admin confirmed.
        try:
            post(job.response_url, s.reply(f"Offboarding *{name}*…", replace_original=True))
        except Exception:
            log.warning("could not post the progress of Slack job offboard", exc_info=True)
        return s.offboarded_reply(wiring.provisioner().offboard(name, actor, dry_run=False))
    if job.action is JobAction.OFFBOARD_CANCELLED:
        return s.reply(f"Offboarding of *{name}* cancelled; nothing was changed.", replace_original=True)
    if job.action is JobAction.AUDIT:
        return s.audit_reply(wiring.auditor().run(actor))
    raise AssertionError(f"unhandled job {job.action}")


def run_job(job: SlackJob, post: Callable[[str, SlackMessage], None] = s.post_reply) -> None:
    """Do `job` and post its outcome, success or failure, to its `response_url`; never raise.

    Raising would make Lambda retry an asynchronous invocation, doing the work twice.
    """
    actor = Actor(id=job.admin_id, channel="slack")
    replace = True if job.action in (JobAction.OFFBOARD, JobAction.OFFBOARD_CANCELLED) else None
    try:
        message = _work(job, actor, post)
    except ProductError as error:
        message = s.error_reply(s.escape(error.message), replace_original=replace)
    except Exception:
        log.error("Slack job %s failed", job.action.value, exc_info=True)
        message = s.error_reply(
            f"`{job.action.value}` failed on our side; nothing more is known here. Try again later, "
            "or ask whoever runs this service to check its logs.",
            replace_original=replace,
        )
    try:
        post(job.response_url, message)
    except Exception:
        # The response_url is a capability (anyone holding it can post to the channel): never log it.
        log.error("could not post the outcome of Slack job %s", job.action.value, exc_info=True)


def run_job_event(event: dict[str, Any]) -> None:
    """The worker Lambda's entry point: the event is a `SlackJob`."""
    run_job(SlackJob.model_validate(event))


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


def _verified_form(gate: s.SlackGate) -> tuple[bytes, dict[str, str]]:
    """The raw body and its form fields, once Slack's signature over the raw body checks out."""
    request = slack.current_request
    raw = request.raw_body or b""
    body = raw.encode() if isinstance(raw, str) else raw
    if len(body) > MAX_BODY_BYTES:  # Slack's own bodies are a few KiB; refuse before hashing the rest
        raise BodyTooLarge(f"The request body is over {MAX_BODY_BYTES // 1024} KiB.")
    gate.verify(body, {k.lower(): v for k, v in request.headers.items()})
    return body, dict(parse_qsl(body.decode(), keep_blank_values=True))


def _first_time(body: bytes) -> bool:
    # Keyed by the body, not the timestamp: a retry may be signed anew, but its body (which carries the
    # invocation's unique trigger_id) is the same.
    now = datetime.now(UTC)
    key = hashlib.sha256(body).hexdigest()
    first = wiring.store().first_time("slack_request", key, now + ONCE_TTL)
    if not first:
        retry = slack.current_request.headers.get("x-slack-retry-num")
        log.info("ignoring a Slack request handled already (retry %s)", retry or "none")
    return first


def _later(command: SlashCommand, action: JobAction, **fields: Any) -> None:
    job_queue().submit(
        SlackJob(action=action, admin_id=command.user_id, response_url=command.response_url, **fields)
    )


def _answer(command: SlashCommand) -> SlackMessage:
    """The immediate answer to an allow-listed admin's command; slow work is queued."""
    slash = command.command
    groups = settings().groups
    parsed = s.parse_command(command.text)
    if parsed.name == "help":
        return s.help_reply(slash, groups)
    if parsed.name not in s.USAGE:
        return s.unknown_command_reply(slash, parsed.name, groups)
    if parsed.name == "audit":
        s.expect_args(parsed, slash, 0)
        _later(command, JobAction.AUDIT)
        return s.reply("Running the audit… the report follows here in a moment.")
    if parsed.name == "onboard":
        name_arg, groups_arg = s.expect_args(parsed, slash, 2)
        name, wanted = s.user_name_arg(name_arg), s.groups_arg(groups_arg, groups)
        _later(command, JobAction.ONBOARD, user_name=name, groups=wanted)
        return s.reply(f"Creating *{name}* in {', '.join(wanted)}… their one-time link follows here.")

    name = s.user_name_arg(s.expect_args(parsed, slash, 1)[0])
    if parsed.name == "status":
        return s.status_reply(wiring.provisioner().describe_user(name))
    if parsed.name == "reset-mfa":
        _later(command, JobAction.RESET_MFA, user_name=name)
        return s.reply(f"Removing the MFA devices of *{name}*… the new enrollment link follows here.")
    # offboard: only ask here (the user must exist); the confirming click does it.
    return s.offboard_prompt(wiring.provisioner().describe_user(name))


def _message(message: SlackMessage) -> Response:
    return json_response(message.model_dump(mode="json", exclude_none=True))


def _acknowledged() -> Response:
    return Response(body="", status_code=200, headers={"Cache-Control": "no-store"})


@slack.route("/slack/commands", methods=["POST"], content_types=FORM)
@translating_errors
def slash_command() -> Response:
    """The `/iam` slash command."""
    gate = wiring.slack_gate()
    body, form = _verified_form(gate)
    if form.get("ssl_check") == "1":
        return _acknowledged()  # Slack checking our certificate: no command in it
    try:
        command = SlashCommand.model_validate(form)
    except ValidationError as error:
        raise InvalidRequest("The body is not a Slack slash command.") from error
    if not gate.is_admin(command.user_id):
        log.warning("Slack user %s is not on the allow-list", command.user_id)
        return _message(s.refusal_reply())
    if not _first_time(body):
        return _acknowledged()
    try:
        return _message(_answer(command))
    except ProductError as error:
        return _message(s.error_reply(s.escape(error.message)))


@slack.route("/slack/interactivity", methods=["POST"], content_types=FORM)
@translating_errors
def interactivity() -> Response:
    """Button clicks on our messages (the offboarding confirmation)."""
    gate = wiring.slack_gate()
    body, form = _verified_form(gate)
    try:
        payload = json.loads(form.get("payload", ""))
    except ValueError as error:
        raise InvalidRequest("The body is not a Slack interactivity payload.") from error
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        return _acknowledged()  # shortcuts, modals: nothing of ours
    try:
        actions = BlockActions.model_validate(payload)
    except ValidationError as error:
        raise InvalidRequest("The body is not a Slack block_actions payload.") from error
    if not gate.is_admin(actions.user.id):
        log.warning("Slack user %s is not on the allow-list", actions.user.id)
        return _message(s.refusal_reply())
    if not _first_time(body):
        return _acknowledged()
    action = actions.actions[0]
    jobs = {s.OFFBOARD_CONFIRM: JobAction.OFFBOARD, s.OFFBOARD_CANCEL: JobAction.OFFBOARD_CANCELLED}
    if action.action_id in jobs:
        job_queue().submit(
            SlackJob(
                action=jobs[action.action_id],
                admin_id=actions.user.id,
                user_name=s.user_name_arg(action.value),
                response_url=actions.response_url,
            )
        )
    return _acknowledged()
