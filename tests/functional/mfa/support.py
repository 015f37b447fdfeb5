"""Helpers of the MFA tests: a clock the test moves, and a newcomer's path through the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pyotp

from tests.support.api import Api, token_of


class Clock:
    """The time the MFA service sees; tests move it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward."""
        self.now += timedelta(**delta)


def codes(secret: str, at: datetime, first_step: int = -1) -> tuple[str, str]:
    """The codes of steps `first_step` and `first_step + 1` relative to `at` (default: previous, current)."""
    totp = pyotp.TOTP(secret)
    return (
        totp.at(at + timedelta(seconds=30 * first_step)),
        totp.at(at + timedelta(seconds=30 * (first_step + 1))),
    )


def enrollment_token(api: Api, name: str = "alice", groups: list[str] | None = None) -> str:
    """Create a user and claim their credentials: the enrollment token they get."""
    created = api.as_admin("POST", "/admin/users", {"user_name": name, "groups": groups or ["developer"]})
    assert created.status == 201, created.body
    claimed = api.call("POST", "/onboarding/credentials", {"token": token_of(created.body["bundle"]["url"])})
    assert claimed.status == 200, claimed.body
    return str(claimed.body["enrollment"]["token"])


def start(api: Api, token: str) -> dict[str, Any]:
    """Start enrollment; the body of a 200."""
    reply = api.call("POST", "/onboarding/mfa", {"token": token})
    assert reply.status == 200, reply.body
    return dict(reply.body)


def enroll(api: Api, clock: Clock, token: str) -> str:
    """Start and verify enrollment with the right codes: the enabled serial."""
    started = start(api, token)
    code1, code2 = codes(started["secret"], clock.now)
    reply = api.call("POST", "/onboarding/mfa/verify", {"token": token, "code1": code1, "code2": code2})
    assert reply.status == 200, reply.body
    return str(started["serial_number"])
