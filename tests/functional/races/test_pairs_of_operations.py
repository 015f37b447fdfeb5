"""Any two operations on one user at once: each answers in words (2xx, 404, 409, 410; never 5xx), and
afterwards no half-made user, no membership of an elevate group without a live grant, no live grant
without its schedule, at most one live link per user, no link of an offboarded user works, and the audit
reports every orphaned device.

Both run in threads on in-process moto (DynamoDB writes atomic, IAM as strict as AWS: `local/emulator.py`)
through the dev gateway; every AWS call first waits a random few milliseconds (seeded), so that the two
interleave differently in each round.
"""

from __future__ import annotations

import itertools
import random
import threading
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest

from app import app
from chalicelib import aws, wiring
from local.emulator import emulated_account
from local.gateway import give_each_thread_its_request
from tests.support.api import Api, Reply
from tests.support.invariants import Ledger, broken_promises

ROUNDS = 2
Operation = Callable[[Api, Ledger], Reply]


def _newest(tokens: list[tuple[str, str]]) -> str:
    return tokens[-1][1] if tokens else "no-such-token-" + "x" * 40


def _grant_of_alice() -> str:
    """The id of alice's newest elevation request or grant."""
    mine = [g for g in wiring.store().list_grants() if g.user_name == "alice"]
    return max(mine, key=lambda g: g.requested_at).grant_id if mine else "no-such-grant"


_ASK = {"group": "administrator", "minutes": 60, "reason": "deploy the fix"}


OPERATIONS: dict[str, Operation] = {
    "create": lambda api, ledger: ledger.note(
        "create",
        "alice",
        api.as_admin("POST", "/admin/users", {"user_name": "alice", "groups": ["developer"]}),
    ),
    "reissue": lambda api, ledger: ledger.note(
        "reissue", "alice", api.as_admin("POST", "/admin/users/alice/credentials")
    ),
    "reset": lambda api, ledger: ledger.note(
        "reset", "alice", api.as_admin("DELETE", "/admin/users/alice/mfa")
    ),
    "enrollment": lambda api, ledger: ledger.note(
        "enrollment", "alice", api.as_admin("POST", "/admin/users/alice/enrollment")
    ),
    "offboard": lambda api, ledger: ledger.note(
        "offboard", "alice", api.as_admin("DELETE", "/admin/users/alice")
    ),
    "list": lambda api, ledger: ledger.note("list", "alice", api.as_admin("GET", "/admin/users")),
    "show": lambda api, ledger: ledger.note("show", "alice", api.as_admin("GET", "/admin/users/alice")),
    "claim": lambda api, ledger: ledger.note(
        "claim",
        "alice",
        api.call("POST", "/onboarding/credentials", {"token": _newest(ledger.credential_tokens)}),
    ),
    "start": lambda api, ledger: ledger.note(
        "start", "alice", api.call("POST", "/onboarding/mfa", {"token": _newest(ledger.enrollment_tokens)})
    ),
    "ask": lambda api, ledger: ledger.note(
        "ask", "alice", api.call("POST", "/elevations", _ASK, caller="alice", mfa="true")
    ),
    "approve": lambda api, ledger: ledger.note(
        "approve", "alice", api.as_admin("POST", f"/admin/elevations/{_grant_of_alice()}/approve")
    ),
    "deny": lambda api, ledger: ledger.note(
        "deny", "alice", api.as_admin("POST", f"/admin/elevations/{_grant_of_alice()}/deny")
    ),
    "end": lambda api, ledger: ledger.note(
        "end", "alice", api.call("DELETE", f"/elevations/{_grant_of_alice()}", caller="alice", mfa="true")
    ),
}
ADMIN = ["create", "reissue", "reset", "enrollment", "offboard", "list", "show"]
NEWCOMER = ["claim", "start"]
# Elevation: on a pending request (`ask` aside, which makes its own), or an approved grant for `end`.
ELEVATION = [
    ("ask", "ask"),
    ("ask", "offboard"),
    ("approve", "approve"),
    ("approve", "deny"),
    ("approve", "end"),
    ("approve", "offboard"),
    ("end", "end"),
    ("end", "offboard"),
]
PAIRS = [
    *itertools.combinations_with_replacement(ADMIN, 2),
    *itertools.product(NEWCOMER, ["reissue", "reset", "enrollment", "offboard"]),
    *ELEVATION,
]


@pytest.fixture(scope="module", autouse=True)
def threads_keep_their_own_request() -> None:
    give_each_thread_its_request(app)


@contextmanager
def _jittered(seed: int) -> Iterator[None]:
    """Every AWS call of the product waits 0 to 8 ms first (a seeded random)."""
    rng, lock = random.Random(seed), threading.Lock()

    def wait(**_: Any) -> None:
        with lock:
            pause = rng.random() * 0.008
        threading.Event().wait(pause)

    clients = [aws.iam(), aws.dynamodb(), aws.scheduler()]
    for client in clients:
        client.meta.events.register("before-call", wait)
    try:
        yield
    finally:
        for client in clients:
            client.meta.events.unregister("before-call", wait)


def _alice_midway(api: Api, ledger: Ledger) -> None:
    """alice exists, has opened her credential link and started MFA enrollment."""
    OPERATIONS["create"](api, ledger)
    OPERATIONS["claim"](api, ledger)
    OPERATIONS["start"](api, ledger)
    assert [r.status for _, r in ledger.answers] == [201, 200, 200], ledger.answers
    ledger.answers.clear()


def _alice_asked(api: Api, ledger: Ledger, *, approved: bool) -> None:
    """alice (midway) has asked to be an administrator for an hour, and been granted it if `approved`."""
    OPERATIONS["ask"](api, ledger)
    if approved:
        OPERATIONS["approve"](api, ledger)
    assert [r.status for _, r in ledger.answers] == [201, 200][: 1 + approved], ledger.answers
    ledger.answers.clear()


@pytest.mark.parametrize("round_", range(ROUNDS))
@pytest.mark.parametrize(("first", "second"), PAIRS, ids=lambda name: name)
def test_two_operations_at_once_keep_every_promise(first: str, second: str, round_: int) -> None:
    with emulated_account():
        api, ledger = Api(), Ledger()
        if "create" not in (first, second):
            _alice_midway(api, ledger)
        if {first, second} & {"approve", "deny", "end"}:
            _alice_asked(api, ledger, approved="end" in (first, second) and "approve" not in (first, second))
        gate = threading.Barrier(2)

        def run(name: str) -> None:
            gate.wait()
            OPERATIONS[name](Api(), ledger)

        seed = zlib.crc32(f"{first} {second} {round_}".encode())
        with _jittered(seed), ThreadPoolExecutor(max_workers=2) as pool:
            for future in [pool.submit(run, first), pool.submit(run, second)]:
                future.result()

        assert len(ledger.answers) == 2
        assert broken_promises(api, ledger) == []


def test_the_race_suite_runs_every_pair_it_names() -> None:
    # A refactor that empties the table must fail here, not pass by checking nothing.
    assert len(PAIRS) == 44
