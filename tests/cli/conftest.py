"""Fixtures of the CLI's tests; the helpers they use are in tests/support/cli.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import SESSION, Recorder, recording_endpoint


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A recording endpoint for one test."""
    with recording_endpoint() as endpoint:
        yield endpoint


@pytest.fixture
def session_in_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Credentials that are a session already (a token), and no profile files of the machine's."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", SESSION.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SESSION.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION.token)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("IAM_ONBOARDING_URL", raising=False)
