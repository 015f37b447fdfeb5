"""`make run`'s banner says what to try, and asks only for what is missing."""

from __future__ import annotations

from local.run import banner

BASE = "http://127.0.0.1:8000"


def slack_lines(environ: dict[str, str]) -> str:
    text = banner(BASE, "http://127.0.0.1:5000", environ)
    return text[text.index("Slack's /iam") : text.index("Ctrl-C")]


def test_the_banner_does_not_ask_for_slack_variables_that_are_set() -> None:
    lines = slack_lines({"SLACK_SIGNING_SECRET": "dev-secret", "SLACK_ADMINS": "U0LOCAL"})

    assert "set SLACK" not in lines
    assert ".venv/bin/python -m local.slack help" in lines


def test_the_banner_asks_only_for_the_slack_variable_still_missing() -> None:
    lines = slack_lines({"SLACK_SIGNING_SECRET": "dev-secret"})

    assert "set SLACK_ADMINS before `make run`" in lines
    assert "SLACK_SIGNING_SECRET" not in lines


def test_the_banner_points_the_slack_helper_at_a_port_other_than_the_default() -> None:
    text = banner(
        "http://127.0.0.1:8777", "http://127.0.0.1:5000", {"SLACK_SIGNING_SECRET": "s", "SLACK_ADMINS": "U"}
    )

    assert "-m local.slack help --base http://127.0.0.1:8777" in text
