"""`GET /openapi.json` documents exactly the routes the app serves, and real responses fit it."""

from __future__ import annotations

from typing import Any

import jsonschema
from openapi_spec_validator import validate

from app import app
from chalicelib.api.http import route_doc
from chalicelib.errors import ProductError
from tests.support.api import Api, token_of


def served_routes() -> set[tuple[str, str]]:
    return {(method, path) for path, methods in app.routes.items() for method in methods}


def documented(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}


def assert_fits(doc: dict[str, Any], method: str, path: str, status: int, body: Any) -> None:
    schema = doc["paths"][path][method.lower()]["responses"][str(status)]["content"]["application/json"][
        "schema"
    ]
    jsonschema.validate(
        body, {**schema, "components": doc["components"]}, cls=jsonschema.Draft202012Validator
    )


def test_the_document_is_valid_openapi_and_lists_every_served_route(api: Api) -> None:
    doc = api.call("GET", "/openapi.json").body

    validate(doc)
    assert documented(doc) == served_routes()


def test_every_served_route_is_declared_with_its_documentation() -> None:
    # The document is built from what `route` records: a route registered any other way would be missing.
    undocumented = {
        (method, path)
        for path, methods in app.routes.items()
        for method, entry in methods.items()
        if route_doc(entry.view_function) is None
    }

    assert undocumented == set()
    assert len(served_routes()) >= 22  # the sweep is not vacuous


def test_every_operation_documents_the_status_of_every_product_error(api: Api) -> None:
    doc = api.call("GET", "/openapi.json").body
    statuses = {str(error.status) for error in _every(ProductError)}
    operations = [op for ops in doc["paths"].values() for op in ops.values()]

    assert {"401", "403", "410", "502", "503"} <= statuses  # the walk reached the subclasses' subclasses
    assert len(operations) >= 22
    for operation in operations:
        assert statuses <= set(operation["responses"]), operation["summary"]


def _every(kind: type[ProductError]) -> list[type[ProductError]]:
    return [kind, *(c for sub in kind.__subclasses__() for c in _every(sub))]


def test_real_responses_fit_the_documented_schemas(api: Api) -> None:
    doc = api.call("GET", "/openapi.json").body
    created = api.as_admin("POST", "/admin/users", {"user_name": "alice", "groups": ["developer"]})
    claimed = api.call("POST", "/onboarding/credentials", {"token": token_of(created.body["bundle"]["url"])})
    replies = [
        ("POST", "/admin/users", created),
        ("POST", "/onboarding/credentials", claimed),
        ("GET", "/admin/users", api.as_admin("GET", "/admin/users")),
        ("GET", "/admin/users/{user_name}", api.as_admin("GET", "/admin/users/alice")),
        ("GET", "/admin/users/{user_name}", api.as_admin("GET", "/admin/users/nobody")),
        (
            "POST",
            "/admin/users/{user_name}/credentials",
            api.as_admin("POST", "/admin/users/alice/credentials"),
        ),
        ("DELETE", "/admin/users/{user_name}", api.as_admin("DELETE", "/admin/users/alice?dry_run=true")),
        ("POST", "/onboarding/credentials", api.call("POST", "/onboarding/credentials", {"token": "gone"})),
        ("POST", "/admin/users", api.as_admin("POST", "/admin/users", raw=b"{")),
    ]

    for method, path, reply in replies:
        assert_fits(doc, method, path, reply.status, reply.body)
