"""`route` declares a view once: its Chalice route, its access check, its arguments and its documentation."""

from __future__ import annotations

import pytest
from chalice.app import Blueprint, Chalice, IAMAuthorizer, Response

from chalicelib.api.http import route, route_doc
from chalicelib.models import TokenRequest
from chalicelib.models.records import Actor


def _served(blueprint: Blueprint) -> Chalice:
    app = Chalice(app_name="test")
    app.register_blueprint(blueprint)
    return app


def test_an_admin_route_is_iam_authorized_and_documented() -> None:
    blueprint = Blueprint(__name__)

    @route(blueprint, "/admin/things", "POST", "Make a thing", status=201, access="admin")
    def make_thing(actor: Actor) -> Response:
        return Response(body={}, status_code=201)

    entry = _served(blueprint).routes["/admin/things"]["POST"]
    doc = route_doc(entry.view_function)
    assert isinstance(entry.authorizer, IAMAuthorizer)
    assert entry.view_name == "make_thing"
    assert doc is not None
    assert doc.summary == "Make a thing"


def test_a_route_open_to_anyone_has_no_authorizer() -> None:
    blueprint = Blueprint(__name__)

    @route(blueprint, "/things", "GET", "The things")
    def things() -> Response:
        return Response(body={})

    assert _served(blueprint).routes["/things"]["GET"].authorizer is None


def test_a_view_asking_for_an_actor_on_a_route_without_one_is_refused_when_declared() -> None:
    blueprint = Blueprint(__name__)

    with pytest.raises(TypeError, match="this route gives no actor"):

        @route(blueprint, "/session/thing", "GET", "A thing", access="iam")
        def thing(actor: Actor) -> Response:
            return Response(body={})


def test_a_view_asking_for_a_body_the_route_does_not_declare_is_refused_when_declared() -> None:
    blueprint = Blueprint(__name__)

    with pytest.raises(TypeError, match="this route gives no body"):

        @route(blueprint, "/things", "POST", "A thing")
        def thing(body: TokenRequest) -> Response:
            return Response(body={})


def test_a_path_parameter_without_a_rule_is_refused_when_declared() -> None:
    blueprint = Blueprint(__name__)

    with pytest.raises(TypeError, match="no rule for the path parameter thing_id"):

        @route(blueprint, "/things/{thing_id}", "GET", "One thing")
        def thing(thing_id: str) -> Response:
            return Response(body={})


def _thing_api() -> Chalice:
    blueprint = Blueprint(__name__)

    @route(
        blueprint,
        "/things",
        "POST",
        "Make a thing",
        returns=TokenRequest,
        status=201,
        query_flags={"loud": "true to shout"},
    )
    def make_thing(loud: bool) -> TokenRequest:
        return TokenRequest(token="LOUD" if loud else "quiet")

    return _served(blueprint)


def test_a_view_returns_its_model_and_the_route_answers_with_the_declared_status() -> None:
    from chalice.test import Client

    with Client(_thing_api()) as client:
        reply = client.http.post("/things")

    assert reply.status_code == 201
    assert reply.json_body == {"token": "quiet"}
    assert reply.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("query", "token"), [("?loud=true", "LOUD"), ("?loud=FALSE", "quiet"), ("", "quiet")]
)
def test_a_query_flag_reaches_the_view_as_a_bool(query: str, token: str) -> None:
    from chalice.test import Client

    with Client(_thing_api()) as client:
        reply = client.http.post(f"/things{query}")

    assert reply.json_body == {"token": token}


def test_a_query_flag_that_is_not_a_boolean_is_the_one_bad_request() -> None:
    from chalice.test import Client

    with Client(_thing_api()) as client:
        reply = client.http.post("/things?loud=maybe")

    assert reply.status_code == 400
    assert reply.json_body == {"error": {"code": "invalid_request", "message": "loud must be true or false."}}


def test_a_view_asking_for_an_undeclared_query_flag_is_refused_when_declared() -> None:
    blueprint = Blueprint(__name__)

    with pytest.raises(TypeError, match="this route gives no loud"):

        @route(blueprint, "/things", "GET", "A thing")
        def thing(loud: bool) -> Response:
            return Response(body={})
