"""Requests to the iam-onboarding API: signed with SigV4 when deployed, dev headers against `make run`."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

from iam_onboarding_cli.errors import ApiError, CliError, Unreachable, UsageError

SERVICE = "execute-api"
TIMEOUT_SECONDS = 30
USER_AGENT = "iam-onboarding-cli/0.1"
# https://{api id}.execute-api.{region}.amazonaws.com/{stage}: the one host shape that names its region.
EXECUTE_API_HOST = re.compile(r"[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def region_of(endpoint: str) -> str | None:
    """The AWS region an `execute-api` endpoint's host names, or None for a custom domain."""
    found = EXECUTE_API_HOST.fullmatch(urlsplit(endpoint).hostname or "")
    return found.group(1) if found else None


def checked_endpoint(endpoint: str) -> str:
    """The endpoint without a trailing slash; https, or http on this machine only (`make run`)."""
    parts = urlsplit(endpoint)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK):
        if parts.query or parts.fragment:
            raise UsageError(f"The endpoint {endpoint} must not carry a query or fragment.")
        return endpoint.rstrip("/")
    # One-time links and session tokens travel in these requests: never over plain http off this machine.
    raise UsageError(f"The endpoint must be https:// (or http://127.0.0.1 for make run), not {endpoint!r}.")


def user_path(user_name: str, *rest: str) -> str:
    """`/admin/users/{user_name}[/rest]`, the name percent-encoded (`+`, `=`, `@` are valid in names)."""
    return "/".join(("/admin/users", quote(user_name, safe=""), *rest))


class Authentication(Protocol):
    """What proves the caller's identity on a request."""

    def apply(self, request: AWSRequest) -> None:
        """Add the proof to `request` (its URL, headers and body are final)."""


@dataclass(frozen=True)
class SigV4Signing:
    """API Gateway's IAM authorization: botocore's SigV4 signer, service `execute-api`."""

    credentials: ReadOnlyCredentials
    region: str

    def apply(self, request: AWSRequest) -> None:
        """Sign `request` (adds X-Amz-Date, X-Amz-Security-Token for a session, Authorization)."""
        SigV4Auth(self.credentials, SERVICE, self.region).add_auth(request)


@dataclass(frozen=True)
class DevIdentity:
    """`make run`'s local identity: the caller and an MFA session, as headers only the local gateway reads."""

    caller: str

    def apply(self, request: AWSRequest) -> None:
        """Name the caller and claim an MFA session (local only: a deployed API ignores both)."""
        request.headers["X-Dev-Caller"] = self.caller
        request.headers["X-Dev-Mfa"] = "true"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is answered as the HTTPError it is, never followed.

    urllib's default handler resends every header (Authorization, X-Amz-Security-Token and the signed
    Host) to wherever the Location points, http included: a request anyone there could replay.
    """

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


class Api:
    """The iam-onboarding REST API at one endpoint, as one caller."""

    def __init__(self, endpoint: str, authentication: Authentication) -> None:
        self._endpoint = checked_endpoint(endpoint)
        self._authentication = authentication

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """Send one request; the JSON answer on 2xx, else ApiError with the API's code and message."""
        url = self._endpoint + path
        data = json.dumps(body).encode() if body is not None else None
        # Host is set before signing so that the header sent is the one signed, whatever urllib would add.
        headers = {"Host": urlsplit(url).netloc, "Accept": "application/json", "User-Agent": USER_AGENT}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = AWSRequest(method=method, url=url, data=data, headers=headers)
        self._authentication.apply(request)
        sent = urllib.request.Request(  # noqa: S310 - the scheme is checked: https, or http on loopback
            url, data=data, headers=dict(request.headers.items()), method=method
        )
        try:
            with _OPENER.open(sent, timeout=TIMEOUT_SECONDS) as response:
                return _json(response.status, response.read())
        except urllib.error.HTTPError as error:
            if 300 <= error.code < 400:
                raise CliError(
                    f"The API at {self._endpoint} answered HTTP {error.code} redirecting to "
                    f"{error.headers.get('Location')!r}; not followed (a signed request goes to the endpoint "
                    "only): set --endpoint to the API's own URL."
                ) from None
            raise _api_error(error.code, error.read()) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            raise Unreachable(f"Cannot reach the API at {self._endpoint}: {reason}.") from None


def _json(status: int, raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        raise CliError(f"The API answered HTTP {status} with something other than JSON.") from None


def _api_error(status: int, raw: bytes) -> ApiError:
    try:
        error = json.loads(raw)["error"]
        return ApiError(status, str(error["code"]), str(error["message"]))
    except (ValueError, KeyError, TypeError):
        return ApiError(status, f"http_{status}", "The API answered without its error shape.")
