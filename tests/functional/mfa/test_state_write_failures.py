"""When the state write after an IAM change fails, MFA steps undo the change or say to run them again."""

from __future__ import annotations

from chalicelib import aws
from tests.functional.mfa.support import Clock, codes, enroll, enrollment_token, start
from tests.support.api import Api
from tests.support.faults import failing


def virtual_devices() -> list[str]:
    return [d["SerialNumber"] for d in aws.iam().list_virtual_mfa_devices()["VirtualMFADevices"]]


def test_a_failed_state_write_when_starting_enrollment_deletes_the_new_device(api: Api, clock: Clock) -> None:
    token = enrollment_token(api)

    with failing(aws.dynamodb(), "TransactWriteItems", "InternalServerError", status=500, times=10):
        reply = api.call("POST", "/onboarding/mfa", {"token": token})

    assert (reply.status, reply.body["error"]["code"]) == (503, "aws_unavailable")
    assert "Nothing changed; start again." in reply.body["error"]["message"]
    assert virtual_devices() == []


def test_a_failed_state_write_when_verifying_disables_the_device_again_and_the_next_codes_work(
    api: Api, clock: Clock
) -> None:
    token = enrollment_token(api)
    started = start(api, token)
    code1, code2 = codes(started["secret"], clock.now)

    with failing(aws.dynamodb(), "TransactWriteItems", "ThrottlingException", times=10):
        failed = api.call("POST", "/onboarding/mfa/verify", {"token": token, "code1": code1, "code2": code2})

    assert (failed.status, failed.body["error"]["code"]) == (503, "aws_unavailable")
    assert "Nothing changed; try the next two codes." in failed.body["error"]["message"]
    assert aws.iam().list_mfa_devices(UserName="alice")["MFADevices"] == []
    clock.advance(seconds=60)
    code1, code2 = codes(started["secret"], clock.now)
    again = api.call("POST", "/onboarding/mfa/verify", {"token": token, "code1": code1, "code2": code2})
    assert again.status == 200


def test_a_reset_whose_state_write_fails_says_to_run_it_again(api: Api, clock: Clock) -> None:
    enroll(api, clock, enrollment_token(api))

    # The first transaction takes the user's lock; the state write after the devices went is the second.
    with failing(aws.dynamodb(), "TransactWriteItems", "AccessDeniedException", times=10, skip=1):
        failed = api.as_admin("DELETE", "/admin/users/alice/mfa")

    assert (failed.status, failed.body["error"]["code"]) == (502, "aws_error")
    assert "Run it again" in failed.body["error"]["message"]
    assert api.as_admin("DELETE", "/admin/users/alice/mfa").status == 200


def test_offboarding_run_again_deletes_the_device_a_stopped_run_only_deactivated(
    api: Api, clock: Clock
) -> None:
    serial = enroll(api, clock, enrollment_token(api))
    with failing(aws.iam(), "DeleteVirtualMFADevice", "ServiceFailure", status=500, times=10):
        stopped = api.as_admin("DELETE", "/admin/users/alice")
    assert virtual_devices() == [serial]

    again = api.as_admin("DELETE", "/admin/users/alice")

    assert "Run it again" in stopped.body["error"]["message"]
    assert again.status == 200
    assert again.body["removed"]["mfa_devices"] == [serial]
    assert virtual_devices() == []
