"""Admins hand out enrollment links and reset lost MFA devices through `/admin/users/{user}/...`."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from chalicelib import aws, wiring
from chalicelib.models.records import Actor
from local.observe import CallLog
from tests.functional.mfa.support import Clock, enroll, enrollment_token, start
from tests.support.api import Api, token_of

ENROLL_URL = re.compile(r"http://127\.0\.0\.1:8000/enroll#[A-Za-z0-9_-]{43,}")


def create(api: Api, name: str = "alice") -> str:
    reply = api.as_admin("POST", "/admin/users", {"user_name": name, "groups": ["developer"]})
    assert reply.status == 201, reply.body
    return token_of(reply.body["bundle"]["url"])


def virtual_devices() -> list[str]:
    return [d["SerialNumber"] for d in aws.iam().list_virtual_mfa_devices()["VirtualMFADevices"]]


def enabled_devices(user: str = "alice") -> list[str]:
    return [d["SerialNumber"] for d in aws.iam().list_mfa_devices(UserName=user)["MFADevices"]]


def test_an_admin_issues_an_enrollment_link_that_opens_the_mfa_step(api: Api, clock: Clock) -> None:
    create(api)

    reply = api.as_admin("POST", "/admin/users/alice/enrollment")

    assert reply.status == 200
    assert reply.headers["Cache-Control"] == "no-store"
    assert ENROLL_URL.fullmatch(reply.body["enrollment"]["url"])
    token = token_of(reply.body["enrollment"]["url"])
    assert enroll(api, clock, token) in enabled_devices()


def test_a_new_enrollment_link_kills_the_previous_one_and_its_pending_device(api: Api, clock: Clock) -> None:
    old = enrollment_token(api)
    start(api, old)

    reply = api.as_admin("POST", "/admin/users/alice/enrollment")

    assert reply.status == 200
    assert api.call("POST", "/onboarding/mfa", {"token": old}).status == 410
    assert virtual_devices() == []


def test_an_enrollment_link_for_a_user_with_mfa_is_a_conflict(api: Api, clock: Clock) -> None:
    enroll(api, clock, enrollment_token(api))

    reply = api.as_admin("POST", "/admin/users/alice/enrollment")

    assert (reply.status, reply.body["error"]["code"]) == (409, "mfa_already_enabled")
    assert "DELETE /admin/users/alice/mfa" in reply.body["error"]["message"]


def test_an_existing_user_without_mfa_adopted_into_the_managed_path_gets_a_working_enrollment_link(
    api: Api, clock: Clock
) -> None:
    # The README's adoption: Force-MFA leaves users without MFA no way to enroll themselves.
    iam = aws.iam()
    iam.create_user(UserName="bob")
    assert api.as_admin("POST", "/admin/users/bob/enrollment").status == 404
    iam.update_user(UserName="bob", NewPath="/onboarding/")
    iam.add_user_to_group(UserName="bob", GroupName="developer")

    reply = api.as_admin("POST", "/admin/users/bob/enrollment")

    assert reply.status == 200, reply.body
    assert enroll(api, clock, token_of(reply.body["enrollment"]["url"])) in enabled_devices("bob")


@pytest.mark.parametrize(("method", "path"), [("POST", "enrollment"), ("DELETE", "mfa")])
@pytest.mark.parametrize("name", ["nobody", "admin"])
def test_mfa_actions_on_users_that_are_not_managed_are_not_found(
    api: Api, method: str, path: str, name: str
) -> None:
    reply = api.as_admin(method, f"/admin/users/{name}/{path}")

    assert (reply.status, reply.body["error"]["code"]) == (404, "user_not_found")


@pytest.mark.parametrize(("method", "path"), [("POST", "enrollment"), ("DELETE", "mfa")])
def test_mfa_actions_need_an_admin_with_an_mfa_session(api: Api, method: str, path: str) -> None:
    create(api, "alice")
    create(api, "bob")

    assert api.call(method, f"/admin/users/alice/{path}", caller="bob", mfa="true").status == 403
    assert api.call(method, f"/admin/users/alice/{path}", caller="admin").body["error"]["code"] == (
        "mfa_required"
    )
    assert api.call(method, f"/admin/users/alice/{path}").status == 401


def test_resetting_a_lost_device_removes_it_and_hands_out_a_working_link(
    api: Api, clock: Clock, aws_calls: CallLog
) -> None:
    serial = enroll(api, clock, enrollment_token(api))
    aws_calls.clear()

    reply = api.as_admin("DELETE", "/admin/users/alice/mfa")

    assert reply.status == 200
    assert reply.body["removed"] == [serial]
    assert ENROLL_URL.fullmatch(reply.body["enrollment"]["url"])
    assert enabled_devices() == []
    assert virtual_devices() == []
    # IAM refuses to delete a device that is still assigned (the emulator does not): deactivate first.
    assert [op for op in aws_calls.operations("iam") if op.endswith("MFADevice")] == [
        "DeactivateMFADevice",
        "DeleteVirtualMFADevice",
    ]
    assert api.as_admin("GET", "/admin/users/alice").body["state"] == "credentials_viewed"
    new_serial = enroll(api, clock, token_of(reply.body["enrollment"]["url"]))
    assert enabled_devices() == [new_serial]


def test_resetting_a_user_without_mfa_removes_nothing_and_still_hands_out_a_link(api: Api) -> None:
    create(api)

    reply = api.as_admin("DELETE", "/admin/users/alice/mfa")

    assert reply.status == 200
    assert reply.body["removed"] == []
    assert ENROLL_URL.fullmatch(reply.body["enrollment"]["url"])
    assert wiring.store().get_user("alice").state == "invited"  # type: ignore[union-attr]


def test_resetting_also_removes_a_pending_device(api: Api, clock: Clock) -> None:
    token = enrollment_token(api)
    start(api, token)

    reply = api.as_admin("DELETE", "/admin/users/alice/mfa")

    assert reply.body["removed"] == []
    assert virtual_devices() == []
    assert api.call("POST", "/onboarding/mfa", {"token": token}).status == 410


def test_a_reset_that_fails_midway_says_where_and_can_be_run_again(
    api: Api, clock: Clock, aws_error: Callable[..., None]
) -> None:
    serial = enroll(api, clock, enrollment_token(api))
    aws_error("DeleteVirtualMFADevice", "ServiceFailure", status=500)

    failed = api.as_admin("DELETE", "/admin/users/alice/mfa")

    assert (failed.status, failed.body["error"]["code"]) == (503, "aws_unavailable")
    assert f"DeleteVirtualMFADevice({serial})" in failed.body["error"]["message"]
    assert "Run it again" in failed.body["error"]["message"]
    again = api.as_admin("DELETE", "/admin/users/alice/mfa")
    assert again.status == 200
    assert again.body["removed"] == [serial]
    assert virtual_devices() == []


def test_mfa_admin_actions_leave_trail_records_without_secrets(
    api: Api, clock: Clock, aws_error: Callable[..., None]
) -> None:
    create(api)
    issued = api.as_admin("POST", "/admin/users/alice/enrollment").body
    clock.advance(seconds=1)
    reset = api.as_admin("DELETE", "/admin/users/alice/mfa").body
    clock.advance(seconds=1)
    aws_error("ListMFADevices", "ServiceFailure", status=500)
    api.as_admin("DELETE", "/admin/users/alice/mfa")

    trail = [e for e in wiring.store().trail() if e.action != "create_user"]

    assert [(e.action, e.target, e.channel, e.outcome.split(":")[0]) for e in trail] == [
        ("issue_enrollment", "alice", "rest", "ok"),
        ("reset_mfa", "alice", "rest", "ok"),
        ("reset_mfa", "alice", "rest", "failed"),
    ]
    for link in (issued["enrollment"]["url"], reset["enrollment"]["url"]):
        assert token_of(link) not in repr(trail)


def test_the_service_verbs_other_channels_call_work_without_http(api: Api, clock: Clock) -> None:
    create(api)
    slack = Actor(id="U123", channel="slack")

    link = wiring.mfa_admin().issue_enrollment("alice", slack)
    removed, fresh = wiring.mfa_admin().reset("alice", slack)

    assert ENROLL_URL.fullmatch(link.url) and ENROLL_URL.fullmatch(fresh.url)
    assert removed == []
    mfa_trail = [e for e in wiring.store().trail() if e.action in ("issue_enrollment", "reset_mfa")]
    assert [(e.actor, e.channel) for e in mfa_trail] == [("U123", "slack")] * 2


def test_offboarding_deletes_a_pending_enrollment_device(api: Api, clock: Clock) -> None:
    start(api, enrollment_token(api))

    reply = api.as_admin("DELETE", "/admin/users/alice")

    assert reply.status == 200
    assert virtual_devices() == []


def test_offboarding_an_enrolled_user_deactivates_and_deletes_the_device(
    api: Api, clock: Clock, aws_calls: CallLog
) -> None:
    serial = enroll(api, clock, enrollment_token(api))

    reply = api.as_admin("DELETE", "/admin/users/alice")

    assert reply.body["removed"]["mfa_devices"] == [serial]
    assert [p["SerialNumber"] for p in aws_calls.of("DeactivateMFADevice")] == [serial]
    assert virtual_devices() == []
