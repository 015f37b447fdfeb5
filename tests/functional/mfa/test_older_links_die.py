"""Reissue, MFA reset, a new enrollment link and offboarding each kill every older link of the user.

The attack they stop: a credential link leaks; whoever claims it also gets an enrollment token. Once the
admin notices and acts, that token must not let its holder bind their own authenticator to the user.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chalicelib import aws, wiring
from tests.functional.mfa.support import Clock, codes, enroll, enrollment_token, start
from tests.support.api import Api, token_of


def virtual_devices() -> list[str]:
    return [d["SerialNumber"] for d in aws.iam().list_virtual_mfa_devices()["VirtualMFADevices"]]


def create(api: Api, name: str = "alice") -> str:
    reply = api.as_admin("POST", "/admin/users", {"user_name": name, "groups": ["developer"]})
    assert reply.status == 201, reply.body
    return token_of(reply.body["bundle"]["url"])


def test_a_reissue_kills_a_leaked_enrollment_token_for_starting_and_verifying(api: Api, clock: Clock) -> None:
    leaked = enrollment_token(api)
    secret = start(api, leaked)["secret"]

    assert api.as_admin("POST", "/admin/users/alice/credentials").status == 200

    code1, code2 = codes(secret, clock.now)
    verify = api.call("POST", "/onboarding/mfa/verify", {"token": leaked, "code1": code1, "code2": code2})
    assert (verify.status, verify.body["error"]["code"]) == (410, "link_expired")
    assert api.call("POST", "/onboarding/mfa", {"token": leaked}).status == 410
    assert aws.iam().list_mfa_devices(UserName="alice")["MFADevices"] == []


def test_a_reissue_deletes_the_pending_device_of_the_old_enrollment(api: Api, clock: Clock) -> None:
    start(api, enrollment_token(api))

    api.as_admin("POST", "/admin/users/alice/credentials")

    assert virtual_devices() == []


def test_after_a_reissue_the_new_claim_hands_out_a_fresh_enrollment_that_works(
    api: Api, clock: Clock
) -> None:
    leaked = enrollment_token(api)
    secret = start(api, leaked)["secret"]
    reissued = api.as_admin("POST", "/admin/users/alice/credentials").body["bundle"]["url"]
    code1, code2 = codes(secret, clock.now)  # whoever holds the leaked token tries to finish: 410
    api.call("POST", "/onboarding/mfa/verify", {"token": leaked, "code1": code1, "code2": code2})

    claimed = api.call("POST", "/onboarding/credentials", {"token": token_of(reissued)})

    assert claimed.status == 200 and claimed.body["enrollment"] is not None
    serial = enroll(api, clock, claimed.body["enrollment"]["token"])
    assert [d["SerialNumber"] for d in aws.iam().list_mfa_devices(UserName="alice")["MFADevices"]] == [serial]


def test_a_new_enrollment_link_kills_an_unclaimed_credential_link(api: Api, clock: Clock) -> None:
    credentials = create(api)

    assert api.as_admin("POST", "/admin/users/alice/enrollment").status == 200

    assert api.call("POST", "/onboarding/credentials", {"token": credentials}).status == 410


def test_an_mfa_reset_kills_an_unclaimed_credential_link(api: Api, clock: Clock) -> None:
    credentials = create(api)

    assert api.as_admin("DELETE", "/admin/users/alice/mfa").status == 200

    assert api.call("POST", "/onboarding/credentials", {"token": credentials}).status == 410


def test_an_offboarding_that_stops_midway_has_killed_the_links_already(
    api: Api, clock: Clock, aws_error: Callable[..., None]
) -> None:
    credentials = create(api, "bob")
    leaked = enrollment_token(api)
    aws_error("DeleteUser", "AccessDenied", times=2, status=403)

    for name in ("alice", "bob"):
        assert api.as_admin("DELETE", f"/admin/users/{name}").status == 502

    assert api.call("POST", "/onboarding/mfa", {"token": leaked}).status == 410
    assert api.call("POST", "/onboarding/credentials", {"token": credentials}).status == 410


def test_an_enrollment_killed_while_its_codes_are_checked_leaves_no_device_enabled(
    api: Api, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaked = enrollment_token(api)
    secret = start(api, leaked)["secret"]
    iam = aws.iam()
    enable = iam.enable_mfa_device

    def enable_then_reissue(**kwargs: object) -> object:
        answer = enable(**kwargs)  # the codes were good; the admin reissues before the link is spent
        assert api.as_admin("POST", "/admin/users/alice/credentials").status == 200
        return answer

    monkeypatch.setattr(iam, "enable_mfa_device", enable_then_reissue)
    code1, code2 = codes(secret, clock.now)

    reply = api.call("POST", "/onboarding/mfa/verify", {"token": leaked, "code1": code1, "code2": code2})

    assert reply.status == 410
    assert iam.list_mfa_devices(UserName="alice")["MFADevices"] == []
    assert virtual_devices() == []
    assert wiring.store().get_user("alice") is not None
