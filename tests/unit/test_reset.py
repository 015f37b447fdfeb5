"""`wiring.reset()` forgets all a warm container keeps: what it reads next is what a cold start reads."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Iterator

import pytest

import chalicelib
from chalicelib import account, aws, caches, wiring
from chalicelib.config import settings, slack_settings


@pytest.fixture(autouse=True)
def cold() -> Iterator[None]:
    wiring.reset()
    yield
    wiring.reset()


def test_a_changed_environment_is_read_after_a_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATE_TABLE", "before")
    monkeypatch.setenv("SLACK_TEAM_ID", "T0BEFORE")
    assert (settings().table_name, slack_settings().team_id) == ("before", "T0BEFORE")
    monkeypatch.setenv("STATE_TABLE", "after")
    monkeypatch.setenv("SLACK_TEAM_ID", "T0AFTER")
    assert (settings().table_name, slack_settings().team_id) == ("before", "T0BEFORE")

    wiring.reset()

    assert (settings().table_name, slack_settings().team_id) == ("after", "T0AFTER")


def test_every_aws_client_is_made_anew_after_a_reset() -> None:
    getters = (aws.iam, aws.dynamodb, aws.sts, aws.ssm, aws.lambda_)
    before = [get() for get in getters]

    wiring.reset()

    assert all(get() is not old for get, old in zip(getters, before, strict=True))


def test_account_facts_are_read_again_after_a_reset() -> None:
    assert account.cached("alias", lambda: "before") == "before"

    wiring.reset()

    assert account.cached("alias", lambda: "after") == "after"


def test_every_functools_cache_in_chalicelib_is_one_reset_empties() -> None:
    for module in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
        importlib.import_module(module.name)
    found = {
        f"{name}.{attribute}": value
        for name, module in list(sys.modules.items())
        if name.startswith("chalicelib.")
        for attribute, value in vars(module).items()
        if hasattr(value, "cache_info") and getattr(value, "__module__", None) == name
    }

    # Two settings, five clients, the page's files and the OpenAPI document.
    assert len(found) >= 9, sorted(found)
    assert [name for name, cache in found.items() if cache not in caches._caches] == []
