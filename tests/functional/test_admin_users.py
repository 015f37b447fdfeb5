"""Admins create, list, inspect, re-credential and offboard users through `/admin/*`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chalicelib import aws, wiring
from local.observe import CallLog
from tests.support.api import Api, token_of


def create(api: Api, name: str = "alice", groups: list[str] | None = None) -> dict:
    reply = api.as_admin("POST", "/admin/users", {"user_name": name, "groups": groups or ["developer"]})
    assert reply.status == 201, reply.body
    return reply.body


def test_admin_creates_a_user_in_groups_with_a_forced_reset_and_a_one_time_link(
    api: Api, aws_calls: CallLog
) -> None:
    reply = api.as_admin(
        "POST", "/admin/users", {"user_name": "alice", "groups": ["developer", "administrator"]}
    )

    assert reply.status == 201
    assert reply.headers["Cache-Control"] == "no-store"
    body = reply.body
    assert body["arn"] == "arn:aws:iam::123456789012:user/onboarding/alice"
    assert body["groups"] == ["developer", "administrator"]
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/onboard#[A-Za-z0-9_-]{43,}", body["bundle"]["url"])
    iam = aws.iam()
    assert {g["GroupName"] for g in iam.list_groups_for_user(UserName="alice")["Groups"]} == {
        "developer",
        "administrator",
    }
    # The emulator drops PasswordResetRequired on CreateLoginProfile; what IAM is asked for is what counts.
    assert [p["PasswordResetRequired"] for p in aws_calls.of("CreateLoginProfile")] == [True]
    assert iam.list_access_keys(UserName="alice")["AccessKeyMetadata"] == []


def test_a_name_that_differs_only_in_letter_case_is_taken(api: Api) -> None:
    create(api, "alice")

    reply = api.as_admin("POST", "/admin/users", {"user_name": "Alice", "groups": ["developer"]})

    assert reply.status == 409
    assert reply.body["error"]["code"] == "user_exists"
    assert [u["UserName"] for u in aws.iam().list_users(PathPrefix="/onboarding/")["Users"]] == ["alice"]


def test_an_existing_name_is_taken(api: Api) -> None:
    create(api, "alice")

    reply = api.as_admin("POST", "/admin/users", {"user_name": "alice", "groups": ["developer"]})

    assert (reply.status, reply.body["error"]["code"]) == (409, "user_exists")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{not json", "malformed_json"),
        (b"[1, 2]", "invalid_request"),
        (b'{"user_name": "alice", "groups": ["developer"], "admin": true}', "invalid_request"),
        (b'{"user_name": 7, "groups": ["developer"]}', "invalid_request"),
        (b'{"user_name": "alice", "groups": "developer"}', "invalid_request"),
        (b'{"user_name": "alice", "groups": []}', "invalid_request"),
        (b'{"user_name": "al ice", "groups": ["developer"]}', "invalid_request"),
        (b'{"user_name": "\xc3\xa9lise", "groups": ["developer"]}', "invalid_request"),
        (b'{"user_name": "' + b"a" * 65 + b'", "groups": ["developer"]}', "invalid_request"),
        (b'{"user_name": "alice", "groups": ["root"]}', "invalid_request"),
        (
            b'{"user_name": "alice", "groups": ["developer"], "pad": "' + b"x" * 17000 + b'"}',
            "body_too_large",
        ),
    ],
)
def test_a_bad_body_is_a_clear_400_and_creates_nothing(api: Api, raw: bytes, code: str) -> None:
    reply = api.as_admin("POST", "/admin/users", raw=raw)

    assert reply.status == 400
    assert reply.body["error"]["code"] == code
    assert reply.body["error"]["message"]
    assert aws.iam().list_users(PathPrefix="/onboarding/")["Users"] == []


def test_a_caller_outside_the_admin_groups_is_refused_before_the_body_is_read(api: Api) -> None:
    create(api, "bob", ["developer"])

    reply = api.call("POST", "/admin/users", raw=b"{not json", caller="bob", mfa="true")

    assert (reply.status, reply.body["error"]["code"]) == (403, "forbidden")


def test_an_unknown_caller_is_refused(api: Api) -> None:
    reply = api.call("GET", "/admin/users", caller="mallory", mfa="true")

    assert reply.status == 403


def test_a_request_without_a_caller_is_unauthenticated(api: Api) -> None:
    reply = api.call("GET", "/admin/users")

    assert (reply.status, reply.body["error"]["code"]) == (401, "missing_authentication")


@pytest.mark.parametrize("mfa", [None, "false"])
def test_an_admin_without_an_mfa_session_is_stopped_by_the_resource_policy(api: Api, mfa: str | None) -> None:
    reply = api.call("GET", "/admin/users", caller="admin", mfa=mfa)

    assert (reply.status, reply.body["error"]["code"]) == (403, "mfa_required")


def test_listing_shows_each_managed_user_with_groups_and_state(api: Api) -> None:
    create(api, "bob", ["developer"])
    alice = create(api, "alice", ["administrator", "developer"])
    api.call("POST", "/onboarding/credentials", {"token": token_of(alice["bundle"]["url"])})

    users = api.as_admin("GET", "/admin/users").body["users"]

    assert [(u["user_name"], u["groups"], u["state"]) for u in users] == [
        ("alice", ["administrator", "developer"], "credentials_viewed"),
        ("bob", ["developer"], "invited"),
    ]


def _enable(user: str, serial: str) -> None:
    aws.iam().enable_mfa_device(
        UserName=user, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )


def _virtual_device(user: str) -> None:
    _enable(
        user,
        aws.iam().create_virtual_mfa_device(VirtualMFADeviceName=f"{user}-phone")["VirtualMFADevice"][
            "SerialNumber"
        ],
    )


def test_listing_counts_a_hardware_or_passkey_device_as_mfa_as_describing_does(api: Api) -> None:
    create(api, "alice")
    _enable("alice", "GAHT12345678")  # a hardware token: not a virtual device

    [listed] = api.as_admin("GET", "/admin/users").body["users"]

    assert listed["state"] == api.as_admin("GET", "/admin/users/alice").body["state"] == "mfa_enrolled"


def test_listing_asks_iam_for_other_devices_only_of_users_without_a_virtual_one(
    api: Api, aws_calls: CallLog
) -> None:
    for name in ("alice", "bob", "carol"):
        create(api, name)
    _virtual_device("alice")
    aws_calls.clear()

    api.as_admin("GET", "/admin/users")

    assert sorted(c["UserName"] for c in aws_calls.of("ListMFADevices")) == ["bob", "carol"]


def test_describing_a_user_finds_them_in_any_letter_case_and_answers_with_the_stored_spelling(
    api: Api,
) -> None:
    create(api, "Alice")

    reply = api.as_admin("GET", "/admin/users/alice")

    assert reply.status == 200
    assert reply.body["user_name"] == "Alice"
    assert reply.body["state"] == "invited"
    assert reply.body["mfa_devices"] == []
    assert reply.body["password_last_used"] is None


@pytest.mark.parametrize("name", ["nobody", "admin"])
def test_users_that_are_not_managed_are_not_found(api: Api, name: str) -> None:
    reply = api.as_admin("GET", f"/admin/users/{name}")

    assert (reply.status, reply.body["error"]["code"]) == (404, "user_not_found")


def test_reissuing_credentials_kills_the_old_link_and_forces_a_reset_again(
    api: Api, aws_calls: CallLog
) -> None:
    old = create(api, "alice")
    api.call("POST", "/onboarding/credentials", {"token": token_of(old["bundle"]["url"])})

    reply = api.as_admin("POST", "/admin/users/alice/credentials")

    assert reply.status == 200
    new_token = token_of(reply.body["bundle"]["url"])
    assert (
        api.call("POST", "/onboarding/credentials", {"token": token_of(old["bundle"]["url"])}).status == 410
    )
    # A new password always goes with the update: without one IAM keeps the old password valid (and the
    # emulator deletes the profile).
    [update] = aws_calls.of("UpdateLoginProfile")
    assert update["PasswordResetRequired"] is True and len(update["Password"]) >= 16
    assert aws.iam().get_login_profile(UserName="alice")["LoginProfile"]["PasswordResetRequired"] is True
    assert api.as_admin("GET", "/admin/users/alice").body["state"] == "invited"
    assert api.call("POST", "/onboarding/credentials", {"token": new_token}).status == 200


SSH_KEY = (Path(__file__).parent.parent / "events" / "ssh_key.pub").read_text()


def _give_alice_everything() -> None:
    iam = aws.iam()
    iam.create_access_key(UserName="alice")
    iam.put_user_policy(
        UserName="alice",
        PolicyName="extra",
        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}',
    )
    iam.attach_user_policy(UserName="alice", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.upload_ssh_public_key(
        UserName="alice",
        SSHPublicKeyBody=SSH_KEY,
    )
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone")["VirtualMFADevice"][
        "SerialNumber"
    ]
    iam.enable_mfa_device(
        UserName="alice", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )


def test_offboarding_removes_every_credential_membership_and_policy_then_the_user(api: Api) -> None:
    create(api, "alice", ["developer", "administrator"])
    _give_alice_everything()

    reply = api.as_admin("DELETE", "/admin/users/alice")

    assert reply.status == 200
    removed = reply.body["removed"]
    assert removed["login_profile"] is True
    assert removed["mfa_devices"] == ["arn:aws:iam::123456789012:mfa/alice-phone"]
    assert len(removed["access_keys"]) == 1 and len(removed["ssh_public_keys"]) == 1
    assert sorted(removed["groups"]) == ["administrator", "developer"]
    assert removed["inline_policies"] == ["extra"]
    assert removed["attached_policies"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    iam = aws.iam()
    assert iam.list_users(PathPrefix="/onboarding/")["Users"] == []
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []
    assert wiring.store().get_user("alice") is None
    assert api.as_admin("GET", "/admin/users/alice").status == 404


def test_a_dry_run_lists_the_same_things_and_changes_nothing(api: Api) -> None:
    create(api, "alice", ["developer"])
    _give_alice_everything()

    dry = api.as_admin("DELETE", "/admin/users/alice?dry_run=true")

    assert dry.status == 200 and dry.body["dry_run"] is True
    assert api.as_admin("GET", "/admin/users/alice").status == 200
    assert len(aws.iam().list_access_keys(UserName="alice")["AccessKeyMetadata"]) == 1
    real = api.as_admin("DELETE", "/admin/users/alice")
    assert real.body["removed"] == dry.body["removed"]


def test_a_dry_run_flag_that_is_not_a_boolean_is_a_bad_request(api: Api) -> None:
    create(api, "alice")

    reply = api.as_admin("DELETE", "/admin/users/alice?dry_run=maybe")

    assert (reply.status, reply.body["error"]["code"]) == (400, "invalid_request")
    assert api.as_admin("GET", "/admin/users/alice").status == 200


def test_every_admin_action_leaves_a_trail_record_without_secrets(api: Api) -> None:
    created = create(api, "alice")
    api.as_admin("POST", "/admin/users/alice/credentials")
    api.as_admin("DELETE", "/admin/users/alice?dry_run=true")
    api.as_admin("DELETE", "/admin/users/alice")
    api.as_admin("POST", "/admin/users", {"user_name": "admin", "groups": ["developer"]})

    trail = wiring.store().trail()

    assert [(e.action, e.target, e.outcome.split(":")[0]) for e in trail] == [
        ("create_user", "alice", "ok"),
        ("reissue_credentials", "alice", "ok"),
        ("offboard_dry_run", "alice", "ok"),
        ("offboard", "alice", "ok"),
        ("create_user", "admin", "failed"),
    ]
    assert {(e.actor, e.channel) for e in trail} == {("arn:aws:iam::123456789012:user/admin", "rest")}
    assert token_of(created["bundle"]["url"]) not in repr(trail)


def test_an_unknown_route_answers_in_the_api_error_shape(api: Api) -> None:
    reply = api.call("GET", "/admin/nothing-here", caller="admin", mfa="true")

    assert (reply.status, reply.body["error"]["code"]) == (403, "missing_authentication_token")


def test_an_unsupported_method_answers_in_the_api_error_shape(api: Api) -> None:
    reply = api.as_admin("PUT", "/admin/users")

    assert reply.status == 405 and reply.body["error"]["code"] == "method_not_allowed"
    assert set(reply.headers["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


def test_a_percent_encoded_user_name_is_decoded_as_api_gateway_does(api: Api) -> None:
    create(api, "a=b@c")

    reply = api.as_admin("GET", "/admin/users/a%3Db%40c")

    assert (reply.status, reply.body["user_name"]) == (200, "a=b@c")


def test_offboarding_a_user_also_in_an_unmanaged_group_stops_before_removing_anything(api: Api) -> None:
    create(api, "alice", ["developer"])
    iam = aws.iam()
    iam.create_group(GroupName="billing")
    iam.add_user_to_group(GroupName="billing", UserName="alice")

    reply = api.as_admin("DELETE", "/admin/users/alice")

    assert (reply.status, reply.body["error"]["code"]) == (409, "unmanaged_group_membership")
    assert "billing" in reply.body["error"]["message"]
    assert iam.get_login_profile(UserName="alice")["LoginProfile"]["UserName"] == "alice"
    assert {g["GroupName"] for g in iam.list_groups_for_user(UserName="alice")["Groups"]} == {
        "billing",
        "developer",
    }
    dry = api.as_admin("DELETE", "/admin/users/alice?dry_run=true")
    assert sorted(dry.body["removed"]["groups"]) == ["billing", "developer"]


def test_offboarding_a_user_moved_out_of_the_managed_path_is_refused_and_changes_nothing(api: Api) -> None:
    create(api, "alice", ["developer"])
    iam = aws.iam()
    iam.update_user(UserName="alice", NewPath="/")

    reply = api.as_admin("DELETE", "/admin/users/alice")

    assert (reply.status, reply.body["error"]["code"]) == (404, "user_not_found")
    assert "not under the managed path /onboarding/" in reply.body["error"]["message"]
    assert iam.get_login_profile(UserName="alice")["LoginProfile"]["UserName"] == "alice"
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="alice")["Groups"]] == ["developer"]
    assert wiring.store().get_user("alice") is not None
    assert [e.outcome.split(":")[0] for e in wiring.store().trail() if e.action == "offboard"] == ["failed"]


def test_a_dry_run_of_a_user_moved_out_of_the_managed_path_says_why_it_is_refused(api: Api) -> None:
    create(api, "alice", ["developer"])
    aws.iam().update_user(UserName="alice", NewPath="/")

    reply = api.as_admin("DELETE", "/admin/users/alice?dry_run=true")

    assert (reply.status, reply.body["error"]["code"]) == (404, "user_not_found")
    assert "not under the managed path /onboarding/" in reply.body["error"]["message"]
