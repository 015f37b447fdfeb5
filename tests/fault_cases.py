"""Fault injection: every AWS call of every operation fails in turn, and the outcome is checked.

For each operation the happy path is run once on a fresh account and its AWS calls are recorded; then, for
each recorded call and each fault class, the operation is run again on a fresh account with that call
failing (`tests.support.faults.failing_on_the_wire`, so botocore's own retries see the error). The
outcome must be success when the fault is transient, and otherwise a clear error in the API's error shape
with IAM and the state table (trail records aside: they record failures) exactly as before — except the
few cases that cannot be undone by nature, which must end as documented (`REASONS`).

`python -m tests.fault_cases` prints the results as the Markdown table of `docs/evidence.md`;
`--doc docs/evidence.md` (what `make faults-table` runs) also rewrites that table in place.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import moto.iam.models
import pyotp

from bench.audit import MINIMUM_FIXED as AUDIT_MINIMUM
from bench.operations import GROUPS as BENCH_GROUPS
from bench.operations import MINIMUM
from chalicelib import aws
from chalicelib.config import settings
from local.emulator import ACCOUNT_ID, emulated_account
from local.observe import observing_calls
from tests.support.accounts import prepare_emulator
from tests.support.api import Api, Reply, token_of
from tests.support.faults import failing_on_the_wire


@dataclass(frozen=True)
class Fault:
    """One way an AWS call can fail: an error code per service, transient (retries absorb it) or not."""

    name: str
    codes: dict[str, tuple[tuple[str, int], ...]]  # service -> candidate (AWS error code, HTTP status)
    attempts: int | None  # failing attempts of the one call; None: every attempt of it and later calls
    modeled_only: bool = False  # only where the operation's AWS model lists the error (IAM's own errors)
    after_effect: bool = False  # the call takes effect, then its answer is the error (phase 2)

    def code_for(self, call: RecordedCall) -> tuple[str, int] | None:
        """The error this fault answers to `call`, or None if real AWS cannot answer it that."""
        candidates = self.codes.get(call.service, ())
        if not self.modeled_only:
            return candidates[0] if candidates else None
        model = _client(call.service).meta.service_model.operation_model(call.operation)
        listed = {shape.metadata.get("error", {}).get("code", shape.name) for shape in model.error_shapes}
        return next((c for c in candidates if c[0] in listed), None)


_EVENTUAL = (("EntityTemporarilyUnmodifiable", 409), ("ConcurrentModification", 409))
FAULTS = (
    Fault(
        "throttling, transient",
        {
            "iam": (("Throttling", 400),),
            "sts": (("Throttling", 400),),
            "dynamodb": (("ThrottlingException", 400),),
            "scheduler": (("ThrottlingException", 429),),
        },
        attempts=2,
    ),
    Fault(
        "throttling, persistent",
        {
            "iam": (("Throttling", 400),),
            "sts": (("Throttling", 400),),
            "dynamodb": (("ThrottlingException", 400),),
            "scheduler": (("ThrottlingException", 429),),
        },
        attempts=None,
    ),
    Fault(
        "service failure (500), persistent",
        {
            "iam": (("ServiceFailure", 500),),
            "sts": (("InternalFailure", 500),),
            "dynamodb": (("InternalServerError", 500),),
            "scheduler": (("InternalServerException", 500),),
        },
        attempts=None,
    ),
    Fault("eventual consistency, transient", {"iam": _EVENTUAL}, attempts=2, modeled_only=True),
    Fault("eventual consistency, persistent", {"iam": _EVENTUAL}, attempts=None, modeled_only=True),
    # Phase 2: the call took effect, its answer was lost (a 500), and botocore's retry sends it again.
    Fault(
        "failed after it took effect, retried",
        {
            "iam": (("ServiceFailure", 500),),
            "sts": (("InternalFailure", 500),),
            "dynamodb": (("InternalServerError", 500),),
            "scheduler": (("InternalServerException", 500),),
        },
        attempts=1,
        after_effect=True,
    ),
    Fault(
        "access denied",
        {
            "iam": (("AccessDenied", 403),),
            "sts": (("AccessDenied", 403),),
            "dynamodb": (("AccessDeniedException", 400),),
            "scheduler": (("AccessDeniedException", 403),),
        },
        attempts=None,
    ),
)


def _client(service: str) -> Any:
    return {"iam": aws.iam, "dynamodb": aws.dynamodb, "sts": aws.sts, "scheduler": aws.scheduler}[service]()


# --- a fresh account, and what it holds ---------------------------------------------------------


@contextmanager
def fresh_account() -> Iterator[Api]:
    """A fresh bootstrapped emulated account (as the `api` fixture gives), with backoff sleeps skipped."""
    with mock.patch("time.sleep"), emulated_account():
        yield Api()


def _digest(text: str | None) -> str | None:
    return hashlib.sha256(text.encode()).hexdigest()[:12] if text is not None else None


def snapshot() -> dict[str, Any]:
    """IAM users (groups, login profile incl. its password, MFA devices, access keys), every virtual MFA
    device, the state table without trail records, and the schedules that end elevation grants."""
    iam = aws.iam()
    backend = moto.iam.models.iam_backends[ACCOUNT_ID]["global"]
    users = {}
    for user in iam.list_users()["Users"]:
        name = user["UserName"]
        # The emulator's own record: whether a reissue changed the password is invisible through the API.
        password = getattr(backend.users[name], "password", None)
        users[name] = {
            "groups": sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName=name)["Groups"]),
            "password": _digest(password),
            "mfa": sorted(d["SerialNumber"] for d in iam.list_mfa_devices(UserName=name)["MFADevices"]),
            "keys": sorted(
                (k["AccessKeyId"], k["Status"])
                for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
            ),
        }
    devices = sorted(
        (d["SerialNumber"], d.get("User", {}).get("UserName"))
        for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    )
    items = aws.dynamodb().scan(TableName=settings().table_name)["Items"]
    table = sorted(json.dumps(i, sort_keys=True, default=repr) for i in items if i["pk"]["S"] != "trail")
    group = settings().elevation.schedule_group
    schedules = sorted(s["Name"] for s in aws.scheduler().list_schedules(GroupName=group)["Schedules"])
    return {"users": users, "virtual_mfa_devices": devices, "table": table, "schedules": schedules}


def shape(state: dict[str, Any]) -> dict[str, Any]:
    """What two successful runs on two fresh accounts share (serials, keys, tokens, passwords are random)."""
    users = {
        name: {**u, "password": u["password"] is not None, "mfa": len(u["mfa"]), "keys": len(u["keys"])}
        for name, u in state["users"].items()
    }
    devices = sorted(user or "" for _, user in state["virtual_mfa_devices"])
    rows = [json.loads(row) for row in state["table"]]
    table = sorted(f"{r['pk']['S']}:{r.get('kind', r.get('state', {})).get('S', '')}" for r in rows)
    return {
        "users": users,
        "virtual_mfa_devices": devices,
        "table": table,
        "schedules": len(state["schedules"]),
    }


# --- the operations --------------------------------------------------------------------------------


def _created(api: Api, name: str = "alice") -> str:
    reply = api.as_admin("POST", "/admin/users", {"user_name": name, "groups": ["developer"]})
    assert reply.status == 201, reply.body
    return token_of(reply.body["bundle"]["url"])


def _claimed(api: Api) -> str:
    reply = api.call("POST", "/onboarding/credentials", {"token": _created(api)})
    assert reply.status == 200, reply.body
    return str(reply.body["enrollment"]["token"])


def _started(api: Api) -> tuple[str, str]:
    token = _claimed(api)
    reply = api.call("POST", "/onboarding/mfa", {"token": token})
    assert reply.status == 200, reply.body
    return token, str(reply.body["secret"])


def _verify(api: Api, token: str, secret: str) -> Reply:
    totp = pyotp.TOTP(secret)
    now = int(time.time())
    return api.call(
        "POST", "/onboarding/mfa/verify", {"token": token, "code1": totp.at(now - 30), "code2": totp.at(now)}
    )


def _enrolled(api: Api) -> None:
    token, secret = _started(api)
    assert _verify(api, token, secret).status == 200


def _offboardable(api: Api) -> None:
    _enrolled(api)
    aws.iam().create_access_key(UserName="alice")


def _asked(api: Api) -> str:
    """A pending request of alice (a developer) to be an administrator for an hour; its id."""
    _created(api)
    body = {"group": "administrator", "minutes": 60, "reason": "deploy the fix"}
    reply = api.call("POST", "/elevations", body, caller="alice", mfa="true")
    assert reply.status == 201, reply.body
    return str(reply.body["id"])


def _approved(api: Api) -> str:
    """An approved grant of alice (`_asked`), with its schedule; its id."""
    grant_id = _asked(api)
    reply = api.as_admin("POST", f"/admin/elevations/{grant_id}/approve")
    assert reply.status == 200, reply.body
    return grant_id


@dataclass(frozen=True)
class Operation:
    """One product operation: what must exist before it (`setup`), the request (`run`), and the fewest
    AWS calls it needs (`fewest_calls`), so that a recording that loses calls fails instead of testing
    nothing."""

    name: str
    setup: Callable[[Api], Any]
    run: Callable[[Api, Any], Reply]
    fewest_calls: int


# The fewest calls of each operation: the bench's (bench/operations.py, bench/audit.py) where it
# measures the operation, else counted here. A cold container (every case is one) makes a few more.
ADMIN_CHECK = 1  # ListGroupsForUser of the caller
OPERATIONS = (
    Operation(
        "create user",
        lambda api: None,
        lambda api, _: api.as_admin("POST", "/admin/users", {"user_name": "carol", "groups": ["developer"]}),
        fewest_calls=MINIMUM["create user"][0] - len(BENCH_GROUPS) + 1,  # one group here
    ),
    Operation(
        "claim credentials",
        _created,
        lambda api, token: api.call("POST", "/onboarding/credentials", {"token": token}),
        fewest_calls=MINIMUM["claim"][0],
    ),
    Operation(
        "reissue credentials",
        _created,
        lambda api, _: api.as_admin("POST", "/admin/users/alice/credentials"),
        fewest_calls=ADMIN_CHECK + 3,  # GetUser (managed?), UpdateLoginProfile, one state transaction
    ),
    Operation(
        "offboard",
        _offboardable,
        lambda api, _: api.as_admin("DELETE", "/admin/users/alice"),
        # GetUser (managed?); one listing per kind SPEC §11 names (login profile, access keys, signing
        # certificates, SSH keys, service-specific credentials, MFA devices, inline and attached
        # policies, groups); one state transaction that takes the offboarding lock and kills her links
        # before anything is removed; removing what alice holds (login profile, the key, deactivating and
        # deleting her device, her group); DeleteUser; one state transaction that forgets her and frees
        # the lock.
        fewest_calls=ADMIN_CHECK + 1 + 9 + 1 + 5 + 1 + 1,
    ),
    Operation(
        "start MFA enrollment",
        _claimed,
        lambda api, token: api.call("POST", "/onboarding/mfa", {"token": token}),
        fewest_calls=MINIMUM["enrollment start"][0],
    ),
    Operation(
        "verify MFA codes",
        _started,
        lambda api, started: _verify(api, *started),
        fewest_calls=MINIMUM["enrollment verify"][0],
    ),
    Operation(
        "issue enrollment link",
        _created,
        lambda api, _: api.as_admin("POST", "/admin/users/alice/enrollment"),
        fewest_calls=ADMIN_CHECK + 3,  # GetUser (managed?), ListMFADevices, one state transaction
    ),
    Operation(
        "reset MFA",
        _enrolled,
        lambda api, _: api.as_admin("DELETE", "/admin/users/alice/mfa"),
        # GetUser (managed?), ListMFADevices, deactivating and deleting her device, one state transaction
        fewest_calls=ADMIN_CHECK + 5,
    ),
    Operation(
        "session report",
        lambda api: None,
        lambda api, _: api.as_admin("GET", "/session"),
        fewest_calls=MINIMUM["session report"][0],
    ),
    Operation(
        "ask for elevation",
        _created,
        lambda api, _: api.call(
            "POST",
            "/elevations",
            {"group": "administrator", "minutes": 60, "reason": "deploy the fix"},
            caller="alice",
            mfa="true",
        ),
        fewest_calls=1,  # one state transaction: the request and its pending slot
    ),
    Operation(
        "approve elevation",
        _asked,
        lambda api, grant_id: api.as_admin("POST", f"/admin/elevations/{grant_id}/approve"),
        # GetItem (the request), one state transaction (approved, slot freed), CreateSchedule,
        # AddUserToGroup, GetItem (ended meanwhile?)
        fewest_calls=ADMIN_CHECK + 5,
    ),
    Operation(
        "deny elevation",
        _asked,
        lambda api, grant_id: api.as_admin("POST", f"/admin/elevations/{grant_id}/deny"),
        fewest_calls=ADMIN_CHECK + 2,  # GetItem (the request), one state transaction (denied, slot freed)
    ),
    Operation(
        "end elevation",
        _approved,
        lambda api, grant_id: api.call("DELETE", f"/elevations/{grant_id}", caller="alice", mfa="true"),
        # GetItem (the grant), one state transaction (ended), DeleteSchedule, Query (other live grants
        # of alice), RemoveUserFromGroup
        fewest_calls=5,
    ),
    Operation(
        "audit run",
        lambda api: None,
        lambda api, _: api.as_admin("POST", "/admin/audit"),
        fewest_calls=ADMIN_CHECK + AUDIT_MINIMUM,  # no console user without MFA in a fresh account
    ),
)
# What the suite ran when it last checked everything (92 calls of the operations above), in each phase:
# faults before the call takes effect, and after it took effect (retried by botocore). Fewer cases means
# calls, operations or a phase went missing, and the suite would pass by checking less.
FEWEST_CASES_BY_PHASE = {"before the call took effect": 388, "after the call took effect": 92}
FEWEST_CASES = sum(FEWEST_CASES_BY_PHASE.values())


def phase(fault: Fault) -> str:
    """Which phase of the suite `fault` belongs to (the keys of FEWEST_CASES_BY_PHASE)."""
    return "after the call took effect" if fault.after_effect else "before the call took effect"


# Failures whose effects cannot be undone by nature, and the documented outcome each must reach instead.
REASONS = {
    "offboard": "offboarding is not undone when it stops midway: the error says to run it again, "
    "and running it again finishes it",
    "reset MFA": "a device already deactivated is not re-enabled: the error says to run it again, "
    "and running it again finishes it",
    "reissue credentials": "IAM cannot give the old password back once it is changed: when the state "
    "write fails after that, the error says to run it again, and running it again finishes it",
    "approve elevation": "a grant written approved is not unwritten when making its schedule or its "
    "membership fails after that: the error says to run it again, and running it again finishes it "
    "with one schedule",
    "end elevation": "a grant written ended stays ended when removing its schedule or its membership "
    "fails after that: the error says to run it again, and running it again finishes it",
}


# --- recording and running -----------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedCall:
    """The `nth` call to `service`.`operation` during an operation."""

    service: str
    operation: str
    nth: int

    @property
    def label(self) -> str:
        """`iam:GetUser`, or `iam:GetUser#2` for the second call of the same operation."""
        return f"{self.service}:{self.operation}" + (f"#{self.nth}" if self.nth > 1 else "")


@contextmanager
def recording() -> Iterator[list[RecordedCall]]:
    """The product's AWS calls made while active.

    Only the product's clients are watched: the dev gateway (the local stand-in for API Gateway's SigV4
    check) looks callers up through clients of its own, so its calls are neither recorded nor faulted.
    """
    calls: list[RecordedCall] = []
    seen: dict[tuple[str, str], int] = {}
    clients = [
        aws.iam(),
        aws.dynamodb(),
        aws.sts(),
        aws.scheduler(),
    ]  # the services whose errors tests/support/faults.py can forge

    def record(model: Any, params: dict[str, Any]) -> None:
        key = (model.service_model.service_name, model.name)
        seen[key] = seen.get(key, 0) + 1
        calls.append(RecordedCall(*key, seen[key]))

    with observing_calls(record, clients):
        yield calls


def happy_path(operation: Operation) -> tuple[list[RecordedCall], Reply, dict[str, Any]]:
    """The calls `operation` makes when nothing fails, its reply, and the state it leaves."""
    with fresh_account() as api:
        context = operation.setup(api)
        with recording() as calls:
            reply = operation.run(api, context)
        assert reply.status < 300, (operation.name, reply.body)
        assert len(calls) >= operation.fewest_calls, (
            f"{operation.name}: {len(calls)} AWS calls recorded, but it needs at least "
            f"{operation.fewest_calls}: the recording loses calls, and every case of it would pass unchecked"
        )
        return calls, reply, snapshot()


@dataclass
class Outcome:
    """What one fault did to one operation, and whether that is acceptable."""

    operation: str
    call: str
    fault: str
    summary: str
    problems: list[str] = field(default_factory=list)


def _error_problems(reply: Reply) -> list[str]:
    error = reply.body.get("error") if isinstance(reply.body, dict) else None
    if not isinstance(error, dict) or not error.get("code") or not error.get("message"):
        return [f"{reply.status} not in the error shape: {reply.body!r}"]
    if error["code"] == "internal_error" or reply.status == 500:
        return [f"a bare {reply.status} {error['code']}: {error['message']}"]
    if "Traceback" in error["message"]:
        return ["a stack trace in the message"]
    return []


def run_case(operation: Operation, call: RecordedCall, fault: Fault, expected: dict[str, Any]) -> Outcome:
    """Run `operation` on a fresh account with `call` failing as `fault` says; judge the outcome."""
    code, status = fault.code_for(call) or ("", 0)
    with fresh_account() as api:
        context = operation.setup(api)
        before = snapshot()
        with failing_on_the_wire(
            _client(call.service),
            call.operation,
            code,
            status=status,
            nth=call.nth,
            attempts=fault.attempts,
            after_effect=fault.after_effect,
        ) as hits:
            reply = operation.run(api, context)
        after = snapshot()
        outcome = Outcome(operation.name, call.label, fault.name, "")
        if not hits:
            outcome.summary = "call not made"
            return outcome
        if reply.status < 300:
            outcome.summary = f"{reply.status} after retries"
            if fault.attempts is None:
                outcome.summary = f"{reply.status}, fault tolerated"
            if shape(after) != shape(expected):
                outcome.problems.append(f"succeeded but left {shape(after)} instead of {shape(expected)}")
            return outcome
        outcome.summary = f"{reply.status} {reply.body.get('error', {}).get('code')}"
        if fault.attempts is not None:
            outcome.problems.append(f"a transient fault was not absorbed: {reply.body}")
        outcome.problems += _error_problems(reply)
        if after == before:
            outcome.summary += ", unchanged"
            return outcome
        if operation.name not in REASONS:
            outcome.problems.append(f"changed state: before {before} after {after}")
            return outcome
        outcome.summary += ", documented†"
        if "Run it again" not in reply.body["error"]["message"]:
            outcome.problems.append(f"changed state without saying to run it again: {reply.body}")
        again = operation.run(api, context)
        if again.status >= 300 or shape(snapshot()) != shape(expected):
            outcome.problems.append(f"running it again did not finish it: {again.status} {again.body}")
        return outcome


def cases(operation: Operation) -> Iterator[tuple[RecordedCall, Fault]]:
    """Every (call, fault) pair of `operation`, from its recorded happy path."""
    calls, _, _ = happy_path(operation)
    for call in calls:
        for fault in FAULTS:
            if fault.code_for(call):
                yield call, fault


def run_operation(operation: Operation, faults: tuple[Fault, ...] = FAULTS) -> list[Outcome]:
    """Every case of `operation` for `faults`."""
    calls, _, expected = happy_path(operation)
    return [
        run_case(operation, call, fault, expected)
        for call in calls
        for fault in faults
        if fault.code_for(call)
    ]


def table(outcomes: list[Outcome]) -> str:
    """The Markdown table: one row per operation and call, one column per fault class."""
    columns = [f.name for f in FAULTS]
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for o in outcomes:
        mark = "" if not o.problems else " **FAILS**"
        rows.setdefault((o.operation, o.call), {})[o.fault] = o.summary + mark
    lines = ["| operation | AWS call | " + " | ".join(columns) + " |", "|---|---|" + "---|" * len(columns)]
    for (operation, call), cells in rows.items():
        lines.append(f"| {operation} | {call} | " + " | ".join(cells.get(c, "n/a") for c in columns) + " |")
    lines.append("")
    lines.append("† Not exactly as before, by nature; the documented outcome was checked instead:")
    lines.append("")
    for operation, reason in REASONS.items():
        lines.append(f"- {operation}: {reason}.")
    return "\n".join(lines)


TABLE_MARKER = "<!-- fault table: generated by `make faults-table`, do not edit by hand -->"
TABLE_END = "<!-- end of the fault table -->"
# Where the table lives (the README links to it); `make faults-table` passes it as `--doc`.
TABLE_DOC = "docs/evidence.md"


def with_table(document: str, text: str) -> str:
    """`document` with what stands between `TABLE_MARKER` and `TABLE_END` replaced by `text`."""
    head, marker, rest = document.partition(TABLE_MARKER)
    _, end, tail = rest.partition(TABLE_END)
    if not marker or not end:
        raise ValueError(f"the document needs both {TABLE_MARKER!r} and {TABLE_END!r}, in that order")
    return f"{head}{TABLE_MARKER}\n\n{text}\n{TABLE_END}{tail}"


def main() -> None:
    """Run every case (or those of the operations named) and print the table; `--doc FILE` also
    replaces the table in FILE, between `TABLE_MARKER` and `TABLE_END`."""
    logging.disable(logging.CRITICAL)  # the service logs each unexpected AWS error with its traceback
    prepare_emulator()
    args = sys.argv[1:]
    doc = Path(args.pop(args.index("--doc") + 1)) if "--doc" in args else None
    args = [a for a in args if a != "--doc"]
    chosen = [op for op in OPERATIONS if not args or op.name in args]
    outcomes = [o for operation in chosen for o in run_operation(operation)]
    if chosen == list(OPERATIONS) and len(outcomes) < FEWEST_CASES:
        sys.exit(f"Only {len(outcomes)} cases, fewer than {FEWEST_CASES}: calls went unrecorded.")
    failing = [o for o in outcomes if o.problems]
    text = (
        f"{len(outcomes)} cases ({len({(o.operation, o.call) for o in outcomes})} calls of {len(chosen)} "
        f"operations), {len(failing)} failing.\n\n{table(outcomes)}\n"
    )
    print(text)
    if doc is not None:
        doc.write_text(with_table(doc.read_text(), text))
    for o in failing:
        print(f"FAILS: {o.operation} / {o.call} / {o.fault}: {'; '.join(o.problems)}", file=sys.stderr)
    sys.exit(1 if failing else 0)


if __name__ == "__main__":
    main()
