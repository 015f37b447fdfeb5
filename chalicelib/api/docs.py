"""`GET /openapi.json`: the OpenAPI 3 document of the API, built from the same pydantic models."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from chalice.app import Blueprint, Response
from pydantic import BaseModel

from chalicelib import caches
from chalicelib import models as m
from chalicelib.api.http import json_response
from chalicelib.config import settings
from chalicelib.models import mfa
from chalicelib.models.audit import AuditReport
from chalicelib.models.slack import InteractivityForm, SlackMessage, SlashCommand

docs = Blueprint(__name__)


@dataclass(frozen=True)
class Operation:
    """One route as documented: a test checks this table against the app's real routes."""

    method: str
    path: str
    summary: str
    responses: dict[int, type[BaseModel] | None]
    body: type[BaseModel] | None = None
    iam: bool = False
    query: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    produces: str = "application/json"


_ERRORS = {400, 401, 403, 404, 409, 410, 415, 502, 503}

OPERATIONS: list[Operation] = [
    Operation(
        "POST", "/admin/users", "Create a user in groups", {201: m.CreatedUser}, m.CreateUserRequest, iam=True
    ),
    Operation("GET", "/admin/users", "List managed users", {200: m.UserList}, iam=True),
    Operation("GET", "/admin/users/{user_name}", "Describe a managed user", {200: m.UserDetail}, iam=True),
    Operation(
        "POST",
        "/admin/users/{user_name}/credentials",
        "Reissue first password and link",
        {200: m.ReissuedCredentials},
        iam=True,
    ),
    Operation(
        "DELETE",
        "/admin/users/{user_name}",
        "Offboard a user",
        {200: m.Offboarded},
        iam=True,
        query={"dry_run": "true to only list what would be removed"},
    ),
    Operation(
        "POST",
        "/onboarding/credentials",
        "Claim the credential bundle once",
        {200: m.ClaimedCredentials},
        m.TokenRequest,
    ),
    Operation("GET", "/openapi.json", "This document", {200: None}),
    Operation("GET", "/", "The newcomer's page (HTML)", {200: None}, produces="text/html"),
    Operation(
        "GET",
        "/onboard",
        "The newcomer's page for a credential link (HTML)",
        {200: None},
        produces="text/html",
    ),
    Operation(
        "GET",
        "/enroll",
        "The newcomer's page for an enrollment link (HTML)",
        {200: None},
        produces="text/html",
    ),
    Operation("GET", "/static/app.js", "The page's script", {200: None}, produces="text/javascript"),
    Operation("GET", "/static/style.css", "The page's style sheet", {200: None}, produces="text/css"),
]

OPERATIONS += [
    Operation(
        "POST",
        "/admin/users/{user_name}/enrollment",
        "Issue an MFA enrollment link",
        {200: mfa.EnrollmentIssued},
        iam=True,
    ),
    Operation(
        "DELETE",
        "/admin/users/{user_name}/mfa",
        "Reset a lost MFA device",
        {200: mfa.MfaReset},
        iam=True,
    ),
    Operation("POST", "/onboarding/mfa", "Start MFA enrollment", {200: mfa.MfaStart}, m.TokenRequest),
    Operation(
        "POST",
        "/onboarding/mfa/verify",
        "Verify two consecutive codes and enable the device",
        {200: mfa.MfaVerified},
        mfa.VerifyMfaRequest,
    ),
    Operation(
        "GET", "/session", "Who am I, and is my session MFA-authenticated", {200: mfa.SessionReport}, iam=True
    ),
    Operation("GET", "/session/mfa", "Answers only to an MFA session", {200: mfa.MfaSessionProof}, iam=True),
    Operation("POST", "/admin/audit", "Audit the account now", {200: AuditReport}, iam=True),
    Operation("GET", "/admin/audit", "The latest audit report", {200: AuditReport}, iam=True),
]


_FORM = "application/x-www-form-urlencoded"
OPERATIONS += [
    Operation(
        "POST",
        "/slack/commands",
        "The /iam slash command (signed by Slack: X-Slack-Signature, X-Slack-Request-Timestamp)",
        {200: SlackMessage},
        SlashCommand,
        content_type=_FORM,
    ),
    Operation(
        "POST",
        "/slack/interactivity",
        "Button clicks on /iam messages (signed by Slack); answered 200 with an empty body",
        {200: None},
        InteractivityForm,
        content_type=_FORM,
    ),
]


def _models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {"ErrorBody": m.ErrorBody}
    for op in OPERATIONS:
        for model in [op.body, *op.responses.values()]:
            if model is not None:
                found[model.__name__] = model
    return list(found.values())


@caches.register
@functools.cache
def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route in `OPERATIONS`."""
    from pydantic.json_schema import models_json_schema  # only this route needs it: keep it off cold start

    models = _models()
    _, defs = models_json_schema(
        [(model, "serialization") for model in models], ref_template="#/components/schemas/{model}"
    )
    schemas = defs.get("$defs", {})
    # The provisionable groups are data (policies/groups.json): document them as the enum they are.
    schemas["CreateUserRequest"]["properties"]["groups"]["items"]["enum"] = sorted(settings().groups)
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        responses: dict[str, Any] = {}
        for status, model in op.responses.items():
            if model is not None:
                schema: dict[str, Any] = {"$ref": f"#/components/schemas/{model.__name__}"}
            else:
                schema = {"type": "object"} if op.produces == "application/json" else {"type": "string"}
            content = {op.produces: {"schema": schema}}
            responses[str(status)] = {"description": "Success", "content": content}
        for status in sorted(_ERRORS | {500}):
            responses[str(status)] = {
                "description": "Error",
                "content": {"application/json": {"schema": error_ref}},
            }
        entry: dict[str, Any] = {"summary": op.summary, "responses": responses}
        params = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": m.USER_NAME_PATTERN},
            }
            for name in ("user_name",)
            if "{" + name + "}" in op.path
        ]
        params += [
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": text,
                "schema": {"type": "string", "enum": ["true", "false"]},
            }
            for name, text in op.query.items()
        ]
        if params:
            entry["parameters"] = params
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {
                    op.content_type: {"schema": {"$ref": f"#/components/schemas/{op.body.__name__}"}}
                },
            }
        if op.iam:
            entry["security"] = [{"sigv4": []}]
        paths.setdefault(op.path, {})[op.method.lower()] = entry
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


@docs.route("/openapi.json", methods=["GET"])
def openapi() -> Response:
    """The OpenAPI document."""
    return json_response(document())
