"""Collecting the credential report: polled with backoff up to a deadline, parsed without trusting its age."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.audit.collect import fetch_credential_report, parse_credential_report
from chalicelib.audit.snapshot import AccessKeyRow, CredentialRow
from chalicelib.errors import CredentialReportNotReady
from tests.credential_report import HEADER

ROOT = (
    "<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,"
    "2026-11-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,"
    "false,N/A,false,N/A\n"
)
ALICE = (
    "alice,arn:aws:iam::123456789012:user/onboarding/alice,2026-11-01T00:00:00+00:00,true,no_information,"
    "2026-11-01T00:00:00+00:00,N/A,false,true,2026-11-02T00:00:00+00:00,N/A,N/A,N/A,false,"
    "2026-11-03T00:00:00+00:00,2026-11-04T10:00:00+00:00,us-east-1,iam,false,N/A,false,N/A\n"
)
BOT = (
    "bot,arn:aws:iam::123456789012:user/bot,2026-11-01T00:00:00+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,"
    "N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
)
GENERATED = datetime(2015, 2, 2, 20, 2, 2, tzinfo=UTC)


class FakeTime:
    """A monotonic clock that only moves when the code sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def iam() -> Any:
    return boto3.client("iam", region_name="us-east-1")


def report_response(content: str = HEADER + ALICE) -> dict:
    return {"Content": content.encode(), "ReportFormat": "text/csv", "GeneratedTime": GENERATED}


def test_a_ready_report_costs_one_generate_and_one_get_and_no_wait(iam: Any) -> None:
    clock = FakeTime()
    with Stubber(iam) as stub:
        stub.add_response("generate_credential_report", {"State": "COMPLETE"})
        stub.add_response("get_credential_report", report_response())
        report = fetch_credential_report(iam, monotonic=clock.monotonic, sleep=clock.sleep)
        stub.assert_no_pending_responses()

    assert clock.slept == []
    assert report.generated_at == GENERATED
    assert [r.user for r in report.rows] == ["alice"]


def test_a_report_in_progress_is_polled_with_growing_waits(iam: Any) -> None:
    clock = FakeTime()
    with Stubber(iam) as stub:
        for state in ("STARTED", "INPROGRESS", "INPROGRESS", "COMPLETE"):
            stub.add_response("generate_credential_report", {"State": state})
        stub.add_response("get_credential_report", report_response())
        fetch_credential_report(iam, monotonic=clock.monotonic, sleep=clock.sleep)

    assert clock.slept == [0.5, 1.0, 2.0]


def test_a_report_not_ready_by_the_deadline_is_a_clear_503(iam: Any) -> None:
    clock = FakeTime()
    with Stubber(iam) as stub:
        for _ in range(6):
            stub.add_response("generate_credential_report", {"State": "INPROGRESS"})
        with pytest.raises(CredentialReportNotReady) as raised:
            fetch_credential_report(iam, monotonic=clock.monotonic, sleep=clock.sleep, deadline=10.0)

    assert clock.slept == [0.5, 1.0, 2.0, 4.0]  # 7.5 s waited; the next 8 s wait would pass the deadline
    assert (raised.value.status, raised.value.code) == (503, "credential_report_not_ready")


def test_report_rows_keep_dates_and_turn_placeholders_into_none() -> None:
    rows = parse_credential_report(HEADER + ROOT + ALICE + BOT)

    assert rows[1:] == (
        CredentialRow(
            user="alice",
            arn="arn:aws:iam::123456789012:user/onboarding/alice",
            password_enabled=True,
            password_last_used=None,
            mfa_active=False,
            access_keys=(
                AccessKeyRow(1, True, datetime(2026, 11, 2, tzinfo=UTC), None),
                AccessKeyRow(
                    2, False, datetime(2026, 11, 3, tzinfo=UTC), datetime(2026, 11, 4, 10, tzinfo=UTC)
                ),
            ),
        ),
        CredentialRow("bot", "arn:aws:iam::123456789012:user/bot", False, None, False, ()),
    )
    assert rows[0].user == "<root_account>"
