"""The elevation services built on this container's clients and settings (the rest of the composition
root is `wiring`): the blueprints and the revoke function reach them here."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib import aws, wiring
from chalicelib.config import settings, slack_settings
from chalicelib.slack.jobs import post_to_slack

if TYPE_CHECKING:
    from chalicelib.elevation.decisions import ElevationDecisions
    from chalicelib.elevation.ending import GrantEnding
    from chalicelib.elevation.requests import ElevationRequests
    from chalicelib.models.records import GrantRecord


def elevation_requests() -> ElevationRequests:
    """Asking for elevation, and listing requests and grants."""
    from chalicelib.elevation.requests import ElevationRequests

    return ElevationRequests(aws.iam(), wiring.store(), settings(), aws.scheduler())


def elevation_decisions() -> ElevationDecisions:
    """Approving and denying elevation requests."""
    from chalicelib.elevation.decisions import ElevationDecisions

    return ElevationDecisions(aws.iam(), wiring.store(), settings(), aws.scheduler())


def grant_ending() -> GrantEnding:
    """Ending grants (by a person, their schedule, the sweep, offboarding)."""
    from chalicelib.elevation.ending import GrantEnding

    return GrantEnding(aws.iam(), wiring.store(), settings(), aws.scheduler())


def announce_elevation(grant: GrantRecord) -> None:
    """Post a new elevation request to the Slack channel (the audit's webhook), when one is set."""
    from chalicelib.slack.elevation import request_text

    url = wiring.audit_webhook_url()
    if url:
        post_to_slack(url, {"text": request_text(grant)}, loopback_ok=not slack_settings().in_lambda)


def revoke_elevations(event: dict[str, object]) -> dict[str, list[str]]:
    """The revoke function: `{"grant_id"}` from a grant's schedule, or `{"sweep": true}` from the audit.

    Only what the table says is due is ended; anything else in the event is ignored.
    """
    ending = grant_ending()
    grant_id = event.get("grant_id")
    if isinstance(grant_id, str):
        return {"ended": [grant_id] if ending.revoke(grant_id) else []}
    if event.get("sweep") is True:
        return {"ended": ending.sweep()}
    return {"ended": []}


# The local stack's stand-in for invoking the revoke function: the same handler, in this process
# (`local/`, which has no Lambda, sets it, as `local/scheduler.py` fires the schedules through it).
local_revoke_function: Callable[[dict[str, object]], dict[str, list[str]]] | None = None


def sweep_elevations() -> list[str]:
    """End the grants whose schedule was missed, by invoking the revoke function (so the audit's role
    stays read-only on IAM): deployed, through Lambda; locally, in this process."""
    function = settings().elevation.revoke_function
    if function is not None:
        answer = aws.lambda_().invoke(FunctionName=function, Payload=json.dumps({"sweep": True}).encode())
        ended = json.loads(answer["Payload"].read() or b"{}").get("ended", [])
    elif local_revoke_function is not None:
        ended = local_revoke_function({"sweep": True})["ended"]
    else:
        raise RuntimeError("Set ELEVATION_REVOKE_FUNCTION: the audit sweeps through the revoke function.")
    return [str(grant_id) for grant_id in ended]
