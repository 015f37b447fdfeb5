"""`/iam` and its buttons on one deployment: each request checked, answered, and its slow work queued.

Order on every request: Slack's signature (401, nothing read or done, when bad or stale), our workspace
and app (403), a Slack `response_url` (400), then the allow-list and the mapped IAM user's admin groups
(a polite refusal), then once-only (a retry or replay of a handled request does nothing), then the
command. Slack waits three seconds for an answer, so anything that writes to IAM or runs long answers at
once and continues in the worker (`jobs.py`), which runs every one of these checks again.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from chalicelib.errors import NotAnAdmin, ProductError
from chalicelib.models.records import Actor
from chalicelib.models.slack import SlackMessage
from chalicelib.slack import replies
from chalicelib.slack.commands import Services
from chalicelib.slack.dispatch import Work, answer, refuse_administrators, work_of_click, work_of_command
from chalicelib.slack.gate import REQUEST_WINDOW_SECONDS, Signed, SignedKind, SlackGate, read_signed
from chalicelib.slack.jobs import post_reply

if TYPE_CHECKING:
    from chalicelib.slack.jobs import JobQueue
    from chalicelib.state.once import OnceItems

log = logging.getLogger(__name__)

# Long enough to outlive Slack's retries (seconds to minutes) and the five-minute signature window.
ONCE_TTL = timedelta(hours=1)


# The API's record of each request it admitted, keyed by the body's hash; the worker consumes it.
ADMISSIONS = "slack_request"


def _key(signed: Signed) -> str:
    return hashlib.sha256(signed.body).hexdigest()


class SlackChannel:
    """The Slack channel of this deployment, with everything a request or a job is checked and done with."""

    def __init__(
        self,
        *,
        gate: SlackGate,
        require_admin: Callable[[str], None],
        once: OnceItems,
        services: Services,
        loopback_ok: bool,
    ) -> None:
        """Checks and answers with these; nothing is read or called until a request comes.

        `require_admin` raises `NotAnAdmin` unless an IAM user is in an admin group of this account now;
        `loopback_ok` (not in Lambda) lets a loopback `response_url` stand in for Slack.
        """
        self._gate = gate
        self._require_admin = require_admin
        self._once = once
        self.services = services
        self.loopback_ok = loopback_ok

    def read(
        self, kind: SignedKind, body: bytes, headers: Mapping[str, str], *, window: float
    ) -> Signed | None:
        """The signed request in `body`, checked (`gate.read_signed`); None when there is nothing to do."""
        return read_signed(self._gate, kind, body, headers, window=window, loopback_ok=self.loopback_ok)

    def acting_admin(self, signed: Signed) -> Actor | SlackMessage:
        """The acting admin, or the polite refusal to send instead.

        Allow-listed Slack ids act as the IAM user they are mapped to, who must be in an admin group of
        this account at the time of each command: leaving the group (or being offboarded) ends the Slack
        power too.
        """
        iam_user = self._gate.iam_user_of(signed.user_id)
        if iam_user is None:
            log.warning("Slack user %s is not on the allow-list", signed.user_id)
            return replies.refusal_reply()
        try:
            self._require_admin(iam_user)
        except NotAnAdmin:
            log.warning(
                "Slack user %s maps to IAM user %s, who is not in an admin group", signed.user_id, iam_user
            )
            return replies.not_an_admin_reply(iam_user)
        return Actor(id=f"{iam_user} (Slack {signed.user_id})", channel="slack")

    def first_time(self, kind: str, signed: Signed) -> bool:
        """Record the request as handled under `kind`; False when it was already (a retry or a replay).

        Keyed by the body, not the timestamp: a retry may be signed anew, but its body (which carries the
        invocation's unique trigger_id) is the same.
        """
        # A fresh attempt id per call: botocore's retries of this put share it, Slack's retries do not.
        return self._once.first_time(
            kind, _key(signed), datetime.now(UTC) + ONCE_TTL, attempt=secrets.token_hex(16)
        )

    def consume_admitted(self, signed: Signed) -> bool:
        """Consume the API's admission of `signed`; False when the API never admitted it, or it is done.

        The worker acts only on what the API admitted (within Slack's five minutes, once): a signed
        request the API refused as stale, or never saw, does nothing when the worker is invoked directly.
        """
        return self._once.consume(ADMISSIONS, _key(signed), attempt=secrets.token_hex(16))

    def work_of(self, signed: Signed) -> Work | None:
        """The slow work a signed command or click asks for, or None; `InvalidRequest` if malformed."""
        if signed.command is not None:
            return work_of_command(signed.command, self.services.groups)
        assert signed.click is not None
        return work_of_click(signed.click.actions[0])

    def answer_command(
        self, body: bytes, headers: Mapping[str, str], queue: Callable[[], JobQueue]
    ) -> SlackMessage | None:
        """The answer to a `/iam` request (None: an empty 200); slow work goes to `queue()` first."""
        signed = self._admins_first_request("command", body, headers)
        if not isinstance(signed, Signed):
            return signed
        assert signed.command is not None
        try:
            return answer(signed.command, self.services, lambda: queue().submit(signed.as_job()))
        except ProductError as error:
            return replies.error_reply(replies.escape(error.message))

    def answer_click(
        self, body: bytes, headers: Mapping[str, str], queue: Callable[[], JobQueue]
    ) -> SlackMessage | None:
        """The answer to a click on one of our buttons (None: an empty 200); its work goes to `queue()`."""
        signed = self._admins_first_request("interactivity", body, headers)
        if not isinstance(signed, Signed):
            return signed
        work = self.work_of(signed)
        if work is None:
            return None
        try:
            refuse_administrators(work.cli_for_administrators, work.arguments, self.services)
        except ProductError as error:
            # Slack shows nothing of a click's answer: the refusal goes where the outcome would have.
            message = replies.error_reply(replies.escape(error.message), replace_original=False)
            post_reply(signed.response_url, message, loopback_ok=self.loopback_ok)
            return None
        queue().submit(signed.as_job())
        return None

    def _admins_first_request(
        self, kind: SignedKind, body: bytes, headers: Mapping[str, str]
    ) -> Signed | SlackMessage | None:
        """The request, checked, when an admin sent it and it is not a retry; else the answer that ends it."""
        signed = self.read(kind, body, headers, window=REQUEST_WINDOW_SECONDS)
        if signed is None:
            return None
        admitted = self.acting_admin(signed)
        if isinstance(admitted, SlackMessage):
            return admitted
        if not self.first_time(ADMISSIONS, signed):
            log.info(
                "ignoring a Slack request handled already (retry %s)",
                headers.get("x-slack-retry-num") or "none",
            )
            return None
        return signed
