"""Lambda → IAM: even a real admin cannot aim the service at users it does not manage.

The service role may change users under `/onboarding/` only; the app refuses the others (404) before it
calls IAM, so the bootstrap `admin` (at `/`) and any break-glass user stay out of its reach.
"""

from __future__ import annotations

import pytest

from chalicelib import aws
from local.observe import CallLog
from tests.security.lambda_entry import invoke, request_event
from tests.support.api import Api

WRITES = ("Create", "Update", "Delete", "Add", "Remove", "Enable", "Deactivate", "Attach", "Detach", "Put")


@pytest.mark.parametrize(
    ("method", "resource"),
    [
        ("POST", "/admin/users/{user_name}/credentials"),
        ("POST", "/admin/users/{user_name}/enrollment"),
        ("DELETE", "/admin/users/{user_name}/mfa"),
        ("DELETE", "/admin/users/{user_name}"),
    ],
)
def test_an_admin_cannot_act_on_a_user_outside_the_managed_path(
    api: Api, aws_calls: CallLog, method: str, resource: str
) -> None:
    status, body = invoke(request_event(method, resource, path_parameters={"user_name": "admin"}))

    assert (status, body["error"]["code"]) == (404, "user_not_found")
    assert [op for op in aws_calls.operations("iam") if op.startswith(WRITES)] == []
    groups = aws.iam().list_groups_for_user(UserName="admin")["Groups"]
    assert [g["GroupName"] for g in groups] == ["administrator"]


def test_an_admin_cannot_put_a_new_user_in_a_group_outside_the_manifest(api: Api, aws_calls: CallLog) -> None:
    aws.iam().create_group(GroupName="break-glass")
    del aws_calls[:]

    status, body = invoke(
        request_event("POST", "/admin/users", body={"user_name": "mallory", "groups": ["break-glass"]})
    )

    assert status == 400 and "break-glass" in body["error"]["message"]
    assert [op for op in aws_calls.operations("iam") if op.startswith(WRITES)] == []
