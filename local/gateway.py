"""The local API Gateway: `chalice local`'s gateway plus the dev identity and the MFA gate.

`chalice local` cannot check SigV4, so here (and only here) the caller comes from `X-Dev-Caller` and
the session's MFA state from `X-Dev-Mfa`. The headers are turned into `requestContext.identity` — which
in AWS only API Gateway writes — and removed, so the app never reads them. A Lambda invocation carrying
these headers gets them ignored (tests/functional/test_dev_identity.py proves it).
"""

from __future__ import annotations

import functools
import json
import threading
import time
import warnings
from collections.abc import Callable
from http.server import HTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import boto3
from chalice.app import Chalice, IAMAuthorizer
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    LocalChalice,
    LocalGateway,
    LocalGatewayException,
    ThreadedHTTPServer,
)

from chalicelib.people.identity import LOCAL_MFA_KEY
from local.gate import ResourcePolicyGate

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_sts import STSClient

# chalice local warns that it cannot check IAM auth; this gateway does that job, so the warning misleads.
warnings.filterwarnings("ignore", message="IAMAuthorizer is not a supported in local mode")

LONG_TERM_KEY = "AKIALOCALDEVCALLER00"
TEMPORARY_KEY = "ASIALOCALDEVCALLER00"


class GatewayError(LocalGatewayException):
    """A refusal by the local gateway, in the API's error shape."""

    def __init__(self, status: int, code: str, message: str) -> None:
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        super().__init__({"Content-Type": "application/json"}, body)
        self.CODE = status


# How long a found caller's ARN is reused. IAM itself takes seconds to make a change visible everywhere,
# so an ARN this old is no staler than API Gateway's own view may be; a user moved to another path, or
# deleted and created again, is seen as they are now within that time.
CALLER_TTL_S = 10.0


class CallerDirectory:
    """The dev callers' ARNs, looked up as API Gateway's SigV4 check would resolve them.

    The lookups stand in for API Gateway, not for the app, so they go through clients of their own:
    whatever watches or fails the app's clients (`chalicelib.aws`) never sees them. A found ARN is
    reused for `ttl` seconds, so that a burst of requests by one admin costs one `GetUser`, not one on
    each request's critical path. An unknown caller is not remembered: a user created a moment ago must
    be known on their next request.
    """

    def __init__(
        self,
        iam: IAMClient,
        sts: STSClient,
        *,
        ttl: float = CALLER_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._iam = iam
        self._sts = sts
        self._ttl = ttl
        self._clock = clock
        self._found: dict[str, tuple[float, str]] = {}  # name -> (when looked up, ARN)
        self._lock = threading.Lock()  # the server is threaded

    @classmethod
    def with_own_clients(cls) -> CallerDirectory:
        """A directory with IAM and STS clients of its own (pointed at the emulator, as the app's are)."""
        return cls(boto3.client("iam"), boto3.client("sts"))

    @functools.cached_property
    def account_id(self) -> str:
        """The emulated account's id: the API owner's, and every dev caller's."""
        return self._sts.get_caller_identity()["Account"]

    def arn(self, user_name: str) -> str:
        """The ARN of the IAM user `user_name`; an ARN the app will refuse when there is no such user."""
        now = self._clock()
        with self._lock:
            found = self._found.get(user_name)
        if found is not None and now - found[0] < self._ttl:
            return found[1]
        try:
            arn = self._iam.get_user(UserName=user_name)["User"]["Arn"]
        except Exception:
            # Unknown users still get an ARN: the app then refuses them, exactly as it would in AWS.
            return f"arn:aws:iam::{self.account_id}:user/{user_name}"
        with self._lock:
            self._found[user_name] = (now, arn)
        return arn


class DevGateway(LocalGateway):
    """A LocalGateway that authenticates with dev headers and enforces the resource policy file."""

    def __init__(
        self, app_object: Chalice, config: Config, gate: ResourcePolicyGate, callers: CallerDirectory
    ) -> None:
        super().__init__(app_object, config)
        self._gate = gate
        self._callers = callers

    def handle_request(
        self, method: str, path: str, headers: dict[str, Any], body: bytes | None
    ) -> dict[str, Any]:
        """Route like API Gateway; its refusals of unknown routes get the API's error shape too."""
        try:
            response: dict[str, Any] = super().handle_request(method, path, headers, body)
        except GatewayError:
            raise
        except LocalGatewayException as error:
            # API Gateway answers an unknown route with 403 "Missing Authentication Token".
            raise GatewayError(
                403, "missing_authentication_token", "No such route; see /openapi.json."
            ) from error
        return response

    def _generate_lambda_event(
        self, method: str, path: str, headers: dict[str, Any], body: bytes | None
    ) -> dict[str, Any]:
        headers = {k.lower(): v for k, v in headers.items()}
        caller = headers.pop("x-dev-caller", None)
        mfa = headers.pop("x-dev-mfa", None)
        # How long ago the MFA sign-in was, in seconds (missing: just now): the resource policy's
        # `aws:MultiFactorAuthAge`, so that a stale session is refused locally as it is deployed.
        mfa_age = headers.pop("x-dev-mfa-age", None)
        event: dict[str, Any] = super()._generate_lambda_event(method, path, headers, body)
        # API Gateway hands path parameters to the Lambda percent-decoded; chalice local does not.
        event["pathParameters"] = {
            k: unquote(v) for k, v in (event.get("pathParameters") or {}).items()
        } or None
        context = event["requestContext"]
        context["accountId"] = self._callers.account_id  # API Gateway names the API owner's on every request
        route = self._app_object.routes.get(context["resourcePath"], {}).get(method)
        if route is None or not isinstance(route.authorizer, IAMAuthorizer):
            return event
        if not caller:
            raise GatewayError(
                401, "missing_authentication", "Set X-Dev-Caller to an IAM user name (local only)."
            )
        if mfa is not None and mfa.lower() not in ("true", "false"):
            raise GatewayError(400, "invalid_request", "X-Dev-Mfa must be true or false.")
        arn = self._callers.arn(caller)
        condition_keys = {"aws:PrincipalAccount": arn.split(":")[4]}
        if mfa is not None:
            condition_keys["aws:MultiFactorAuthPresent"] = mfa.lower()
        if mfa_age is not None:
            if not (mfa_age.isascii() and mfa_age.isdigit()):
                raise GatewayError(400, "invalid_request", "X-Dev-Mfa-Age must be a number of seconds.")
            if mfa is not None and mfa.lower() == "true":
                condition_keys["aws:MultiFactorAuthAge"] = mfa_age
        if not self._gate.allows(method, context["path"], condition_keys):
            raise GatewayError(403, "mfa_required", "Sign in with MFA to use this endpoint.")
        identity = context["identity"]
        identity["userArn"] = arn
        identity["accountId"] = arn.split(":")[4]
        identity["caller"] = caller
        identity["accessKey"] = LONG_TERM_KEY if mfa is None else TEMPORARY_KEY
        if mfa is not None:
            identity[LOCAL_MFA_KEY] = mfa.lower()
        return event


class DevRequestHandler(ChaliceRequestHandler):
    """chalice local's request handler, with the dev gateway."""

    def __init__(
        self,
        request: Any,
        client_address: Any,
        server: HTTPServer,
        app_object: Chalice,
        config: Config,
        gate: ResourcePolicyGate,
        callers: CallerDirectory,
    ) -> None:
        self.local_gateway = DevGateway(app_object, config, gate, callers)
        # Skip ChaliceRequestHandler.__init__ (it would build a plain LocalGateway).
        super(ChaliceRequestHandler, self).__init__(request, client_address, server)

    def __getattr__(self, name: str) -> Any:
        # http.server answers a method it has no `do_<METHOD>` for with an HTML 501; API Gateway routes
        # any method like the others, and the app answers 405 in the API's error shape.
        if name.startswith("do_"):
            return self._generic_handle
        raise AttributeError(name)


class DevServer(ThreadedHTTPServer):
    """chalice local's threaded server with a listen backlog fit for a burst of newcomers.

    socketserver's default backlog is 5: a sixth connection arriving before the accept loop catches up
    is reset by the kernel, which a client sees as a failed request (the load test, `make load`, did).
    """

    request_queue_size = 128


def give_each_thread_its_request(app_object: Chalice) -> None:
    """Make `app_object` keep `current_request` per thread, as `chalice local` does (LocalChalice)."""
    if not isinstance(app_object, LocalChalice):
        CustomLocalChalice.__bases__ = (LocalChalice, app_object.__class__)
        app_object.__class__ = CustomLocalChalice


def make_server(app_object: Chalice, host: str, port: int) -> ThreadedHTTPServer:
    """A threaded server for the app; each request gets its own `current_request` (LocalChalice)."""
    give_each_thread_its_request(app_object)
    config = Config(chalice_stage="dev", config_from_disk={}, user_provided_params={})
    callers = CallerDirectory.with_own_clients()
    handler = functools.partial(
        DevRequestHandler,
        app_object=app_object,
        config=config,
        gate=ResourcePolicyGate.from_file(account_id=callers.account_id),
        callers=callers,
    )
    return DevServer((host, port), handler)
