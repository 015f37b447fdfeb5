"""How a route is declared, where domain errors become HTTP responses, and where bodies are read."""

from __future__ import annotations

import functools
import inspect
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from botocore.exceptions import ClientError
from chalice.app import Blueprint, IAMAuthorizer, Request, Response
from pydantic import BaseModel, ValidationError

from chalicelib import wiring
from chalicelib.aws_errors import error_code, unexpected_error
from chalicelib.errors import BodyTooLarge, ConcurrentChange, InvalidRequest, MalformedJson, ProductError
from chalicelib.models import USER_NAME_PATTERN, USER_NAME_RULE
from chalicelib.models.elevation import ELEVATION_ID_PATTERN, ELEVATION_ID_RULE
from chalicelib.models.records import Actor
from chalicelib.people.identity import Caller, authenticated_caller
from chalicelib.state import Conflict

log = logging.getLogger(__name__)

JSON = "application/json"
# nosniff: a browser must never read a JSON body (which may echo what a caller sent) as HTML or script.
JSON_HEADERS = {"Content-Type": JSON, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}

View = Callable[..., Response | BaseModel]
# `iam`: signed with SigV4 by a caller of this account; `admin`: and in one of the admin groups.
Access = Literal["anyone", "iam", "admin"]
IAM_AUTH = IAMAuthorizer()
# Every path parameter a route may take: its pattern, and the rule in words for the 400 that breaks it.
PATH_PARAMETERS = {
    "user_name": (USER_NAME_PATTERN, USER_NAME_RULE),
    "elevation_id": (ELEVATION_ID_PATTERN, ELEVATION_ID_RULE),
}


def error_response(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str | list[str]] | None = None,
    *,
    details: Mapping[str, int] | None = None,
) -> Response:
    """A response in the one error shape of the API; `details` are the optional fields of `ErrorDetail`."""
    return Response(
        body={"error": {"code": code, "message": message, **(details or {})}},
        status_code=status,
        headers={**(headers or {}), **JSON_HEADERS},
    )


def json_response(body: BaseModel | dict[str, Any], status: int = 200) -> Response:
    """A JSON response; `no-store` everywhere, since several bodies carry secrets."""
    payload = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    return Response(body=payload, status_code=status, headers=dict(JSON_HEADERS))


def translating_errors(view: Callable[..., Response]) -> Callable[..., Response]:
    """Turn a `ProductError` or an AWS error into its response, and anything else into a bare 500.

    Chalice catches view exceptions itself (middleware never sees them), so this wraps each view.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except ProductError as error:
            return error_response(error.status, error.code, error.message, details=error.details)
        except Conflict:
            # A conditional write lost a race that its service did not expect: still the caller's 409.
            log.warning("unexpected lost race in %s", view.__name__)
            lost = ConcurrentChange("Another request changed the same thing at the same moment; try again.")
            return error_response(lost.status, lost.code, lost.message)
        except ClientError as error:
            # Unexpected by the service, so worth its traceback, as an unhandled error gets.
            log.warning("AWS error in %s: %s", view.__name__, error_code(error), exc_info=True)
            failure = unexpected_error(error)
            return error_response(failure.status, failure.code, failure.message)
        except Exception:
            # Log the type and place only: exception messages of AWS calls can echo request parameters.
            log.error("unhandled error in %s", view.__name__, exc_info=True)
            return error_response(500, "internal_error", "Something went wrong on our side; try again later.")

    return wrapper


@dataclass(frozen=True)
class RouteDoc:
    """What the OpenAPI document says of a route beyond Chalice's route table (path, authorizer, types)."""

    summary: str
    returns: type[BaseModel] | None = None  # None: a body without a model (HTML, this document)
    status: int = 200
    body: type[BaseModel] | None = None
    query_flags: Mapping[str, str] = field(default_factory=dict)  # name → what `true` means
    produces: str = JSON


_DOCUMENTED: dict[View, RouteDoc] = {}


def route_doc(view: Callable[..., Any]) -> RouteDoc | None:
    """What `route` recorded for a view Chalice serves; None for a route declared some other way."""
    return _DOCUMENTED.get(view)


def route(
    blueprint: Blueprint,
    path: str,
    method: str,
    summary: str,
    *,
    returns: type[BaseModel] | None = None,
    status: int = 200,
    body: type[BaseModel] | None = None,
    query_flags: Mapping[str, str] | None = None,
    access: Access = "anyone",
    consumes: Sequence[str] = (JSON,),
    produces: str = JSON,
) -> Callable[[View], View]:
    """Declare a route with its documentation, so the OpenAPI document is built from what is served.

    The view runs inside `translating_errors`, after the access check: an `iam` or `admin` route sits
    behind API Gateway's IAM authorizer, and the caller is refused before anything about the request is
    looked at. Besides its path parameters, a view may ask for `caller` (the signed caller), `actor` (the
    acting admin), `body` (the JSON body, parsed as `body`) and each of its `query_flags` (a bool, from
    `?flag=true|false`). Each route has one success response: `status`, with a `returns` body (or, for
    None, an untyped one of the `produces` type). A view returns its model, which this answers with
    `status`, or a `Response` of its own (HTML, Slack's replies).
    """
    doc = RouteDoc(summary, returns, status, body, query_flags or {}, produces)
    in_path = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    unknown = set(in_path) - set(PATH_PARAMETERS)
    if unknown:
        raise TypeError(f"{path}: no rule for the path parameter {', '.join(sorted(unknown))}")
    offered = set(in_path)
    offered |= {"iam": {"caller"}, "admin": {"caller", "actor"}}.get(access, set())
    if body is not None and list(consumes) == [JSON]:
        offered.add("body")
    offered |= set(doc.query_flags)

    def declare(view: View) -> View:
        wants = set(inspect.signature(view).parameters)
        if wants - offered:
            raise TypeError(f"{view.__name__}: this route gives no {', '.join(sorted(wants - offered))}")

        @functools.wraps(view)
        def checked(**params: Any) -> Response:
            given: dict[str, Any] = {}
            if access != "anyone":
                given["caller"] = caller = signed_caller(blueprint)
                if access == "admin":
                    wiring.check_admin(caller.user_name)
                    given["actor"] = Actor(id=caller.arn, channel="rest")
            for name, value in params.items():
                pattern, rule = PATH_PARAMETERS[name]
                if not re.fullmatch(pattern, value):
                    raise InvalidRequest(f"{name} must be {rule}.")
            if "body" in wants and body is not None:
                given["body"] = parse_body(blueprint.current_request, body)
            for flag in doc.query_flags:
                given[flag] = query_flag(blueprint.current_request, flag)
            result = view(**params, **{name: value for name, value in given.items() if name in wants})
            return result if isinstance(result, Response) else json_response(result, status)

        served = translating_errors(checked)
        _DOCUMENTED[served] = doc
        authorizer = None if access == "anyone" else IAM_AUTH
        blueprint.route(path, methods=[method], authorizer=authorizer, content_types=list(consumes))(served)
        return served

    return declare


def signed_caller(blueprint: Blueprint) -> Caller:
    """The caller API Gateway authenticated, refused unless of this account: each IAM route's first step."""
    return authenticated_caller(blueprint.current_request.context, blueprint.lambda_context)


def query_flag(request: Request, name: str) -> bool:
    """`?name=true` or `?name=false` (any case); absent is false, anything else the one 400."""
    params: Mapping[str, str] = request.query_params or {}
    value = str(params.get(name, "false")).lower()
    if value not in ("true", "false"):
        raise InvalidRequest(f"{name} must be true or false.")
    return value == "true"


def parse_body[M: BaseModel](request: Request, model: type[M]) -> M:
    """The request body as `model`: 400 for oversized, non-JSON, unknown fields or wrong types."""
    raw = request.raw_body or b""
    BodyTooLarge.check(raw)
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        # json.loads recurses once per nesting level: ~12 KiB of `[` (under the body limit) exhausts
        # Python's stack. That is a body we cannot read, not a failure of ours.
        raise MalformedJson("The request body is not valid JSON.") from error
    if not isinstance(data, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise InvalidRequest(f"{where}: {first['msg']}.") from error


def reshape_chalice_errors(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """HTTP middleware: Chalice's own errors (405, 415, ...) get the API's error shape too."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body and "error" not in body:
        code = "".join(f"_{c.lower()}" if c.isupper() else c for c in str(body["Code"])).lstrip("_")
        code = code.removesuffix("_error") or code
        status = response.status_code
        message = (
            str(body.get("Message", ""))
            if status < 500
            else "Something went wrong on our side; try again later."
        )
        if status == 415 and not event.path.startswith("/slack/"):  # Slack's routes take Slack's forms
            # `curl -d` sends form data unless told otherwise: say what every other route takes.
            message = f"{message}. Send the body as JSON, with the header Content-Type: application/json."
        return error_response(status, code, message, headers=response.headers)  # keeps 405's Allow
    return response
