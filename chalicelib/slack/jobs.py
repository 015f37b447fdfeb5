"""Slow work after Slack's three seconds: the queues that carry a job, the worker that does it, the post.

A job is the Slack request itself, exactly as Slack signed it (`SlackJob`): the worker checks it again,
does it once and posts its outcome to the request's `response_url`.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError

from chalicelib.errors import OffboardingInProgress, ProductError
from chalicelib.models.slack import SlackJob, SlackMessage
from chalicelib.slack import replies
from chalicelib.slack.dispatch import refuse_administrators
from chalicelib.slack.gate import JOB_WINDOW_SECONDS, Signed, check_response_url

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

    from chalicelib.slack.channel import SlackChannel
    from chalicelib.slack.dispatch import Work

log = logging.getLogger(__name__)

POST_TIMEOUT_SECONDS = 5.0

Post = Callable[[str, SlackMessage], None]  # (response_url, message)


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


# --- the queues --------------------------------------------------------------------------------------


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


# --- the worker --------------------------------------------------------------------------------------


class SlackWorker:
    """The worker Lambda's logic: check a job as the API did, do it once, post its outcome; never raise.

    Raising would make Lambda retry an asynchronous invocation, doing the work twice.
    """

    def __init__(self, channel: Callable[[], SlackChannel], *, post: Post | None = None) -> None:
        """A worker that builds `channel` per job, inside its checks: reading the signing secret can fail.

        `post` (tests) replaces the post of each message to the job's `response_url`.
        """
        self._channel = channel
        self._post = post

    def run_event(self, event: Mapping[str, Any]) -> None:
        """The worker Lambda's entry point: the event should be a `SlackJob`; anything else is dropped."""
        try:
            job = SlackJob.model_validate(event)
        except ValidationError:
            log.warning("dropped a Slack job that is not a signed Slack request")
            return
        self.run(job)

    def run(self, job: SlackJob) -> None:
        """Check `job`, do it and post its outcome.

        A job that fails the check is dropped with a log line (never its body or URL).
        """
        try:
            channel = self._channel()
            headers = {"x-slack-request-timestamp": job.timestamp, "x-slack-signature": job.signature}
            # surrogatepass: a body no text encodes (only a forged job has one) fails the signature check.
            body = job.body.encode("utf-8", "surrogatepass")
            signed = channel.read(job.kind, body, headers, window=JOB_WINDOW_SECONDS)
            work = None if signed is None else channel.work_of(signed)
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
        if not channel.consume_admitted(signed):
            log.warning(
                "dropped a Slack job the API did not admit, or done already (%s)", work.job.action.value
            )
            return
        post = self._post or self._default_post(channel)
        message = self._outcome(channel, signed, work, post)
        try:
            post(signed.response_url, message)
        except Exception:
            # The response_url is a capability (anyone holding it can post to the channel): never log it.
            log.error("could not post the outcome of Slack job %s", work.job.action.value, exc_info=True)

    @staticmethod
    def _default_post(channel: SlackChannel) -> Post:
        def post(response_url: str, message: SlackMessage) -> None:
            post_reply(response_url, message, loopback_ok=channel.loopback_ok)

        return post

    @staticmethod
    def _outcome(channel: SlackChannel, signed: Signed, work: Work, post: Post) -> SlackMessage:
        """The message that ends the job: its outcome, a refusal, or what went wrong."""
        action = work.job.action

        def progress(message: SlackMessage) -> None:
            # A failed progress post must not stop the work the admin asked for.
            try:
                post(signed.response_url, message)
            except Exception:
                log.warning("could not post the progress of Slack job %s", action.value, exc_info=True)

        # A click's outcome replaces the message with the buttons.
        replace = True if signed.click is not None else None
        try:
            admitted = channel.acting_admin(signed)
            if isinstance(admitted, SlackMessage):
                return admitted
            arguments = refuse_administrators(work.cli_for_administrators, work.arguments, channel.services)
            return work.job.run(channel.services, arguments, admitted, progress)
        except OffboardingInProgress as error:
            # A second click: its answer must not replace the message the offboarding in progress updates.
            return replies.error_reply(replies.escape(error.message), replace_original=False)
        except ProductError as error:
            return replies.error_reply(replies.escape(error.message), replace_original=replace)
        except Exception:
            log.error("Slack job %s failed", action.value, exc_info=True)
            return replies.job_failed_reply(action, replace_original=replace)
