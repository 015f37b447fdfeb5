"""Shared fixtures: a bootstrapped in-process emulated account, and the API behind the dev gateway.

The helpers they build on are in tests/support/ (the API, the emulator) and local/ (the account, the
call log), which the benchmarks share.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.emulator import emulated_account
from local.observe import CallLog, recording_calls
from tests.support.accounts import prepare_emulator
from tests.support.api import Api

# Slack's side (a signing client, a stand-in for response_url) for every test that asks for it.
pytest_plugins = ["tests.support.slack"]


def pytest_configure(config: pytest.Config) -> None:
    """Before any test module is imported: the emulator, never a developer's real AWS credentials."""
    prepare_emulator()


@pytest.fixture
def aws_account() -> Iterator[None]:
    """A fresh emulated account, bootstrapped exactly as `make run` does."""
    with emulated_account():
        yield


@pytest.fixture
def api(aws_account: None) -> Api:
    """The API on a fresh bootstrapped account."""
    return Api()


@pytest.fixture
def aws_calls(aws_account: None) -> Iterator[CallLog]:
    """Record the AWS calls the code under test makes (moto does not keep every parameter)."""
    with recording_calls() as log:
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
