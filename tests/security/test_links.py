"""Newcomer link → page: a link seen in a log, a table dump or a guess gives nothing.

Developers may `Scan` the state table (ReadOnlyAccess); proxies and chat unfurlers see URLs. The token
lives in the URL fragment and the request body only, the table keeps its hash, and every link that
cannot be used gets the same answer, but for the holder of a used one, who is told it was opened.
"""

from __future__ import annotations

import json
import secrets

from chalicelib import aws
from chalicelib.config import settings
from tests.security.lambda_entry import invoke, request_event
from tests.support.api import Api, token_of


def create(api: Api, name: str = "alice") -> str:
    reply = api.as_admin("POST", "/admin/users", {"user_name": name, "groups": ["developer"]})
    assert reply.status == 201
    return str(reply.body["bundle"]["url"])


def claim(token: str) -> tuple[int, dict[str, object]]:
    return invoke(request_event("POST", "/onboarding/credentials", body={"token": token}, user_arn=None))


def test_a_dump_of_the_state_table_holds_no_token_and_no_password(api: Api) -> None:
    token = token_of(create(api))
    status, claimed = claim(token)
    assert status == 200

    dump = json.dumps(aws.dynamodb().scan(TableName=settings().table_name)["Items"])

    assert token not in dump
    assert str(claimed["password"]) not in dump
    enrollment = claimed["enrollment"]
    assert isinstance(enrollment, dict) and enrollment["token"] not in dump


def test_the_token_travels_in_the_fragment_never_in_the_path_or_query(api: Api) -> None:
    url = create(api)

    before, fragment = url.split("#", 1)
    assert before.endswith("/onboard") and "?" not in before and len(fragment) >= 43


def test_a_guessed_and_a_lookalike_of_a_used_token_get_the_same_answer_as_any_unknown_token(api: Api) -> None:
    token = token_of(create(api))
    assert claim(token)[0] == 200

    answers = [
        claim(secrets.token_urlsafe(32)),
        claim(token[:-1] + ("A" if token[-1] != "A" else "B")),
        claim(token.upper() if token.upper() != token else token.lower()),
    ]

    assert answers == [answers[0]] * 3
    assert answers[0][0] == 410
    assert answers[0][1]["error"]["code"] == "link_expired"  # type: ignore[index]


def test_only_the_holder_of_a_used_token_is_told_it_was_opened_and_gets_no_password_again(api: Api) -> None:
    token = token_of(create(api))
    assert claim(token)[0] == 200

    status, body = claim(token)

    assert status == 410
    assert body["error"]["code"] == "link_already_opened"  # type: ignore[index]
    assert set(body) == {"error"}
