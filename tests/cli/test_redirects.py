"""The CLI never follows a redirect: a signed request, and its session token, reach the endpoint only.

Two servers on this machine stand in for the review's probe: the configured endpoint (127.0.0.1) answers
302 to another host (`localhost`, another port). urllib's default handler would resend Authorization,
X-Amz-Security-Token and the signed Host there, a replayable request for five minutes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.cli import SESSION, Recorder, recording_endpoint, run_cli

pytestmark = pytest.mark.usefixtures("session_in_the_environment")


@pytest.fixture
def elsewhere() -> Iterator[Recorder]:
    """The other host a redirect points at."""
    with recording_endpoint() as endpoint:
        yield endpoint


@pytest.fixture
def redirecting(elsewhere: Recorder) -> Iterator[Recorder]:
    """The configured endpoint, answering every request 302 to `elsewhere` under another host name."""
    with recording_endpoint() as endpoint:
        endpoint.redirect_to = elsewhere.base.replace("127.0.0.1", "localhost") + "/api/admin/users"
        yield endpoint


@pytest.mark.parametrize(
    "command", [("users", "list"), ("users", "reissue", "alice")], ids=["GET", "bodiless POST"]
)
def test_a_redirect_is_not_followed_and_nothing_reaches_the_other_host(
    redirecting: Recorder, elsewhere: Recorder, command: tuple[str, ...]
) -> None:
    result = run_cli("--endpoint", redirecting.base, *command)

    assert result.code == 1
    assert len(redirecting.received) == 1 and elsewhere.received == []


def test_a_redirect_is_an_error_that_names_its_location(redirecting: Recorder) -> None:
    result = run_cli("--endpoint", redirecting.base, "users", "list")

    assert "302" in result.stderr and str(redirecting.redirect_to) in result.stderr
    assert SESSION.token not in result.stderr + result.stdout
