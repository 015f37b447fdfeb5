"""`GET /openapi.json`: the OpenAPI 3 document of the API, built from its routes as declared."""

from __future__ import annotations

import functools
from typing import Any

from chalice.app import Blueprint, Chalice, Response, RouteEntry
from pydantic import BaseModel

from chalicelib import caches, wiring
from chalicelib.api.http import PATH_PARAMETERS, RouteDoc, json_response, route, route_doc
from chalicelib.errors import ProductError
from chalicelib.models import ErrorBody

docs = Blueprint(__name__)


def _subclasses(kind: type[ProductError]) -> list[type[ProductError]]:
    return [kind, *(c for sub in kind.__subclasses__() for c in _subclasses(sub))]


# Every route documents every error status (static files included): the shape is the API's one error body.
# They are the statuses of the product's errors, Chalice's 415 for a body of another type, and the bare 500.
_ERRORS = {error.status for error in _subclasses(ProductError)} | {415, 500}


def _documented(app: Chalice) -> list[tuple[RouteEntry, RouteDoc]]:
    """Each route of `app` with what `route` recorded for it (a test sees that none lacks it)."""
    return [
        (entry, doc)
        for methods in app.routes.values()
        for entry in methods.values()
        if (doc := route_doc(entry.view_function)) is not None
    ]


def _models(routes: list[tuple[RouteEntry, RouteDoc]]) -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {"ErrorBody": ErrorBody}
    for _, doc in routes:
        for model in (doc.body, doc.returns):
            if model is not None:
                found[model.__name__] = model
    return list(found.values())


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _operation(entry: RouteEntry, doc: RouteDoc) -> dict[str, Any]:
    if doc.returns is not None:
        schema: dict[str, Any] = _ref(doc.returns)
    else:
        schema = {"type": "object"} if doc.produces == "application/json" else {"type": "string"}
    responses = {str(doc.status): {"description": "Success", "content": {doc.produces: {"schema": schema}}}}
    for status in sorted(_ERRORS):
        responses[str(status)] = {
            "description": "Error",
            "content": {"application/json": {"schema": _ref(ErrorBody)}},
        }
    operation: dict[str, Any] = {"summary": doc.summary, "responses": responses}
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": PATH_PARAMETERS[name][0]},
        }
        for name in entry.view_args
    ]
    parameters += [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": text,
            "schema": {"type": "string", "enum": ["true", "false"]},
        }
        for name, text in doc.query_flags.items()
    ]
    if parameters:
        operation["parameters"] = parameters
    if doc.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {kind: {"schema": _ref(doc.body)} for kind in entry.content_types},
        }
    if entry.authorizer is not None:
        operation["security"] = [{"sigv4": []}]
    return operation


@caches.register
@functools.cache
def document(app: Chalice) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route of `app` declared with `route`."""
    from pydantic.json_schema import models_json_schema  # only this route needs it: keep it off cold start

    routes = _documented(app)
    _, defs = models_json_schema(
        [(model, "serialization") for model in _models(routes)], ref_template="#/components/schemas/{model}"
    )
    schemas = defs.get("$defs", {})
    # The provisionable groups are data (policies/groups.json): document them as the enum they are.
    schemas["CreateUserRequest"]["properties"]["groups"]["items"]["enum"] = wiring.provisionable_groups()
    paths: dict[str, dict[str, Any]] = {}
    for entry, doc in routes:
        paths.setdefault(entry.uri_pattern, {})[entry.method.lower()] = _operation(entry, doc)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "iam-onboarding",
            "version": "1",
            "description": "IAM users, one-time links and MFA enrollment.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "sigv4": {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "description": "AWS SigV4",
                }
            },
        },
    }


@route(docs, "/openapi.json", "GET", "This document")
def openapi() -> Response:
    """The OpenAPI document."""
    return json_response(document(docs.current_app))
