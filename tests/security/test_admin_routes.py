"""Every `/admin/*` route, found from the app's own route table, refuses a developer and another account.

A route added later is covered without anyone remembering to: the list comes from `app.routes`.
"""

from __future__ import annotations

import re

import pytest

from app import app
from chalicelib import aws
from tests.security.lambda_entry import invoke, request_event
from tests.support.api import Api

ADMIN_ROUTES = sorted(
    (method, path) for path, methods in app.routes.items() if path.startswith("/admin/") for method in methods
)


def test_the_app_has_every_admin_route_of_the_spec() -> None:
    assert len(ADMIN_ROUTES) == 13  # SPEC §4.1 (9) and §15 (4)


def _event(method: str, path: str, user_arn: str) -> dict[str, object]:
    params = dict.fromkeys(re.findall(r"\{([^}]+)\}", path), "alice")
    body = (
        {"user_name": "mallory", "groups": ["developer"]}
        if (method, path) == ("POST", "/admin/users")
        else None
    )
    return request_event(method, path, path_parameters=params or None, body=body, user_arn=user_arn)


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_a_developer_with_mfa_is_refused_every_admin_route(api: Api, method: str, path: str) -> None:
    aws.iam().create_user(UserName="dev", Path="/onboarding/")
    aws.iam().add_user_to_group(GroupName="developer", UserName="dev")

    status, body = invoke(_event(method, path, "arn:aws:iam::123456789012:user/onboarding/dev"))

    assert (status, body["error"]["code"]) == (403, "forbidden")


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_another_accounts_admin_is_refused_every_admin_route(api: Api, method: str, path: str) -> None:
    status, body = invoke(_event(method, path, "arn:aws:iam::999999999999:user/admin"))

    assert (status, body["error"]["code"]) == (403, "foreign_account")
