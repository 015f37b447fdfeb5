"""The emulator refuses what AWS refuses where the product's guarantees depend on it (`local/emulator.py`):
without this, a test of offboarding's order or of a retried write would pass against a lenient moto."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from chalicelib import aws
from chalicelib.config import settings


def code_of(call: object, **kwargs: object) -> str:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)  # type: ignore[operator]
    return str(raised.value.response["Error"]["Code"])


def a_user_with(thing: str) -> str:
    iam = aws.iam()
    iam.create_user(UserName="zoe")
    if thing == "login profile":
        iam.create_login_profile(UserName="zoe", Password="A-long-enough-password-1!")
    elif thing == "access key":
        iam.create_access_key(UserName="zoe")
    elif thing == "group":
        iam.add_user_to_group(GroupName="developer", UserName="zoe")
    elif thing == "mfa device":
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="zoe-00000000")["VirtualMFADevice"]
        iam.enable_mfa_device(
            UserName="zoe",
            SerialNumber=serial["SerialNumber"],
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )
    return "zoe"


@pytest.mark.parametrize("thing", ["login profile", "access key", "group", "mfa device"])
def test_delete_user_is_refused_while_anything_is_attached(aws_account: None, thing: str) -> None:
    name = a_user_with(thing)

    assert code_of(aws.iam().delete_user, UserName=name) == "DeleteConflict"


def test_an_assigned_virtual_device_cannot_be_deleted(aws_account: None) -> None:
    a_user_with("mfa device")
    serial = aws.iam().list_mfa_devices(UserName="zoe")["MFADevices"][0]["SerialNumber"]

    assert code_of(aws.iam().delete_virtual_mfa_device, SerialNumber=serial) == "DeleteConflict"


def test_a_missing_virtual_device_cannot_be_enabled(aws_account: None) -> None:
    aws.iam().create_user(UserName="zoe")
    missing = "arn:aws:iam::123456789012:mfa/zoe-deadbeef"

    assert (
        code_of(
            aws.iam().enable_mfa_device,
            UserName="zoe",
            SerialNumber=missing,
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )
        == "NoSuchEntity"
    )


def test_a_transaction_sent_again_with_its_client_request_token_is_not_applied_twice(
    aws_account: None,
) -> None:
    put = {"Put": {"TableName": settings().table_name, "Item": {"pk": {"S": "x"}, "sk": {"S": "y"}}}}
    put["Put"]["ConditionExpression"] = "attribute_not_exists(pk)"  # type: ignore[index]
    db = aws.dynamodb()

    db.transact_write_items(TransactItems=[put], ClientRequestToken="t1")  # type: ignore[list-item]
    db.transact_write_items(TransactItems=[put], ClientRequestToken="t1")  # type: ignore[list-item]

    assert code_of(db.transact_write_items, TransactItems=[put], ClientRequestToken="t2") == (
        "TransactionCanceledException"
    )
