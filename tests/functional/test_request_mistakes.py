"""Natural mistakes with a JSON route get a 4xx that says how to put them right."""

from __future__ import annotations

import pytest

from tests.support.api import Api, token_of


def invite(api: Api, name: str = "alice") -> str:
    reply = api.as_admin("POST", "/admin/users", {"user_name": name, "groups": ["developer"]})
    assert reply.status == 201
    return str(reply.body["bundle"]["url"])


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain"])
def test_a_json_route_called_with_another_content_type_says_to_send_application_json(
    api: Api, content_type: str
) -> None:
    token = token_of(invite(api))

    reply = api.call(
        "POST", "/onboarding/credentials", {"token": token}, headers={"content-type": content_type}
    )

    assert reply.status == 415
    assert reply.body["error"]["code"] == "unsupported_media_type"
    assert "Content-Type: application/json" in reply.body["error"]["message"]


def test_an_admin_route_called_with_form_data_says_to_send_application_json(api: Api) -> None:
    reply = api.as_admin(
        "POST",
        "/admin/users",
        raw=b"user_name=bob&groups=developer",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )

    assert reply.status == 415
    assert "application/json" in reply.body["error"]["message"]


@pytest.mark.parametrize("path", ["/onboarding/credentials", "/onboarding/mfa"])
def test_a_whole_link_pasted_as_the_token_says_to_paste_only_the_part_after_the_hash(
    api: Api, path: str
) -> None:
    url = invite(api)

    reply = api.call("POST", path, {"token": url})

    assert reply.status == 400
    assert reply.body["error"]["code"] == "invalid_request"
    assert "only the part after #" in reply.body["error"]["message"]


@pytest.mark.parametrize(
    "path", ["/admin/users", "/onboarding/credentials", "/onboarding/mfa", "/onboarding/mfa/verify"]
)
def test_json_nested_too_deeply_to_parse_is_a_malformed_json_400_not_a_500(api: Api, path: str) -> None:
    reply = api.as_admin("POST", path, raw=b"[" * 12 * 1024)

    assert (reply.status, reply.body["error"]["code"]) == (400, "malformed_json")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/users/bad!name"),
        ("POST", "/admin/users/bad!name/credentials"),
        ("DELETE", "/admin/users/bad!name"),
        ("POST", "/admin/users/bad!name/enrollment"),
        ("DELETE", "/admin/users/bad!name/mfa"),
    ],
)
def test_a_user_name_in_the_path_that_iam_would_refuse_gets_400_with_the_rule(
    api: Api, method: str, path: str
) -> None:
    reply = api.as_admin(method, path)

    assert (reply.status, reply.body["error"]["code"]) == (400, "invalid_request")
    assert reply.body["error"]["message"] == "user_name must be 1-64 of A-Za-z0-9_+=,.@-."
