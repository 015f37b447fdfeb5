"""The first password is never lost silently (issue 23 §1): leaving step 1 asks, a resumed tab says so.

The page keeps the password in memory only; once the tab reloads it is gone, and the page must say so and
name the fix (a new link, `iam-onboarding users reissue <name>`).
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.harness import PHONE, Stack
from tests.browser.steps import show_credentials
from tests.support.api import token_of

GONE = (
    "Your first password is no longer shown on this page. If you did not save it, ask your admin for a new "
    "link. The admin's command:"
)


def stored_anywhere(page: Page) -> str:
    """Everything the page could have kept: both storages, cookies and the history entry."""
    return str(
        page.evaluate(
            "JSON.stringify([Object.assign({}, sessionStorage), Object.assign({}, localStorage),"
            " document.cookie, history.state])"
        )
    )


def test_a_reload_after_the_claim_on_a_phone_says_the_password_is_gone_and_how_to_get_a_new_one(
    stack: Stack, open_page: Any
) -> None:
    created = stack.new_user()
    page = open_page(created["bundle"]["url"], viewport=PHONE)
    claimed = show_credentials(page)

    page.reload()

    expect(page.get_by_role("heading", name="Step 2: set up MFA")).to_be_visible()
    gone = page.locator("#password-gone")
    expect(gone).to_be_visible()
    expect(gone.locator("p").first).to_have_text(GONE)
    expect(gone.locator("code")).to_have_text(f"iam-onboarding users reissue {created['user_name']}")
    expect(page.get_by_text(claimed["password"])).to_have_count(0)
    assert claimed["password"] not in stored_anywhere(page)


def test_the_password_gone_note_is_in_japanese_too_and_follows_the_switch(
    stack: Stack, open_page: Any
) -> None:
    created = stack.new_user()
    page = open_page(created["bundle"]["url"], locale="ja-JP", viewport=PHONE)
    with page.expect_response("**/onboarding/credentials"):
        page.get_by_role("button", name="認証情報を表示する").click()

    page.reload()

    expect(page.locator("#password-gone p").first).to_have_text(
        "初期パスワードは、このページにはもう表示されません。保存していない場合は、管理者に新しいリンクを"
        "依頼してください。管理者が実行するコマンド:"
    )
    page.get_by_role("button", name="English").click()
    expect(page.locator("#password-gone p").first).to_have_text(GONE)


def test_the_page_never_stores_the_password(stack: Stack, open_page: Any) -> None:
    page = open_page(stack.new_user()["bundle"]["url"], viewport=PHONE)

    claimed = show_credentials(page)

    expect(page.locator("#password")).to_have_text(claimed["password"])
    assert claimed["password"] not in stored_anywhere(page)


def test_leaving_step_1_asks_whether_the_password_was_saved_and_not_yet_stays(
    stack: Stack, open_page: Any
) -> None:
    page = open_page(stack.new_user()["bundle"]["url"], viewport=PHONE)
    claimed = show_credentials(page)

    page.get_by_role("button", name="Next: set up MFA").click()

    question = page.get_by_text("Did you save your password? Once you go on, this page cannot show it again.")
    expect(question).to_be_visible()
    expect(question).to_be_focused()
    expect(page.get_by_role("button", name="Next: set up MFA")).to_be_hidden()
    page.get_by_role("button", name="Not yet").click()

    expect(question).to_be_hidden()
    expect(page.get_by_role("heading", name="Step 1: your credentials")).to_be_visible()
    expect(page.locator("#password")).to_have_text(claimed["password"])
    expect(page.get_by_role("button", name="Copy password")).to_be_focused()
    page.get_by_role("button", name="Next: set up MFA").click()
    page.get_by_role("button", name="Yes, I saved it").click()
    expect(page.get_by_role("heading", name="Step 2: set up MFA")).to_be_focused()


def test_the_question_is_asked_in_japanese_on_a_japanese_page(stack: Stack, open_page: Any) -> None:
    page = open_page(stack.new_user()["bundle"]["url"], locale="ja-JP", viewport=PHONE)
    with page.expect_response("**/onboarding/credentials"):
        page.get_by_role("button", name="認証情報を表示する").click()

    page.get_by_role("button", name="次へ: MFA を設定する").click()

    expect(
        page.get_by_text("パスワードは保存しましたか？先に進むと、このページではもう表示できません。")  # noqa: RUF001
    ).to_be_visible()
    page.get_by_role("button", name="保存しました").click()
    expect(page.get_by_role("heading", name="ステップ 2: MFA の設定")).to_be_visible()


def test_downloading_credentials_csv_counts_as_saved_and_skips_the_question(
    stack: Stack, open_page: Any
) -> None:
    page = open_page(stack.new_user()["bundle"]["url"], viewport=PHONE)
    show_credentials(page)
    with page.expect_download():
        page.get_by_role("button", name="Download credentials.csv").click()

    page.get_by_role("button", name="Next: set up MFA").click()

    expect(page.get_by_role("heading", name="Step 2: set up MFA")).to_be_visible()
    expect(page.get_by_text("Did you save your password?")).to_be_hidden()


def test_an_enrollment_link_never_speaks_of_a_lost_password(stack: Stack, open_page: Any) -> None:
    created = stack.new_user()
    status, claimed = stack.call(
        "POST", "/onboarding/credentials", {"token": token_of(created["bundle"]["url"])}
    )
    assert status == 200, claimed
    status, body = stack.call("POST", f"/admin/users/{created['user_name']}/enrollment", admin=True)
    assert status == 200, body
    page = open_page(body["enrollment"]["url"], viewport=PHONE)

    page.reload()

    expect(page.get_by_role("heading", name="Step 2: set up MFA")).to_be_visible()
    expect(page.locator("#password-gone")).to_be_hidden()
