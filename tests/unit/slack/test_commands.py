"""The `/iam` table: help, the answer and the worker read one declaration per sub-command."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.models import OnboardingState, UserDetail
from chalicelib.models.slack import SlackAction, SlashCommand
from chalicelib.slack.commands import help_message, subcommands
from chalicelib.slack.dispatch import work_of_click, work_of_command
from chalicelib.slack.replies import offboard_prompt


def command(text: str) -> SlashCommand:
    return SlashCommand(
        user_id="U0ADMIN", command="/iam", text=text, response_url="https://hooks.slack.com/x"
    )


def test_help_lists_every_subcommand_of_the_table_once_in_its_order() -> None:
    text = help_message("/iam", ["developer"]).text

    usages = [line.split("`")[1] for line in text.splitlines()[1:]]
    assert usages == [
        f"/iam {row.usage}".replace("<", "&lt;").replace(">", "&gt;") for row in subcommands().values()
    ]


def test_only_subcommands_with_a_job_give_the_worker_work() -> None:
    slow = {name for name, row in subcommands().items() if row.job is not None}

    assert slow == {"onboard", "reset-mfa", "audit"}
    assert work_of_command(command("status alice"), {}) is None
    assert work_of_command(command("reset-mfa alice"), {}) is not None


def test_every_button_of_the_offboarding_prompt_is_declared_in_the_table() -> None:
    user = UserDetail(
        user_name="alice",
        arn="arn:aws:iam::123456789012:user/onboarding/alice",
        groups=["developer"],
        state=OnboardingState.INVITED,
        created_at=datetime(2026, 11, 29, tzinfo=UTC),
        mfa_devices=[],
        password_last_used=None,
    )
    blocks = offboard_prompt(user).blocks or []
    buttons = [element["action_id"] for block in blocks for element in block.get("elements", [])]

    assert buttons and set(buttons) == set(subcommands()["offboard"].buttons)
    assert all(work_of_click(SlackAction(action_id=b, value="alice")) is not None for b in buttons)


def test_a_click_on_a_button_no_subcommand_declares_asks_for_no_work() -> None:
    assert work_of_click(SlackAction(action_id="delete_everything", value="alice")) is None


def test_every_subcommand_that_changes_an_existing_user_names_the_cli_command_for_administrators() -> None:
    # onboard creates a user (its groups are checked by grantable_over_slack); these act on one that exists.
    guarded = {name: row.cli_for_administrators for name, row in subcommands().items()}

    assert {name: cli for name, cli in guarded.items() if cli} == {
        "reset-mfa": "users reset-mfa",
        "offboard": "users offboard",
    }
