"""The daily audit end to end: `/admin/audit`, stored reports, fresh MFA, cost, the schedule and Slack."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest
from botocore.awsrequest import AWSResponse

from bench.audit import add_failing_users, add_healthy_users
from chalicelib import aws, wiring
from chalicelib.audit.auditor import Auditor, Clocks
from chalicelib.config import POLICIES_DIR, audit_stalled_after, settings
from local.observe import CallLog, recording_calls
from tests.credential_report import HEADER
from tests.support.api import Api

START = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


class Clock:
    """The audit's wall clock, moved by the test, and a monotonic clock that moves only when it sleeps."""

    def __init__(self) -> None:
        self.now = START
        self.elapsed = 0.0

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        self.elapsed += seconds


@pytest.fixture
def clock(aws_account: None, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Every auditor the app builds uses this clock and never really sleeps."""
    clock = Clock()

    def auditor(report_deadline: float = 20.0) -> Auditor:
        return Auditor(
            aws.iam(),
            wiring.store(),
            settings(),
            stalled_after=audit_stalled_after(),
            report_deadline=report_deadline,
            clocks=Clocks(now=clock, monotonic=clock.monotonic, sleep=clock.sleep),
        )

    monkeypatch.setattr(wiring, "auditor", auditor)
    return clock


def findings(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["check_id"], f["resource"]) for f in report["findings"]]


def create(api: Api, name: str, groups: list[str] | None = None) -> None:
    reply = api.as_admin("POST", "/admin/users", {"user_name": name, "groups": groups or ["developer"]})
    assert reply.status == 201, reply.body


# --- the routes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_a_caller_outside_the_admin_groups_may_neither_run_nor_read_the_audit(
    api: Api, clock: Clock, method: str
) -> None:
    create(api, "bob")

    reply = api.call(method, "/admin/audit", caller="bob", mfa="true")

    assert (reply.status, reply.body["error"]["code"]) == (403, "forbidden")


def test_reading_the_audit_before_any_run_is_a_clear_404(api: Api, clock: Clock) -> None:
    reply = api.as_admin("GET", "/admin/audit")

    assert (reply.status, reply.body["error"]["code"]) == (404, "no_report")


def test_running_the_audit_on_the_bootstrapped_account_reports_root_mfa_and_password_reuse(
    api: Api, clock: Clock
) -> None:
    reply = api.as_admin("POST", "/admin/audit")

    assert reply.status == 200
    body = reply.body
    assert body["generated_at"] == "2026-11-29T12:00:00Z"
    # The emulator's report carries a fixed 2015 time: reported as it is, never used to judge ages.
    assert body["credential_report_generated_at"] == "2015-02-02T20:02:02Z"
    # The bootstrap's admin stands in administrator, which is joined by temporary elevation (SPEC §15).
    assert findings(body) == [
        ("iam_root_mfa_enabled", "<root_account>"),
        ("elevate_group_member_without_grant", "admin/administrator"),
        ("iam_password_policy_reuse_24", "password_policy"),
    ]
    assert body["findings"][0] == {
        "check_id": "iam_root_mfa_enabled",
        "severity": "critical",
        "resource": "<root_account>",
        "message": "MFA is not enabled for root account.",
        "remediation": "Sign in as root and assign an MFA device (hardware or virtual) to the root user.",
    }
    assert body["summary"]["findings"] == 3
    assert body["summary"]["users"] == 1
    assert body["summary"]["by_severity"] == {"critical": 1, "high": 1, "medium": 1, "low": 0}


def test_a_force_mfa_that_still_lets_a_password_add_a_device_is_reported_as_drift(
    api: Api, clock: Clock
) -> None:
    # The seed's self-service enrollment, put back by hand: the audit compares with policies/ as it is.
    document = json.loads((POLICIES_DIR / "force-mfa.json").read_text())
    document["Statement"].insert(
        0,
        {
            "Sid": "AllowCreateVirtualMFADevice",
            "Effect": "Allow",
            "Action": ["iam:CreateVirtualMFADevice"],
            "Resource": "arn:aws:iam::*:mfa/*",
        },
    )
    [deny] = [s for s in document["Statement"] if s["Sid"] == "DenyAllExceptListedIfNoMFA"]
    deny["NotAction"].append("iam:CreateVirtualMFADevice")
    aws.iam().create_policy_version(
        PolicyArn="arn:aws:iam::123456789012:policy/Force-MFA",
        PolicyDocument=json.dumps(document),
        SetAsDefault=True,
    )

    report = api.as_admin("POST", "/admin/audit").body

    [drift] = [f for f in report["findings"] if f["check_id"] == "force_mfa_policy_drift"]
    assert drift["message"] == (
        "Policy Force-MFA differs from policies/force-mfa.json "
        "(statements AllowCreateVirtualMFADevice, DenyAllExceptListedIfNoMFA)."
    )


def test_the_latest_stored_report_is_the_one_read_back(api: Api, clock: Clock) -> None:
    api.as_admin("POST", "/admin/audit")
    clock.now = START + timedelta(hours=1)
    aws.iam().create_user(UserName="stray", Path="/")
    newest = api.as_admin("POST", "/admin/audit").body

    reply = api.as_admin("GET", "/admin/audit")

    assert reply.status == 200
    assert reply.body == newest
    assert ("user_outside_managed_groups", "stray") in findings(reply.body)


def test_running_the_audit_leaves_a_trail_record(api: Api, clock: Clock) -> None:
    api.as_admin("POST", "/admin/audit")

    trail = wiring.store().trail()

    assert [(e.actor, e.action, e.target, e.channel, e.outcome) for e in trail] == [
        ("arn:aws:iam::123456789012:user/admin", "run_audit", "account", "rest", "ok: 3 findings")
    ]


# --- freshness --------------------------------------------------------------------------------------


def stale_report(rows: str) -> Any:
    """A `before-call` hook answering GetCredentialReport with an older report than IAM's state."""

    def answer(model: Any, **_: Any) -> Any:
        if model.name != "GetCredentialReport":
            return None
        parsed = {
            "Content": (HEADER + rows).encode(),
            "ReportFormat": "text/csv",
            "GeneratedTime": START - timedelta(hours=3),
        }
        return AWSResponse("https://iam.amazonaws.com/", 200, {}, None), parsed

    return answer


def row(name: str, mfa: bool) -> str:
    return (
        f"{name},arn:aws:iam::123456789012:user/onboarding/{name},2026-11-29T00:00:00+00:00,true,N/A,"
        f"2026-11-29T00:00:00+00:00,N/A,{str(mfa).lower()},false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,"
        "false,N/A,false,N/A\n"
    )


def test_users_the_stale_report_marks_without_mfa_are_confirmed_live_and_only_they_cost_a_call(
    api: Api, clock: Clock, aws_calls: CallLog
) -> None:
    for name in ("alice", "bob", "carol"):
        create(api, name)
    iam = aws.iam()
    # alice enrolled a hardware device after the report was generated; it is not a virtual device.
    iam.enable_mfa_device(
        UserName="alice",
        SerialNumber="GAHT12345678",
        AuthenticationCode1="123456",
        AuthenticationCode2="654321",
    )
    hook = stale_report(row("alice", False) + row("bob", False) + row("carol", True))
    iam.meta.events.register("before-call.iam", hook)
    aws_calls.clear()
    try:
        report = api.as_admin("POST", "/admin/audit").body
    finally:
        iam.meta.events.unregister("before-call.iam", hook)

    assert [c["UserName"] for c in sorted(aws_calls.of("ListMFADevices"), key=lambda c: c["UserName"])] == [
        "alice",
        "bob",
    ]
    assert [r for c, r in findings(report) if c == "iam_user_mfa_enabled_console_access"] == ["bob"]
    assert report["credential_report_generated_at"] == "2026-11-29T09:00:00Z"


def test_a_link_left_unopened_past_its_lifetime_and_a_week_old_invitation_are_reported(
    api: Api, clock: Clock
) -> None:
    create(api, "alice")
    clock.now = datetime.now(UTC) + timedelta(days=8)

    report = api.as_admin("POST", "/admin/audit").body

    assert [f["message"] for f in report["findings"] if f["resource"] == "alice"] == [
        "User alice has Console Password enabled but MFA disabled.",
        "User alice was invited over 7 days ago and has never used their password and has no MFA device.",
        "The credential link of alice expired unused.",
    ]


def test_a_credential_report_still_generating_at_the_deadline_is_a_503_and_a_failed_trail_record(
    api: Api, clock: Clock
) -> None:
    def in_progress(model: Any, **_: Any) -> Any:
        if model.name == "GenerateCredentialReport":
            return AWSResponse("https://iam.amazonaws.com/", 200, {}, None), {"State": "INPROGRESS"}
        return None

    aws.iam().meta.events.register("before-call.iam", in_progress)
    try:
        reply = api.as_admin("POST", "/admin/audit")
    finally:
        aws.iam().meta.events.unregister("before-call.iam", in_progress)

    assert (reply.status, reply.body["error"]["code"]) == (503, "credential_report_not_ready")
    assert clock.elapsed == 0.5 + 1 + 2 + 4 + 8  # backed off, and gave up before passing the 20 s deadline
    assert [(e.action, e.outcome) for e in wiring.store().trail()] == [
        ("run_audit", "failed: CredentialReportNotReady")
    ]
    assert api.as_admin("GET", "/admin/audit").status == 404


# --- cost -------------------------------------------------------------------------------------------


def test_the_number_of_aws_calls_does_not_grow_with_healthy_users(aws_account: None) -> None:
    iam, dynamodb = aws.iam(), aws.dynamodb()
    add_failing_users(iam, 3)
    add_healthy_users(iam, 10)
    iam.generate_credential_report()
    auditor = Auditor(iam, wiring.store(), settings(), stalled_after=timedelta(days=7))

    with recording_calls([iam, dynamodb]) as small:
        auditor.run()
    add_healthy_users(iam, 50, start=10)
    with recording_calls([iam, dynamodb]) as large:
        report = auditor.run()

    assert report.summary.users == 1 + 3 + 60
    assert large.counts() == small.counts()
    assert small.counts()["iam:ListMFADevices"] == 3  # the failing console users, confirmed live
    assert len(small) < 25


# --- the schedule and Slack -------------------------------------------------------------------------


class SlackStandIn(BaseHTTPRequestHandler):
    """Receives webhook posts on 127.0.0.1 and keeps their JSON bodies."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        SlackStandIn.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def slack() -> Iterator[str]:
    SlackStandIn.received = []
    server = HTTPServer(("127.0.0.1", 0), SlackStandIn)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/services/T000/B000/secret"
    server.shutdown()
    server.server_close()


def test_the_daily_audit_is_scheduled_once_a_day() -> None:
    from app import app

    [source] = [s for s in app.event_sources if s.name == "daily_audit"]

    assert source.schedule_expression.to_string() == "rate(1 day)"


def test_the_scheduled_audit_stores_the_report_and_posts_counts_without_names(
    api: Api, clock: Clock, slack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws.iam().create_user(UserName="stray", Path="/")
    monkeypatch.setenv("SLACK_AUDIT_WEBHOOK_URL", slack)

    report = wiring.daily_audit()

    assert wiring.auditor().latest() == report
    assert SlackStandIn.received == [
        {
            "text": "IAM audit 2026-11-29 12:00Z: 4 findings (1 critical, 1 high, 2 medium) over 2 users.\n"
            "elevate_group_member_without_grant (1), iam_password_policy_reuse_24 (1), "
            "iam_root_mfa_enabled (1), user_outside_managed_groups (1)\n"
            "Details: GET /admin/audit."
        }
    ]
    assert [(e.actor, e.channel) for e in wiring.store().trail()] == [("scheduler", "schedule")]


def test_deployed_the_webhook_is_read_from_a_secure_ssm_parameter(
    api: Api, clock: Clock, slack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    wiring.reset()
    aws.ssm().put_parameter(Name="/iam-onboarding/slack-audit-webhook", Value=slack, Type="SecureString")
    monkeypatch.setenv("SLACK_AUDIT_WEBHOOK_PARAM", "/iam-onboarding/slack-audit-webhook")

    wiring.daily_audit()

    assert len(SlackStandIn.received) == 1


def test_the_webhook_is_read_from_ssm_once_for_audits_minutes_apart(
    api: Api, clock: Clock, slack: str, monkeypatch: pytest.MonkeyPatch, aws_calls: CallLog
) -> None:
    aws.ssm().put_parameter(Name="/iam-onboarding/slack-audit-webhook", Value=slack, Type="SecureString")
    monkeypatch.setenv("SLACK_AUDIT_WEBHOOK_PARAM", "/iam-onboarding/slack-audit-webhook")

    wiring.daily_audit()
    wiring.daily_audit()

    assert len(SlackStandIn.received) == 2
    assert len(aws_calls.of("GetParameter")) == 1


def test_a_failed_slack_post_keeps_the_report_and_does_not_log_the_url(
    api: Api, clock: Clock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SLACK_AUDIT_WEBHOOK_URL", "http://127.0.0.1:9/services/T000/B000/secret")

    report = wiring.daily_audit()

    assert wiring.auditor().latest() == report
    assert "secret" not in caplog.text
    assert "posting the audit summary to Slack failed" in caplog.text
