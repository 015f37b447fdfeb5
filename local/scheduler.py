"""`make run`'s stand-in for the EventBridge Scheduler service's clock: it fires the emulator's due
one-time schedules through the revoke function the deployed schedules invoke.

moto keeps the schedules (CreateSchedule, GetSchedule, DeleteSchedule, ListSchedules) but never fires
them. Every `POLL_SECONDS` this reads them back from the emulator, and for each whose `at(...)` is due
hands its target's `Input` to the same handler (`app.elevation_revoke`), then deletes it, as
`ActionAfterCompletion: DELETE` does. A handler that fails leaves the schedule for the next round
(Scheduler's retry policy). Nothing here decides what is due to end: the handler reads the table.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_scheduler import EventBridgeSchedulerClient

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0  # a due schedule fires within this (SPEC §15 asks for 5 s)


def due_at(expression: str) -> datetime | None:
    """The moment of a one-time `at(yyyy-mm-ddThh:mm:ss)` expression (UTC), else None."""
    if not (expression.startswith("at(") and expression.endswith(")")):
        return None
    return datetime.strptime(expression[3:-1], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)


def fire_due(
    scheduler: EventBridgeSchedulerClient,
    group: str,
    handler: Callable[[dict[str, Any]], Any],
    now: datetime,
) -> list[str]:
    """Fire every schedule of `group` due at `now`; the names fired (and deleted)."""
    fired = []
    for page in scheduler.get_paginator("list_schedules").paginate(GroupName=group):
        for summary in page["Schedules"]:
            name = summary["Name"]
            schedule = scheduler.get_schedule(Name=name, GroupName=group)
            moment = due_at(schedule["ScheduleExpression"])
            if moment is None or moment > now:
                continue
            try:
                handler(json.loads(schedule["Target"].get("Input") or "{}"))
            except Exception:
                log.warning("schedule %s: its target failed; it fires again next round", name)
                continue
            if schedule.get("ActionAfterCompletion") == "DELETE":
                scheduler.delete_schedule(Name=name, GroupName=group)
            fired.append(name)
    return fired


def start_firing(
    scheduler: EventBridgeSchedulerClient,
    group: str,
    handler: Callable[[dict[str, Any]], Any],
    *,
    every: float = POLL_SECONDS,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> threading.Event:
    """Fire due schedules every `every` seconds on a daemon thread, until the returned event is set."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                fire_due(scheduler, group, handler, clock())
            except Exception:
                log.warning("could not read the emulator's schedules", exc_info=True)

    threading.Thread(target=loop, name="local-scheduler", daemon=True).start()
    return stop
