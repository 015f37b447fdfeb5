"""The promises that must hold after any mix of operations, concurrent or faulted, checked against IAM and
the state table as they are, and by trying every link a test was handed (which changes state: last).

`Ledger` keeps what the operations answered; `broken_promises` lists what does not hold.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from chalicelib import aws, wiring
from chalicelib.config import settings
from chalicelib.elevation.schedules import schedule_name
from chalicelib.onboarding.devices import owner_of
from tests.support.api import Api, Reply, token_of

# What an admin or a newcomer may be answered in a race: never a 5xx (AWS is not failing here).
FINE_STATUSES = {200, 201, 400, 404, 409, 410}


@dataclass
class Ledger:
    """Every answer, and the links handed out, in the order they were answered."""

    answers: list[tuple[str, Reply]] = field(default_factory=list)
    credential_tokens: list[tuple[str, str]] = field(default_factory=list)  # (user, token)
    enrollment_tokens: list[tuple[str, str]] = field(default_factory=list)
    dead_tokens: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, user, token)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def bury(self, user: str) -> None:
        """`user` was offboarded: every link handed out so far must stay dead, whoever has that name next."""
        for kind, tokens in (("credential", self.credential_tokens), ("enrollment", self.enrollment_tokens)):
            self.dead_tokens += [(kind, u, t) for u, t in tokens if u == user]
            tokens[:] = [(u, t) for u, t in tokens if u != user]

    def note(self, what: str, user: str, reply: Reply) -> Reply:
        """Keep `reply` and any link in it."""
        body = reply.body if isinstance(reply.body, dict) else {}
        with self._lock:
            self.answers.append((what, reply))
            if reply.status < 300:
                if "bundle" in body:
                    self.credential_tokens.append((user, token_of(body["bundle"]["url"])))
                if isinstance(body.get("enrollment"), dict):
                    link = body["enrollment"]
                    self.enrollment_tokens.append((user, link.get("token") or token_of(link["url"])))
                if what == "offboard":
                    self.bury(user)
        return reply


def answer_problems(ledger: Ledger, fine: set[int] = FINE_STATUSES) -> list[str]:
    """Answers outside `fine`, or errors not in the API's error shape."""
    problems = []
    for what, reply in ledger.answers:
        if reply.status not in fine:
            problems.append(f"{what} answered {reply.status}: {reply.body}")
        elif reply.status >= 400:
            error = reply.body.get("error") if isinstance(reply.body, dict) else None
            if not (isinstance(error, dict) and error.get("code") and error.get("message")):
                problems.append(f"{what} answered {reply.status} outside the error shape: {reply.body}")
    return problems


def state_problems() -> list[str]:
    """No half-made user, no record without its user, no lock left held."""
    iam, db = aws.iam(), aws.dynamodb()
    items = db.scan(TableName=settings().table_name, ConsistentRead=True)["Items"]
    records = {i["sk"]["S"]: i for i in items if i["pk"]["S"] == "user"}
    problems = [f"a lock is still held: {i['sk']['S']}" for i in items if i["pk"]["S"] == "user_lock"]
    users = iam.list_users(PathPrefix=settings().user_path)["Users"]
    for user in users:
        name = user["UserName"]
        record = records.pop(name.lower(), None)
        groups = iam.list_groups_for_user(UserName=name)["Groups"]
        try:
            iam.get_login_profile(UserName=name)
            has_password = True
        except iam.exceptions.NoSuchEntityException:
            has_password = False
        if record is None or not groups or not has_password:
            problems.append(
                f"half-made user {name}: record={record is not None} groups={groups} password={has_password}"
            )
        elif record.get("user_id", {}).get("S") not in (None, user["UserId"]):
            problems.append(f"the record of {name} belongs to another incarnation")
    problems += [f"a record without its IAM user: {name}" for name in records]
    return problems


def orphan_problems(api: Api) -> list[str]:
    """Every unassigned virtual device is reported by the audit, except at most one pending device of each
    user who exists; none of a user who is gone goes unreported."""
    iam = aws.iam()
    unassigned = [
        d["SerialNumber"]
        for d in iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    ]
    report = api.as_admin("POST", "/admin/audit")
    assert report.status == 200, report.body
    reported = {
        f["resource"] for f in report.body["findings"] if f["check_id"] == "orphaned_virtual_mfa_device"
    }
    existing = {u["UserName"] for u in iam.list_users()["Users"]}
    unreported: dict[str, list[str]] = {}
    for serial in unassigned:
        if serial not in reported:
            unreported.setdefault(owner_of(serial) or "", []).append(serial)
    problems = []
    for owner, serials in unreported.items():
        if owner not in existing:
            problems.append(f"orphans of a user who is gone, not reported: {serials}")
        elif len(serials) > 1:
            problems.append(f"{len(serials)} unreported unassigned devices of {owner}: {serials}")
    return problems


def link_problems(api: Api, ledger: Ledger) -> list[str]:
    """No link handed out before an offboarding works, and at most one of each kind per user; tried
    here, so last."""
    paths = {"credential": "/onboarding/credentials", "enrollment": "/onboarding/mfa"}
    problems = [
        f"a {kind} link of {user} from before their offboarding answered {reply.status}"
        for kind, user, token in ledger.dead_tokens
        if (reply := api.call("POST", paths[kind], {"token": token})).status != 410
    ]
    for kind, tokens, path in (
        ("credential", ledger.credential_tokens, "/onboarding/credentials"),
        ("enrollment", ledger.enrollment_tokens, "/onboarding/mfa"),
    ):
        working: dict[str, list[int]] = {}
        for index, (user, token) in enumerate(tokens):
            reply = api.call("POST", path, {"token": token})
            if reply.status == 200:
                working.setdefault(user, []).append(index)
            elif reply.status != 410:
                problems.append(f"a {kind} link answered {reply.status}: {reply.body}")
        problems += [f"{len(ix)} {kind} links of {user} work" for user, ix in working.items() if len(ix) > 1]
    return problems


def elevation_problems() -> list[str]:
    """No member of an `elevate` group without a live grant (break-glass users aside), and no live grant
    without the schedule that ends it: access is never more than the grants allow, nor longer."""
    conf, now = settings(), int(time.time())
    grants = [g for g in wiring.store().list_grants() if g.live_at(now)]
    problems = []
    for group, spec in conf.groups.items():
        if not spec.elevate:
            continue
        covered = {g.user_name.lower() for g in grants if g.group == group}
        covered |= {u.lower() for u in spec.break_glass}
        members = aws.iam().get_group(GroupName=group)["Users"]
        problems += [
            f"{m['UserName']} is in {group} with no live grant"
            for m in members
            if m["Path"] == conf.user_path and m["UserName"].lower() not in covered
        ]
    scheduler, schedule_group = aws.scheduler(), conf.elevation.schedule_group
    scheduled = {s["Name"] for s in scheduler.list_schedules(GroupName=schedule_group)["Schedules"]}
    problems += [
        f"live grant {g.grant_id} has no schedule"
        for g in grants
        if schedule_name(g.grant_id) not in scheduled
    ]
    return problems


def broken_promises(api: Api, ledger: Ledger) -> list[str]:
    """Everything above, in the order that keeps each check from disturbing the next."""
    return (
        answer_problems(ledger)
        + state_problems()
        + elevation_problems()
        + orphan_problems(api)
        + link_problems(api, ledger)
    )
