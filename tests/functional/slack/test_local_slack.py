"""`python -m local.slack`: the README's local Slack example shows what would go to Slack, buttons too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib import wiring
from local.run import LOCAL_SLACK_APP, LOCAL_SLACK_TEAM
from local.slack import main
from tests.browser.harness import Stack, serve_app
from tests.support.slack import ADMIN, SECRET


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """`SLACK_SIGNING_SECRET=... SLACK_ADMINS=... make run`, on a free port."""
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SLACK_ADMINS", f"{ADMIN}:admin")
    monkeypatch.setenv("SLACK_TEAM_ID", LOCAL_SLACK_TEAM)  # as `make run` sets them
    monkeypatch.setenv("SLACK_APP_ID", LOCAL_SLACK_APP)
    monkeypatch.delenv("SLACK_SIGNING_SECRET_PARAM", raising=False)
    monkeypatch.delenv("SLACK_WORKER_FUNCTION", raising=False)
    wiring.reset()
    with serve_app() as running:
        yield running
    wiring.reset()


def slack(stack: Stack, capsys: pytest.CaptureFixture[str], *words: str) -> list[str]:
    """What `python -m local.slack <words>` prints."""
    main([*words, "--base", stack.base])
    return capsys.readouterr().out.splitlines()


def test_onboard_shows_the_answer_and_then_the_one_time_link_posted_to_slack(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = slack(stack, capsys, "onboard", "dave", "developer")

    assert lines[0] == "/iam onboard dave developer"
    assert lines[1].startswith("Slack (answer): Creating *dave* in developer…")
    assert lines[2].startswith("Slack (posted later): :white_check_mark: Created *dave* in developer.")
    assert any(line.startswith(f"  {stack.base}/onboard#") for line in lines[3:])


def test_offboard_shows_the_button_and_pressing_it_offboards(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.new_user("erin")

    prompt = slack(stack, capsys, "offboard", "erin1")
    pressed = slack(stack, capsys, "press", "offboard_confirm", "erin1")

    button = "  [Offboard erin1]  press it: .venv/bin/python -m local.slack press offboard_confirm erin1"
    assert button in prompt
    assert pressed[0] == "Slack (answer): (nothing shown; Slack only notes the click)"
    assert pressed[1] == "Slack (posted later): Offboarding *erin1*…"
    assert "erin1" in pressed[2]
    assert stack.call("GET", "/admin/users/erin1", admin=True)[0] == 404


def test_without_the_slack_variables_it_says_which_to_export(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_SIGNING_SECRET")

    with pytest.raises(SystemExit, match="SLACK_SIGNING_SECRET and SLACK_ADMINS"):
        main(["help", "--base", stack.base])
