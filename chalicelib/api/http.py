"""Where domain errors become HTTP responses, and where request bodies are read and validated."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError
from chalice.app import Blueprint, Request, Response
from pydantic import BaseModel, ValidationError

from chalicelib.aws_errors import error_code, unexpected_error
from chalicelib.errors import BodyTooLarge, InvalidRequest, MalformedJson, ProductError
from chalicelib.people.identity import Caller, authenticated_caller

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024
JSON_HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-store"}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str | list[str]] | None = None
) -> Response:
    """A response in the one error shape of the API."""
    return Response(
        body={"error": {"code": code, "message": message}},
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
            return error_response(error.status, error.code, error.message)
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


def signed_caller(blueprint: Blueprint) -> Caller:
    """The caller API Gateway authenticated, refused unless of this account: each IAM route's first step."""
    return authenticated_caller(blueprint.current_request.context, blueprint.lambda_context)


def parse_body[M: BaseModel](request: Request, model: type[M]) -> M:
    """The request body as `model`: 400 for oversized, non-JSON, unknown fields or wrong types."""
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise BodyTooLarge(f"The request body is over {MAX_BODY_BYTES // 1024} KiB.")
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
