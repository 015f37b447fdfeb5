"""Shared fixtures: a bootstrapped in-process emulated account, and the API behind the dev gateway."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)

import moto.iam.models

from chalicelib import account, aws
from chalicelib.config import load_groups_manifest, settings, slack_settings
from local.emulator import make_dynamodb_writes_atomic


def _trim_managed_policies() -> None:
    """Load only the AWS managed policies the product attaches, not all ~1,300 (most of a second a test).

    The policies kept are moto's own copies, unchanged.
    """
    wanted = {arn.rsplit("/", 1)[1] for g in load_groups_manifest().values() for arn in g.managed_policy_arns}
    data = json.loads(moto.iam.models.aws_managed_policies_data)
    moto.iam.models.aws_managed_policies_data = json.dumps({k: v for k, v in data.items() if k in wanted})


_trim_managed_policies()
make_dynamodb_writes_atomic()

ACCOUNT_ID = "123456789012"


def reset_caches() -> None:
    """Forget every per-container cache, as a cold start would."""
    settings.cache_clear()
    slack_settings.cache_clear()
    for client in (aws.iam, aws.dynamodb, aws.sts):
        client.cache_clear()
    account.forget()


@pytest.fixture
def aws_account() -> Iterator[None]:
    """A fresh emulated account, bootstrapped exactly as `make run` does."""
    from local.bootstrap import bootstrap

    reset_caches()
    with mock_aws():
        bootstrap(aws.iam(), aws.dynamodb(), settings(), ACCOUNT_ID)
        yield
    reset_caches()


@dataclass
class Reply:
    """An HTTP response as the dev gateway produced it."""

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


@pytest.fixture
def api(aws_account: None) -> Api:
    """The API on a fresh bootstrapped account."""
    return Api()


def token_of(url: str) -> str:
    """The token in a link's fragment."""
    return url.split("#", 1)[1]


@dataclass(frozen=True)
class Call:
    """One AWS API call as our code made it."""

    service: str
    operation: str
    params: dict[str, Any]


class CallLog(list[Call]):
    """Every AWS call made through the container's clients while the fixture is active."""

    def operations(self, service: str | None = None) -> list[str]:
        """The operation names, in order."""
        return [c.operation for c in self if service in (None, c.service)]

    def of(self, operation: str) -> list[dict[str, Any]]:
        """The parameters of each call to `operation`."""
        return [c.params for c in self if c.operation == operation]


@pytest.fixture
def aws_calls(aws_account: None) -> Iterator[CallLog]:
    """Record the AWS calls the code under test makes (moto does not keep every parameter)."""
    from local.observe import observing_calls

    log = CallLog()

    def record(model: Any, params: dict[str, Any]) -> None:
        log.append(Call(model.service_model.service_name, model.name, dict(params)))

    with observing_calls(record):
        yield log


@pytest.fixture(scope="session")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh `make package` output directory (stage dev), built once for the whole run."""
    from deploy import package

    out = tmp_path_factory.mktemp("build")
    package.package("dev", out)
    return out


@pytest.fixture(scope="session")
def template(build: Path) -> dict[str, Any]:
    """The merged template `make package` writes."""
    return dict(json.loads((build / "template.json").read_text()))
