"""The API as the tests call it: through the dev gateway `make run` serves, in process (`Api`), or over a
real socket to a served stack (`over_http`).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from local.emulator import ACCOUNT_ID


@dataclass
class Reply:
    """An HTTP response as the test received it."""

    status: int
    headers: dict[str, Any]
    body: Any


class Api:
    """Calls the app through the same dev gateway `make run` serves, without sockets."""

    def __init__(self) -> None:
        from chalice.config import Config
        from chalice.local import LocalGatewayException

        from app import app
        from local.gate import ResourcePolicyGate
        from local.gateway import CallerDirectory, DevGateway

        self._error = LocalGatewayException
        self._gateway = DevGateway(
            app,
            Config(chalice_stage="dev", config_from_disk={}, user_provided_params={}),
            ResourcePolicyGate.from_file(account_id=ACCOUNT_ID),
            CallerDirectory.with_own_clients(),
        )

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        caller: str | None = None,
        mfa: str | None = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """One request; `caller`/`mfa` become the dev identity headers."""
        sent = {"content-type": "application/json", **(headers or {})}
        if caller is not None:
            sent["X-Dev-Caller"] = caller
        if mfa is not None:
            sent["X-Dev-Mfa"] = mfa
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        try:
            response = self._gateway.handle_request(method=method, path=path, headers=sent, body=payload)
        except self._error as error:
            return Reply(error.CODE, dict(error.headers), json.loads(error.body))
        text = response["body"]
        return Reply(response["statusCode"], response["headers"], json.loads(text) if text else None)

    def as_admin(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
        """A request by the bootstrap admin with an MFA session."""
        return self.call(method, path, body, caller="admin", mfa="true", **kwargs)


def over_http(
    base: str, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None
) -> Reply:
    """One JSON request to the stack served at `base` (127.0.0.1), over a socket; a body that is not
    JSON is kept as text."""
    data = json.dumps(body).encode() if body is not None else None
    sent = {"Content-Type": "application/json", **(headers or {})}
    request = urllib.request.Request(base + path, data=data, headers=sent, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - 127.0.0.1 only
            status, received, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, received, raw = error.code, dict(error.headers), error.read()
    try:
        parsed = json.loads(raw or b"null")
    except ValueError:
        parsed = raw.decode(errors="replace")
    return Reply(status, received, parsed)


def token_of(url: str) -> str:
    """The token in a link's fragment."""
    return url.split("#", 1)[1]
