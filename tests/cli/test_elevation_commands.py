"""`iam-onboarding elevate` and `elevations …` against `make run`'s stack, over real sockets."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from iam_onboarding_cli.elevation import in_words
from local.stack import local_stack
from tests.support.cli import cli


@pytest.fixture(scope="module")
def stack() -> Iterator[str]:
    """`python -m local.run` on a free port, for this module."""
    with local_stack() as running:
        yield running.base


def local(stack: str, *args: str, who: str = "admin") -> list[str]:
    return ["--local", "--endpoint", stack, "--as", who, *args]


def test_a_user_asks_another_admin_approves_and_the_user_ends_it_early(stack: str) -> None:
    assert cli(*local(stack, "users", "create", "alice", "--group", "developer")).returncode == 0

    asked = cli(
        *local(
            stack,
            "elevate",
            "--group",
            "administrator",
            "--minutes",
            "90",
            "--reason",
            "deploy the fix",
            "--json",
            who="alice",
        )
    )
    assert asked.returncode == 0, asked.stderr
    grant_id = json.loads(asked.stdout)["id"]
    assert cli(*local(stack, "elevations", "approve", grant_id, who="alice")).returncode == 1  # not an admin

    approved = cli(*local(stack, "elevations", "approve", grant_id, "--reason", "go"))
    listed = cli(*local(stack, "elevations", "list", who="alice"))
    ended = cli(*local(stack, "elevations", "end", grant_id, who="alice"))
    everyone = cli(*local(stack, "elevations", "list", "--all"))

    assert approved.returncode == 0, approved.stderr
    row = next(line for line in listed.stdout.splitlines() if line.startswith(grant_id))
    # 90 minutes from approval, less the second or so the listing took
    assert "approved" in row and re.search(r"1 h (30|29) min left", row), row
    assert ended.returncode == 0, ended.stderr
    assert "ended" in next(line for line in everyone.stdout.splitlines() if line.startswith(grant_id))


def test_a_pending_request_prints_the_command_that_approves_it(stack: str) -> None:
    cli(*local(stack, "users", "create", "dora", "--group", "developer"))

    asked = cli(*local(stack, "elevate", "--group", "administrator", "--reason", "rotate keys", who="dora"))

    assert asked.returncode == 0, asked.stderr
    assert "iam-onboarding elevations approve " in asked.stdout


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(None, "-"), (30, "under a minute left"), (600, "10 min left"), (3600 + 300, "1 h 5 min left")],
)
def test_remaining_time_reads_in_words(seconds: int | None, words: str) -> None:
    assert in_words(seconds) == words
