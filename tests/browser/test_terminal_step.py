"""The page's last step: "Use AWS from your terminal", with the exact commands for this account (SPEC §14).

The commands are built from the API's data (account alias or id, region), in both languages, at both sizes.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.harness import DESKTOP, PHONE, Stack
from tests.browser.steps import show_credentials, start_mfa, turn_on_mfa
from tests.support.api import token_of

LOGIN = (
    "aws --version\n"
    "aws configure set region us-east-1 --profile {p}\n"
    "aws login --profile {p}\n"
    "aws sts get-caller-identity --profile {p}"
)
BRIDGE = (
    "[profile {p}-bridge]\n"
    "region = us-east-1\n"
    "credential_process = aws configure export-credentials --profile {p} --format process"
)
KEY = (
    "pipx install ./cli\n"
    "aws configure --profile {p}-long-term\n"
    "iam-onboarding configure --profile {p} --region us-east-1\n"
    "export IAM_ONBOARDING_URL={base}\n"
    "iam-onboarding doctor --profile {p}"
)
WORDS = {
    "en": {
        "title": "Use AWS from your terminal",
        "version": "You need AWS CLI 2.32 or newer",
        "profile": "The profile is named after your account, {p}, never default",
        "shadow": "If ~/.aws/credentials has keys under [{p}], they silently win over aws login",
        "bridge": "use --profile {p}-bridge with them",
        "fallback": "If aws login does not work",
    },
    "ja": {
        "title": "ターミナルから AWS を使う",
        "version": "AWS CLI はバージョン 2.32 以降が必要です",
        "profile": "プロファイル名は default ではなく、アカウント名の {p} にします。",
        "shadow": "~/.aws/credentials の [{p}] にキーがあると、何も表示されないまま aws login より",
        "bridge": "--profile {p}-bridge を指定してください。",
        "fallback": "aws login がうまくいかない場合",
    },
}


def finish_onboarding(stack: Stack, open_page: Any, *, locale: str, viewport: dict[str, int]) -> Page:
    """A newcomer's page, from the link to the last step, in `locale` at `viewport`."""
    page = open_page(stack.new_user()["bundle"]["url"], locale=locale, viewport=viewport)
    page.get_by_role("button", name="English").click()  # the helpers press English buttons
    show_credentials(page)
    turn_on_mfa(page, start_mfa(page))
    if locale.startswith("ja"):
        page.get_by_role("button", name="日本語").click()
    return page


def fits(page: Page) -> bool:
    """Nothing pushes the page sideways."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_last_step_shows_the_terminal_commands_for_this_account(
    stack: Stack, open_page: Any, lang: str, viewport: dict[str, int]
) -> None:
    page = finish_onboarding(stack, open_page, locale="ja-JP" if lang == "ja" else "en-US", viewport=viewport)
    p = "123456789012"  # the emulated account has no alias: the profile is named after its id

    terminal = page.locator("#terminal")
    expect(terminal.get_by_role("heading", name=WORDS[lang]["title"])).to_be_visible()
    expect(page.locator("#terminal-login")).to_have_text(LOGIN.format(p=p))
    expect(page.locator("#terminal-bridge")).to_have_text(BRIDGE.format(p=p))
    expect(page.locator("#terminal-key")).to_have_text(KEY.format(p=p, base=stack.base))
    for key in ("version", "profile", "shadow", "bridge", "fallback"):
        expect(terminal).to_contain_text(WORDS[lang][key].format(p=p))
    assert "default" not in page.locator("#terminal-login").inner_text()
    page.locator("#terminal-key").scroll_into_view_if_needed()
    assert fits(page)


def test_the_commands_are_named_after_the_account_alias_when_there_is_one(
    stack: Stack, open_page: Any
) -> None:
    from chalicelib import account, aws

    aws.iam().create_account_alias(AccountAlias="acme-dev")
    account.forget()
    try:
        page = finish_onboarding(stack, open_page, locale="en-US", viewport=PHONE)
    finally:
        aws.iam().delete_account_alias(AccountAlias="acme-dev")
        account.forget()

    expect(page.locator("#terminal-login")).to_contain_text("aws login --profile acme-dev")
    expect(page.locator("#terminal-bridge")).to_contain_text("[profile acme-dev-bridge]")
    expect(page.locator("#terminal")).to_contain_text("keys under [acme-dev]")


def test_the_copy_button_copies_the_commands_exactly(stack: Stack, open_page: Any) -> None:
    page = finish_onboarding(stack, open_page, locale="en-US", viewport=DESKTOP)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.base)

    page.locator("#terminal").get_by_role("button", name="Copy the commands").first.click()

    assert page.evaluate("navigator.clipboard.readText()") == LOGIN.format(p="123456789012")


def test_an_enrollment_link_alone_still_ends_with_the_commands_for_this_account(
    stack: Stack, open_page: Any
) -> None:
    created = stack.new_user()
    stack.call("POST", "/onboarding/credentials", {"token": token_of(created["bundle"]["url"])})
    status, body = stack.call("POST", f"/admin/users/{created['user_name']}/enrollment", admin=True)
    assert status == 200, body
    page = open_page(body["enrollment"]["url"], viewport=PHONE)

    page.get_by_role("button", name="Show the QR code").click()
    expect(page.locator("#secret")).to_be_visible()
    turn_on_mfa(page, page.locator("#secret").inner_text().replace(" ", ""))

    expect(page.locator("#terminal-login")).to_have_text(LOGIN.format(p="123456789012"))


def test_a_reload_on_the_last_step_keeps_the_commands(stack: Stack, open_page: Any) -> None:
    page = finish_onboarding(stack, open_page, locale="en-US", viewport=PHONE)

    page.reload()

    expect(page.locator("#terminal-login")).to_have_text(LOGIN.format(p="123456789012"))
