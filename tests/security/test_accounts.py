"""API Gateway → Lambda: a signature from another AWS account, or from a role, never acts as our admin.

API Gateway's IAM authorizer accepts a valid SigV4 signature of any account the resource policy lets
in, and IAM user names repeat across accounts, so the app compares accounts before it looks anything up.
"""

from __future__ import annotations

import pytest

from chalicelib import aws
from local.observe import CallLog
from tests.security.lambda_entry import OWN_ACCOUNT, LambdaContext, invoke, saved_event
from tests.support.api import Api

FOREIGN_ADMIN = "arn:aws:iam::999999999999:user/admin"


def user_names() -> list[str]:
    return [u["UserName"] for u in aws.iam().list_users()["Users"]]


def test_an_admin_of_another_account_cannot_create_a_user(api: Api) -> None:
    status, body = invoke(saved_event("apigw_post_admin_users_from_another_account"))

    assert (status, body["error"]["code"]) == (403, "foreign_account")
    assert "backdoor" not in user_names()


def test_another_account_is_refused_before_any_aws_call(aws_calls: CallLog) -> None:
    status, body = invoke(saved_event("apigw_post_admin_users_from_another_account"))

    assert (status, body["error"]["code"]) == (403, "foreign_account")
    assert aws_calls.operations() == []


def test_another_accounts_session_report_names_none_of_our_users_devices(aws_calls: CallLog) -> None:
    status, body = invoke(saved_event("apigw_get_session_from_another_account"))

    assert (status, body["error"]["code"]) == (403, "foreign_account")
    assert "mfa_devices" not in body
    assert aws_calls.operations() == []


def test_a_forged_owner_account_in_the_request_context_does_not_outweigh_the_functions_own(api: Api) -> None:
    # Whoever invokes the function directly writes all of requestContext, but not the function's ARN.
    event = saved_event("apigw_post_admin_users_from_another_account")
    event["requestContext"]["accountId"] = "999999999999"

    status, body = invoke(event, LambdaContext(OWN_ACCOUNT))

    assert (status, body["error"]["code"]) == (403, "foreign_account")
    assert "backdoor" not in user_names()


def test_an_identity_whose_account_disagrees_with_its_arn_is_refused(api: Api) -> None:
    event = saved_event("apigw_post_admin_users_from_another_account")
    event["requestContext"]["identity"]["userArn"] = f"arn:aws:iam::{OWN_ACCOUNT}:user/admin"

    status, body = invoke(event)

    assert (status, body["error"]["code"]) == (403, "foreign_account")
    assert "backdoor" not in user_names()


@pytest.mark.parametrize(
    "arn",
    [
        f"arn:aws:sts::{OWN_ACCOUNT}:assumed-role/admin/session",
        f"arn:aws:sts::{OWN_ACCOUNT}:federated-user/admin",
        f"arn:aws:iam::{OWN_ACCOUNT}:role/admin",
        f"arn:aws:iam::{OWN_ACCOUNT}:root",
    ],
    ids=["assumed-role", "federated-user", "role", "root"],
)
def test_admin_routes_take_iam_users_only_even_from_our_own_account(api: Api, arn: str) -> None:
    event = saved_event("apigw_post_admin_users_from_another_account")
    event["requestContext"]["identity"].update({"userArn": arn, "accountId": OWN_ACCOUNT})

    status, body = invoke(event)

    assert (status, body["error"]["code"]) == (403, "forbidden")
    assert "backdoor" not in user_names()


def test_our_own_admin_signing_the_same_request_creates_the_user(api: Api) -> None:
    event = saved_event("apigw_post_admin_users_from_another_account")
    event["requestContext"]["identity"].update(
        {"userArn": f"arn:aws:iam::{OWN_ACCOUNT}:user/admin", "accountId": OWN_ACCOUNT}
    )

    status, body = invoke(event)

    assert (status, body["user_name"]) == (201, "backdoor")
