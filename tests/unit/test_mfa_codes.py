"""The pure parts of MFA enrollment: reading IAM's seed and checking two consecutive codes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from chalicelib.onboarding.totp import codes_match, seed_text

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = datetime(2026, 11, 29, 12, 0, 10, tzinfo=UTC)


def code_at(steps_from_now: int) -> str:
    return str(pyotp.TOTP(SECRET).at(NOW + timedelta(seconds=30 * steps_from_now)))


def test_the_seed_botocore_hands_back_is_the_base32_text_itself() -> None:
    # IAM sends base64(Base32 text); botocore removes the base64 layer and leaves the text's bytes.
    on_the_wire = base64.b64encode(SECRET.encode())

    assert seed_text(base64.b64decode(on_the_wire)) == SECRET


def test_a_seed_that_is_not_base32_text_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError, match="not Base32") as error:
        seed_text(b"\x01\x02secret-bytes")

    assert "secret-bytes" not in str(error.value)


@pytest.mark.parametrize("second", [-1, 0, 1])
def test_two_consecutive_codes_match_within_one_step_of_drift(second: int) -> None:
    assert codes_match(SECRET, code_at(second - 1), code_at(second), NOW)


@pytest.mark.parametrize(
    ("first", "second"),
    [(0, -1), (0, 0), (-2, 0), (-3, -2), (1, 2)],
    ids=["reversed", "repeated", "gap", "too-old", "too-new"],
)
def test_codes_that_are_not_consecutive_steps_near_now_do_not_match(first: int, second: int) -> None:
    assert not codes_match(SECRET, code_at(first), code_at(second), NOW)
