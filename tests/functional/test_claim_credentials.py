"""A newcomer claims the credential bundle exactly once; the holder of an opened link is told so, any
other token gets the same 410."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import aws, wiring
from chalicelib.config import settings
from chalicelib.errors import LinkExpired
from chalicelib.onboarding.claim import Claim
from chalicelib.people.passwords import PasswordPolicy
from local.observe import CallLog
from tests.support.api import Api, token_of
from tests.support.faults import failing
from tests.support.passwords import satisfies


def invite(api: Api, name: str = "alice") -> str:
    reply = api.as_admin("POST", "/admin/users", {"user_name": name, "groups": ["developer"]})
    assert reply.status == 201
    return token_of(reply.body["bundle"]["url"])


def test_the_first_claim_hands_over_the_credentials_and_an_enrollment_token(api: Api) -> None:
    token = invite(api)

    reply = api.call("POST", "/onboarding/credentials", {"token": token})

    assert reply.status == 200
    assert reply.headers["Cache-Control"] == "no-store"
    body = reply.body
    assert body["user_name"] == "alice"
    assert body["account_id"] == "123456789012"
    assert body["console_url"] == "https://123456789012.signin.aws.amazon.com/console"
    assert (body["account_alias"], body["region"]) == (None, "us-east-1")
    policy = PasswordPolicy(minimum_length=16)  # the bootstrap's policy
    assert satisfies(body["password"], policy)
    assert len(body["enrollment"]["token"]) >= 43
    assert body["enrollment"]["token"] != token


def test_the_password_handed_over_is_the_one_iam_was_given(api: Api, aws_calls: list) -> None:
    token = invite(api)

    password = api.call("POST", "/onboarding/credentials", {"token": token}).body["password"]

    assert [c.params["Password"] for c in aws_calls if c.operation == "CreateLoginProfile"] == [password]


def test_a_second_claim_of_a_bundle_says_it_was_opened_and_shows_no_password(api: Api) -> None:
    token = invite(api)
    api.call("POST", "/onboarding/credentials", {"token": token})

    reply = api.call("POST", "/onboarding/credentials", {"token": token})

    assert reply.status == 410
    assert reply.body == {
        "error": {
            "code": "link_already_opened",
            "message": "You opened this link already, so it cannot show your first password again. To set "
            "up MFA, ask your admin for an MFA link; if you did not save the password, ask for a new "
            "credential link.",
        }
    }


def test_expired_and_unknown_tokens_get_the_same_answer(api: Api) -> None:
    expired = invite(api, "bob")
    later = datetime.now(UTC) + settings().credential_link_ttl + timedelta(seconds=1)
    with pytest.raises(Exception) as expired_error:
        Claim(aws.iam(), wiring.store(), settings(), clock=lambda: later).claim(expired)

    answers = [api.call("POST", "/onboarding/credentials", {"token": t}) for t in ("x" * 43, "y" * 43)]

    assert (
        str(expired_error.value) == "This link has expired or was already used. Ask your admin for a new one."
    )
    assert {(a.status, json.dumps(a.body)) for a in answers} == {
        (410, json.dumps({"error": {"code": "link_expired", "message": str(expired_error.value)}}))
    }


def test_an_opened_link_is_only_expired_once_its_lifetime_is_over(api: Api) -> None:
    used = invite(api)
    api.call("POST", "/onboarding/credentials", {"token": used})
    later = datetime.now(UTC) + settings().credential_link_ttl + timedelta(seconds=1)

    with pytest.raises(LinkExpired) as error:
        Claim(aws.iam(), wiring.store(), settings(), clock=lambda: later).claim(used)

    assert error.value.code == "link_expired"


def test_an_opened_link_the_admin_replaced_says_only_that_it_expired(api: Api) -> None:
    used = invite(api, "carol")
    api.call("POST", "/onboarding/credentials", {"token": used})
    assert api.as_admin("POST", "/admin/users/carol/credentials").status == 200

    reply = api.call("POST", "/onboarding/credentials", {"token": used})

    assert (reply.status, reply.body["error"]["code"]) == (410, "link_expired")


def test_an_expired_link_stays_unclaimable_even_though_the_emulator_never_expires_items(api: Api) -> None:
    token = invite(api)
    later = datetime.now(UTC) + timedelta(hours=73)

    with pytest.raises(Exception, match="expired"):
        Claim(aws.iam(), wiring.store(), settings(), clock=lambda: later).claim(token)

    assert api.call("POST", "/onboarding/credentials", {"token": token}).status == 200


def test_concurrent_claims_of_one_bundle_succeed_exactly_once(api: Api) -> None:
    token = invite(api)
    store = wiring.store()

    def claim() -> str:
        try:
            Claim(aws.iam(), store, settings()).claim(token)
        except LinkExpired as error:
            # A loser sees the winner's claim (opened already) or loses its own write (expired).
            return "refused" if error.code in ("link_already_opened", "link_expired") else error.code
        return "ok"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = sorted(pool.map(lambda _: claim(), range(8)))

    assert outcomes == ["ok"] + ["refused"] * 7


def test_the_store_keeps_neither_the_token_nor_the_password(api: Api) -> None:
    token = invite(api)
    stored_before = repr(aws.dynamodb().scan(TableName=settings().table_name)["Items"])
    body = api.call("POST", "/onboarding/credentials", {"token": token}).body
    stored_after = repr(aws.dynamodb().scan(TableName=settings().table_name)["Items"])

    for secret in (token, body["password"], body["enrollment"]["token"]):
        assert secret not in stored_before and secret not in stored_after


def test_the_console_link_uses_the_account_alias_when_there_is_one(api: Api) -> None:
    aws.iam().create_account_alias(AccountAlias="team-sandbox")
    token = invite(api)

    body = api.call("POST", "/onboarding/credentials", {"token": token}).body

    assert body["console_url"] == "https://team-sandbox.signin.aws.amazon.com/console"
    assert (body["account_alias"], body["account_id"]) == ("team-sandbox", "123456789012")


def test_a_user_who_already_has_mfa_gets_no_enrollment_token(api: Api) -> None:
    token = invite(api)
    iam = aws.iam()
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone")["VirtualMFADevice"][
        "SerialNumber"
    ]
    iam.enable_mfa_device(
        UserName="alice", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )

    body = api.call("POST", "/onboarding/credentials", {"token": token}).body

    assert body["enrollment"] is None


@pytest.mark.parametrize(
    "raw", [b"{}", b'{"token": 5}', b'{"token": "abc", "extra": 1}', b"nope", b'{"token": ""}']
)
def test_a_malformed_claim_is_a_400_not_a_410(api: Api, raw: bytes) -> None:
    reply = api.call("POST", "/onboarding/credentials", raw=raw)

    assert reply.status == 400
    assert reply.body["error"]["code"] in {"invalid_request", "malformed_json"}


def test_a_claim_whose_follow_up_was_throttled_completes_when_presented_again(api: Api) -> None:
    token = invite(api)
    with failing(aws.iam(), "ListMFADevices", "Throttling"):
        throttled = api.call("POST", "/onboarding/credentials", {"token": token})

    retried = api.call("POST", "/onboarding/credentials", {"token": token})

    assert (throttled.status, throttled.body["error"]["code"]) == (503, "aws_unavailable")
    assert retried.status == 200 and retried.body["enrollment"] is not None


def test_a_claim_whose_state_write_failed_completes_when_presented_again(api: Api) -> None:
    token = invite(api)
    with failing(aws.dynamodb(), "TransactWriteItems", "InternalServerError", status=500):
        failed = api.call("POST", "/onboarding/credentials", {"token": token})

    retried = api.call("POST", "/onboarding/credentials", {"token": token})

    assert failed.status == 503
    assert retried.status == 200


def test_a_claim_retried_minutes_after_a_failed_attempt_hands_over_the_password_iam_was_given(
    api: Api, aws_calls: CallLog
) -> None:
    token = invite(api)
    with failing(aws.iam(), "ListMFADevices", "Throttling"):
        api.call("POST", "/onboarding/credentials", {"token": token})
    later = datetime.now(UTC) + timedelta(minutes=9)

    claimed = Claim(aws.iam(), wiring.store(), settings(), clock=lambda: later).claim(token)

    assert [c["Password"] for c in aws_calls.of("CreateLoginProfile")] == [claimed.password]


def test_a_claim_completed_after_a_failed_attempt_shows_the_password_only_once(api: Api) -> None:
    token = invite(api)
    with failing(aws.iam(), "ListMFADevices", "Throttling"):
        api.call("POST", "/onboarding/credentials", {"token": token})
    api.call("POST", "/onboarding/credentials", {"token": token})

    again = api.call("POST", "/onboarding/credentials", {"token": token})

    assert (again.status, again.body["error"]["code"]) == (410, "link_already_opened")
