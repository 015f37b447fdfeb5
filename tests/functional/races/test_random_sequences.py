"""Random sequences of operations on a few users, with AWS calls failing transiently before or after
they take effect: after each step no half-made user and no lock left, no member of an elevate group
without a live grant, every answer in words; at the end, at most the newest link of each kind works. A
failing sequence shrinks to a short replay (hypothesis' stateful testing).
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from typing import Any
from unittest import mock

import pyotp
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from chalicelib import aws, wiring
from local.emulator import emulated_account
from tests.support.api import Api, Reply
from tests.support.faults import failing_on_the_wire
from tests.support.invariants import (
    Ledger,
    answer_problems,
    elevation_problems,
    link_problems,
    state_problems,
)

NAMES = ("alice", "bob")
# (service, operation) a step may see fail, and how: 500 before it took effect and again after it did,
# each absorbed by botocore's retry, as the fault suite does call by call.
CALLS = (
    ("iam", "CreateUser"),
    ("iam", "CreateLoginProfile"),
    ("iam", "UpdateLoginProfile"),
    ("iam", "AddUserToGroup"),
    ("iam", "CreateVirtualMFADevice"),
    ("iam", "EnableMFADevice"),
    ("iam", "DeactivateMFADevice"),
    ("iam", "DeleteVirtualMFADevice"),
    ("iam", "DeleteLoginProfile"),
    ("iam", "RemoveUserFromGroup"),
    ("iam", "DeleteUser"),
    ("dynamodb", "TransactWriteItems"),
    ("scheduler", "CreateSchedule"),
    ("scheduler", "DeleteSchedule"),
)
CODES = {"iam": "ServiceFailure", "dynamodb": "InternalServerError", "scheduler": "InternalServerException"}
ASK = {"group": "administrator", "minutes": 60, "reason": "deploy the fix"}
FAULTS = st.none() | st.tuples(st.sampled_from(CALLS), st.booleans(), st.integers(1, 3))
STEPS = {"count": 0}


class Onboarding(RuleBasedStateMachine):
    """One emulated account per example; the rules are the product's operations."""

    def __init__(self) -> None:
        super().__init__()
        self._stack = ExitStack()
        self._stack.enter_context(mock.patch("time.sleep"))
        self._stack.enter_context(emulated_account())
        self.api, self.ledger = Api(), Ledger()
        self.secrets: dict[str, str] = {}

    def teardown(self) -> None:
        try:
            assert link_problems(self.api, self.ledger) == []
        finally:
            self._stack.close()

    def _run(self, what: str, user: str, fault: Any, call: Any) -> Reply:
        STEPS["count"] += 1
        with ExitStack() as faults:
            if fault is not None:
                (service, operation), after, nth = fault
                client = {"iam": aws.iam, "dynamodb": aws.dynamodb, "scheduler": aws.scheduler}[service]()
                faults.enter_context(
                    failing_on_the_wire(
                        client, operation, CODES[service], status=500, nth=nth, attempts=1, after_effect=after
                    )
                )
            return self.ledger.note(what, user, call())

    def _newest(self, tokens: list[tuple[str, str]], user: str) -> str:
        mine = [t for u, t in tokens if u == user]
        return mine[-1] if mine else "no-such-token-" + "x" * 40

    @rule(user=st.sampled_from(NAMES), fault=FAULTS)
    def create(self, user: str, fault: Any) -> None:
        body = {"user_name": user, "groups": ["developer"]}
        self._run("create", user, fault, lambda: self.api.as_admin("POST", "/admin/users", body))

    @rule(user=st.sampled_from(NAMES), fault=FAULTS)
    def claim(self, user: str, fault: Any) -> None:
        token = self._newest(self.ledger.credential_tokens, user)
        self._run(
            "claim", user, fault, lambda: self.api.call("POST", "/onboarding/credentials", {"token": token})
        )

    @rule(user=st.sampled_from(NAMES), fault=FAULTS)
    def start(self, user: str, fault: Any) -> None:
        token = self._newest(self.ledger.enrollment_tokens, user)
        reply = self._run(
            "start", user, fault, lambda: self.api.call("POST", "/onboarding/mfa", {"token": token})
        )
        if reply.status == 200:
            self.secrets[token] = reply.body["secret"]

    @rule(user=st.sampled_from(NAMES), fault=FAULTS)
    def verify(self, user: str, fault: Any) -> None:
        token = self._newest(self.ledger.enrollment_tokens, user)
        totp, now = pyotp.TOTP(self.secrets.get(token, "A" * 32)), int(time.time())
        body = {"token": token, "code1": totp.at(now - 30), "code2": totp.at(now)}
        self._run("verify", user, fault, lambda: self.api.call("POST", "/onboarding/mfa/verify", body))

    @rule(user=st.sampled_from(NAMES), fault=FAULTS)
    def reissue(self, user: str, fault: Any) -> None:
        self._run(
            "reissue", user, fault, lambda: self.api.as_admin("POST", f"/admin/users/{user}/credentials")
        )

    @rule(user=st.sampled_from(NAMES), fault=FAULTS)
    def reset(self, user: str, fault: Any) -> None:
        self._run("reset", user, fault, lambda: self.api.as_admin("DELETE", f"/admin/users/{user}/mfa"))

    @rule(user=st.sampled_from(NAMES), fault=FAULTS)
    def enrollment(self, user: str, fault: Any) -> None:
        self._run(
            "enrollment", user, fault, lambda: self.api.as_admin("POST", f"/admin/users/{user}/enrollment")
        )

    @rule(user=st.sampled_from(NAMES), fault=FAULTS)
    def offboard(self, user: str, fault: Any) -> None:
        reply = self._run(
            "offboard", user, fault, lambda: self.api.as_admin("DELETE", f"/admin/users/{user}")
        )
        if reply.status == 200:
            self.ledger.bury(user)

    def _grant_of(self, user: str) -> str:
        mine = [g for g in wiring.store().list_grants() if g.user_name == user]
        return max(mine, key=lambda g: g.requested_at).grant_id if mine else "no-such-grant"

    @rule(user=st.sampled_from(NAMES), fault=FAULTS)
    def ask(self, user: str, fault: Any) -> None:
        self._run(
            "ask", user, fault, lambda: self.api.call("POST", "/elevations", ASK, caller=user, mfa="true")
        )

    @rule(user=st.sampled_from(NAMES), fault=FAULTS)
    def approve(self, user: str, fault: Any) -> None:
        path = f"/admin/elevations/{self._grant_of(user)}/approve"
        self._run("approve", user, fault, lambda: self.api.as_admin("POST", path))

    @rule(user=st.sampled_from(NAMES), fault=FAULTS)
    def end(self, user: str, fault: Any) -> None:
        path = f"/elevations/{self._grant_of(user)}"
        self._run("end", user, fault, lambda: self.api.call("DELETE", path, caller=user, mfa="true"))

    @invariant()
    def every_answer_is_in_words_and_nothing_is_half_made(self) -> None:
        assert answer_problems(self.ledger) == []
        assert state_problems() == []
        assert elevation_problems() == []


Onboarding.TestCase.settings = hypothesis_settings(
    max_examples=30, stateful_step_count=12, deadline=None, database=None
)
TestRandomSequences = Onboarding.TestCase


def test_the_model_above_ran_its_steps() -> None:
    # pytest runs a file's tests in order: a model that stopped running its rules fails here.
    assert STEPS["count"] >= 15
