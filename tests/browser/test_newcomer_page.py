"""A newcomer goes from the admin's link to a working MFA device in a real browser, in either language."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.harness import PHONE, Stack
from tests.browser.steps import CONSOLE_URL, consecutive_codes, leave_credentials, show_credentials, start_mfa
from tests.support.api import token_of


def test_opening_the_link_spends_nothing_and_takes_the_token_out_of_the_address_bar(
    stack: Stack, open_page: Any
) -> None:
    url = stack.new_user()["bundle"]["url"]
    requests: list[str] = []

    page = open_page(url)
    page.on("request", lambda r: requests.append(r.url))
    expect(page.get_by_role("button", name="Show my credentials")).to_be_visible()

    assert "#" not in page.url
    assert page.url == f"{stack.base}/onboard"
    assert not any("/onboarding/" in r for r in requests)
    status, body = stack.call("POST", "/onboarding/credentials", {"token": token_of(url)})
    assert status == 200, body


def test_show_my_credentials_reveals_name_password_and_console_link_with_the_token_only_in_the_body(
    stack: Stack, open_page: Any
) -> None:
    created = stack.new_user()
    token = token_of(created["bundle"]["url"])
    page = open_page(created["bundle"]["url"])
    posts: list[tuple[str, str | None]] = []
    page.on("request", lambda r: posts.append((r.url, r.post_data)))

    claimed = show_credentials(page)

    expect(page.locator("#user-name")).to_have_text(created["user_name"])
    expect(page.locator("#password")).to_have_text(claimed["password"])
    expect(page.locator("#console-url")).to_have_text(CONSOLE_URL)
    expect(page.locator("#console-url")).to_have_attribute("href", CONSOLE_URL)
    assert len(claimed["password"]) >= 16
    assert posts == [(f"{stack.base}/onboarding/credentials", f'{{"token":"{token}"}}')]


def test_the_page_runs_under_its_content_security_policy_without_a_single_refusal(
    stack: Stack, open_page: Any
) -> None:
    page = open_page(stack.new_user()["bundle"]["url"])
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    show_credentials(page)

    expect(page.locator("#password")).not_to_be_empty()
    assert page.evaluate("window.cspViolations") == []
    assert errors == []


def test_copy_buttons_put_each_value_on_the_clipboard(stack: Stack, open_page: Any) -> None:
    page = open_page(stack.new_user()["bundle"]["url"])
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.base)
    claimed = show_credentials(page)
    copied = {}

    for label in ("Copy user name", "Copy password", "Copy console sign-in link"):
        page.get_by_role("button", name=label).click()
        expect(page.locator("#status")).to_have_text("Copied.")
        copied[label] = page.evaluate("navigator.clipboard.readText()")
        page.locator("#status").evaluate("el => el.textContent = ''")

    assert copied == {
        "Copy user name": claimed["user_name"],
        "Copy password": claimed["password"],
        "Copy console sign-in link": CONSOLE_URL,
    }


def test_credentials_csv_is_made_in_the_browser_in_the_console_layout(stack: Stack, open_page: Any) -> None:
    page = open_page(stack.new_user()["bundle"]["url"])
    claimed = show_credentials(page)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    with page.expect_download() as download:
        page.get_by_role("button", name="Download credentials.csv").click()

    assert download.value.suggested_filename == "credentials.csv"
    text = open(download.value.path(), encoding="utf-8", newline="").read()  # noqa: SIM115
    assert list(csv.reader(io.StringIO(text))) == [
        ["User name", "Password", "Access key ID", "Secret access key", "Console login link"],
        [claimed["user_name"], claimed["password"], "", "", CONSOLE_URL],
    ]
    assert text.startswith("User name,Password,Access key ID,Secret access key,Console login link\r\n")
    assert not any(r.startswith("http") for r in requests)


@pytest.mark.parametrize("user_name", ["=1+2", "+1-2", "-3", "@home"])
def test_credentials_csv_keeps_a_spreadsheet_from_reading_a_user_name_as_a_formula(
    stack: Stack, open_page: Any, user_name: str
) -> None:
    status, created = stack.call(
        "POST", "/admin/users", {"user_name": user_name, "groups": ["developer"]}, admin=True
    )
    assert status == 201, created
    page = open_page(created["bundle"]["url"])
    claimed = show_credentials(page)

    with page.expect_download() as download:
        page.get_by_role("button", name="Download credentials.csv").click()

    text = open(download.value.path(), encoding="utf-8", newline="").read()  # noqa: SIM115
    # OWASP's CSV-injection advice: a leading ' makes the cell text, and the cell is quoted.
    assert text.splitlines()[1].startswith(f'"\'{user_name}",')
    assert list(csv.reader(io.StringIO(text)))[1] == [
        f"'{user_name}",
        claimed["password"],
        "",
        "",
        CONSOLE_URL,
    ]


def test_a_reopened_link_says_it_was_opened_and_to_ask_for_an_mfa_link(stack: Stack, open_page: Any) -> None:
    url = stack.new_user()["bundle"]["url"]
    assert stack.call("POST", "/onboarding/credentials", {"token": token_of(url)})[0] == 200
    page = open_page(url, viewport=PHONE)

    page.get_by_role("button", name="Show my credentials").click()

    expect(page.get_by_role("alert")).to_have_text(
        "You already opened this link, so it cannot show your password again. To set up MFA, ask your "
        "admin for an MFA link (an address with /enroll# in it). If you did not save your password, ask "
        "for a new link instead."
    )
    expect(page.get_by_role("button", name="Show my credentials")).to_be_hidden()
    # Nothing left on the page points at the button that went.
    expect(page.get_by_text("press the button").filter(visible=True)).to_have_count(0)


def test_an_unknown_link_says_to_ask_the_admin_for_a_new_one(stack: Stack, open_page: Any) -> None:
    page = open_page(f"{stack.base}/onboard#{'A' * 43}")

    page.get_by_role("button", name="Show my credentials").click()

    expect(page.get_by_role("alert")).to_have_text(
        "This link has expired or was already used. Ask your admin for a new link."
    )
    expect(page.get_by_role("button", name="Show my credentials")).to_be_hidden()


def test_a_link_mangled_in_transit_says_to_ask_the_admin_for_a_new_one(stack: Stack, open_page: Any) -> None:
    page = open_page(f"{stack.base}/onboard#{'x' * 300}")

    with page.expect_response("**/onboarding/credentials") as answer:
        page.get_by_role("button", name="Show my credentials").click()

    assert answer.value.status == 400
    expect(page.get_by_role("alert")).to_have_text(
        "This link has expired or was already used. Ask your admin for a new link."
    )


def test_a_network_failure_says_to_retry_and_the_link_still_works_afterwards(
    stack: Stack, open_page: Any
) -> None:
    page = open_page(stack.new_user()["bundle"]["url"])
    page.route("**/onboarding/credentials", lambda route: route.abort())
    button = page.get_by_role("button", name="Show my credentials")

    button.click()

    expect(page.get_by_role("alert")).to_have_text(
        "Could not reach the server. Check your connection and try again. If it keeps failing, ask your "
        "admin for a new link."
    )
    expect(button).to_be_focused()
    page.unroute("**/onboarding/credentials")
    show_credentials(page)
    expect(page.get_by_role("heading", name="Step 1: your credentials")).to_be_focused()


def test_a_second_link_pasted_into_the_same_tab_is_picked_up(stack: Stack, open_page: Any) -> None:
    page = open_page(stack.new_user()["bundle"]["url"])
    show_credentials(page)
    second = stack.new_user()

    page.goto(second["bundle"]["url"])
    claimed = show_credentials(page)

    assert claimed["user_name"] == second["user_name"]
    assert page.url == f"{stack.base}/onboard"


def test_a_page_without_a_token_says_to_open_the_link_from_the_admin(stack: Stack, open_page: Any) -> None:
    page = open_page(f"{stack.base}/")

    expect(page.get_by_role("heading", name="Open the link from your admin")).to_be_visible()
    expect(page.get_by_role("button", name="Show my credentials")).to_be_hidden()


def test_a_japanese_browser_gets_japanese_and_the_switch_turns_it_into_english(
    stack: Stack, open_page: Any
) -> None:
    page = open_page(stack.new_user()["bundle"]["url"], locale="ja-JP")

    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("button", name="認証情報を表示する")).to_be_visible()
    expect(page.get_by_role("button", name="日本語")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Show my credentials")).to_be_visible()
    assert page.title() == "AWS account setup"


def test_an_english_browser_gets_english_and_the_switch_turns_it_into_japanese(
    stack: Stack, open_page: Any
) -> None:
    page = open_page(stack.new_user()["bundle"]["url"], locale="en-GB")
    expect(page.get_by_role("button", name="Show my credentials")).to_be_visible()

    page.get_by_role("button", name="日本語").click()

    expect(page.get_by_role("button", name="認証情報を表示する")).to_be_visible()
    assert page.title() == "AWS アカウントの設定"


def test_an_error_shown_in_japanese_follows_the_language_switch(stack: Stack, open_page: Any) -> None:
    url = stack.new_user()["bundle"]["url"]
    stack.call("POST", "/onboarding/credentials", {"token": token_of(url)})
    page = open_page(url, locale="ja-JP")

    page.get_by_role("button", name="認証情報を表示する").click()
    expect(page.get_by_role("alert")).to_have_text(
        "このリンクはすでに開かれているため、パスワードはもう表示できません。MFA を設定するには、管理者に "
        "MFA 設定リンク (/enroll# を含むアドレス) を依頼してください。パスワードを保存していない場合は、"
        "代わりに新しいリンクを依頼してください。"
    )
    page.get_by_role("button", name="English").click()

    expect(page.get_by_role("alert")).to_contain_text("You already opened this link")


def test_the_code_fields_are_labelled_numeric_one_time_code_inputs(stack: Stack, open_page: Any) -> None:
    page = open_page(stack.new_user()["bundle"]["url"])

    for label in ("First code", "Next code"):
        field = page.get_by_label(label)
        expect(field).to_have_attribute("inputmode", "numeric")
        expect(field).to_have_attribute("autocomplete", "one-time-code")
        expect(field).to_have_attribute("pattern", "[0-9]{6}")


def test_every_step_fits_a_phone_screen_without_sideways_scrolling(stack: Stack, open_page: Any) -> None:
    page = open_page(stack.new_user()["bundle"]["url"], viewport=PHONE)
    widths = [page.evaluate("document.documentElement.scrollWidth")]
    show_credentials(page)
    widths.append(page.evaluate("document.documentElement.scrollWidth"))
    code1, code2 = consecutive_codes(start_mfa(page))
    widths.append(page.evaluate("document.documentElement.scrollWidth"))
    page.get_by_label("First code").fill(code1)
    page.get_by_label("Next code").fill(code2)
    page.get_by_role("button", name="Turn on MFA").click()
    expect(page.get_by_role("heading", name="Step 3: sign in")).to_be_visible()
    widths.append(page.evaluate("document.documentElement.scrollWidth"))

    assert widths == [PHONE["width"]] * 4


# MFA: needs POST /onboarding/mfa and /onboarding/mfa/verify.


def test_a_newcomer_goes_from_link_to_mfa_by_keyboard_alone(stack: Stack, open_page: Any) -> None:
    created = stack.new_user()
    page = open_page(created["bundle"]["url"])

    # Tab until the button has focus: no mouse anywhere in this test.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "show-credentials":
            break
    with page.expect_response("**/onboarding/credentials"):
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Step 1: your credentials")).to_be_focused()
    page.get_by_role("button", name="Next: set up MFA").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Did you save your password?")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Yes, I saved it")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Step 2: set up MFA")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Show the QR code")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("First code")).to_be_focused()
    code1, code2 = consecutive_codes(page.locator("#secret").inner_text().replace(" ", ""))
    page.keyboard.type(code1)
    page.keyboard.press("Tab")
    page.keyboard.type(code2)
    with page.expect_response("**/onboarding/mfa/verify") as answer:
        page.keyboard.press("Enter")

    assert answer.value.status == 200
    expect(page.get_by_role("heading", name="Step 3: sign in")).to_be_focused()
    expect(page.locator("#done-console-url")).to_have_attribute("href", CONSOLE_URL)
    status, detail = stack.call("GET", f"/admin/users/{created['user_name']}", admin=True)
    assert (status, detail["state"], len(detail["mfa_devices"])) == (200, "mfa_enrolled", 1)


def test_the_mfa_step_shows_the_qr_code_the_key_and_an_app_link(stack: Stack, open_page: Any) -> None:
    page = open_page(stack.new_user()["bundle"]["url"])
    show_credentials(page)
    leave_credentials(page)

    with page.expect_response("**/onboarding/mfa") as answer:
        page.get_by_role("button", name="Show the QR code").click()

    enrollment = answer.value.json()
    qr = page.get_by_role("img", name="QR code to add your AWS account to an authenticator app")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    # The API's own data: URI, shown as an image (which runs no script), never inserted as markup.
    assert qr.get_attribute("src") == enrollment["qr_data_uri"]
    assert page.locator("#mfa svg").count() == 0
    expect(page.locator("#secret")).to_have_text(
        " ".join(enrollment["secret"][i : i + 4] for i in range(0, len(enrollment["secret"]), 4))
    )
    expect(page.locator("#otpauth")).to_have_attribute("href", enrollment["otpauth_uri"])


def test_wrong_codes_say_to_wait_for_the_next_code_and_right_ones_then_succeed(
    stack: Stack, open_page: Any
) -> None:
    page = open_page(stack.new_user()["bundle"]["url"])
    show_credentials(page)
    secret = start_mfa(page)
    code1, code2 = consecutive_codes(secret)

    page.get_by_label("First code").fill(code2)
    page.get_by_label("Next code").fill(code1)
    with page.expect_response("**/onboarding/mfa/verify") as wrong:
        page.get_by_role("button", name="Turn on MFA").click()

    assert wrong.value.status == 400
    expect(page.get_by_role("alert")).to_contain_text(
        "Those codes did not work. Wait until your app shows a new code"
    )
    expect(page.get_by_label("First code")).to_have_value("")
    expect(page.get_by_label("First code")).to_be_focused()
    page.get_by_label("First code").fill(code1)
    page.get_by_label("Next code").fill(code2)
    page.get_by_role("button", name="Turn on MFA").click()
    expect(page.get_by_role("heading", name="Step 3: sign in")).to_be_visible()
    expect(page.get_by_role("alert")).to_be_hidden()


def test_two_equal_codes_are_refused_in_the_page_without_using_a_try(stack: Stack, open_page: Any) -> None:
    page = open_page(stack.new_user()["bundle"]["url"])
    show_credentials(page)
    start_mfa(page)
    verifies: list[str] = []
    page.on("request", lambda r: verifies.append(r.url) if r.url.endswith("/verify") else None)

    page.get_by_label("First code").fill("123456")
    page.get_by_label("Next code").fill("123456")
    page.get_by_role("button", name="Turn on MFA").click()

    expect(page.get_by_role("alert")).to_have_text(
        "The two codes must be different: wait until the app shows a new code, "
        "then type it in the second box."
    )
    assert verifies == []


def test_the_fifth_wrong_pair_says_to_ask_for_a_new_mfa_link(stack: Stack, open_page: Any) -> None:
    page = open_page(stack.new_user()["bundle"]["url"])
    show_credentials(page)
    start_mfa(page)
    statuses = []

    for _ in range(5):
        page.get_by_label("First code").fill("111111")
        page.get_by_label("Next code").fill("222222")
        with page.expect_response("**/onboarding/mfa/verify") as answer:
            page.get_by_role("button", name="Turn on MFA").click()
        statuses.append(answer.value.status)
        # The page empties the fields once it has taken the answer in: only then type the next pair.
        expect(page.get_by_label("First code")).to_have_value("")

    assert statuses == [400, 400, 400, 400, 410]
    expect(page.get_by_role("alert")).to_have_text(
        "Too many wrong codes: this MFA setup link is used up. Ask your admin for a new MFA link (an "
        "address with /enroll# in it)."
    )
    expect(page.get_by_label("First code")).to_be_hidden()
    expect(page.get_by_text("press the button").filter(visible=True)).to_have_count(0)
    # Failed for good: the tab keeps no token a "reopen closed tab" could bring back (N8).
    assert page.evaluate("sessionStorage.length") == 0


def test_a_server_failure_says_to_try_again_later(stack: Stack, open_page: Any) -> None:
    page = open_page(stack.new_user()["bundle"]["url"])
    page.route(
        "**/onboarding/credentials",
        lambda route: route.fulfill(
            status=500,
            content_type="application/json",
            body='{"error": {"code": "internal_error", "message": "Something went wrong."}}',
        ),
    )

    page.get_by_role("button", name="Show my credentials").click()

    expect(page.get_by_role("alert")).to_have_text(
        "Something went wrong on our side. Try again in a minute; if it keeps failing, ask your admin "
        "for a new link."
    )
    expect(page.get_by_role("button", name="Show my credentials")).to_be_enabled()


def test_an_enrollment_link_opens_at_the_mfa_step_and_enrolls(stack: Stack, open_page: Any) -> None:
    created = stack.new_user()
    stack.call("POST", "/onboarding/credentials", {"token": token_of(created["bundle"]["url"])})
    status, body = stack.call("POST", f"/admin/users/{created['user_name']}/enrollment", admin=True)
    assert status == 200, body
    page = open_page(body["enrollment"]["url"], locale="ja-JP")
    expect(page.get_by_role("heading", name="ステップ 2: MFA の設定")).to_be_visible()
    assert page.url == f"{stack.base}/enroll"

    page.get_by_role("button", name="QR コードを表示する").click()
    expect(page.locator("#secret")).not_to_be_empty()
    code1, code2 = consecutive_codes(page.locator("#secret").inner_text().replace(" ", ""))
    page.get_by_label("1 つ目のコード").fill(code1)
    page.get_by_label("次のコード").fill(code2)
    page.get_by_role("button", name="MFA を有効にする").click()

    expect(page.get_by_role("heading", name="ステップ 3: サインイン")).to_be_visible()
    expect(page.locator("#done-console-url")).to_have_attribute("href", CONSOLE_URL)


def test_new_credentials_for_someone_with_mfa_skip_the_mfa_step(stack: Stack, open_page: Any) -> None:
    created = stack.new_user()
    claimed = stack.call("POST", "/onboarding/credentials", {"token": token_of(created["bundle"]["url"])})[1]
    enrollment = claimed["enrollment"]["token"]
    code1, code2 = consecutive_codes(
        stack.call("POST", "/onboarding/mfa", {"token": enrollment})[1]["secret"]
    )
    assert (
        stack.call("POST", "/onboarding/mfa/verify", {"token": enrollment, "code1": code1, "code2": code2})[0]
        == 200
    )
    status, reissued = stack.call("POST", f"/admin/users/{created['user_name']}/credentials", admin=True)
    assert status == 200, reissued
    page = open_page(reissued["bundle"]["url"])

    show_credentials(page)
    expect(page.get_by_text("MFA is already set up for your user.")).to_be_visible()
    expect(page.get_by_role("button", name="Next: set up MFA")).to_be_hidden()
    leave_credentials(page, "Next: sign in")

    expect(page.get_by_role("heading", name="Step 3: sign in")).to_be_focused()
    expect(page.locator("#done-console-url")).to_have_attribute("href", CONSOLE_URL)


def test_an_expired_enrollment_link_says_to_ask_for_a_new_mfa_link(stack: Stack, open_page: Any) -> None:
    page = open_page(f"{stack.base}/enroll#{'A' * 43}")

    page.get_by_role("button", name="Show the QR code").click()

    expect(page.get_by_role("alert")).to_have_text(
        "This MFA setup link has expired or was used up. Ask your admin for a new MFA link (an address "
        "with /enroll# in it)."
    )
    assert page.evaluate("sessionStorage.length") == 0


# Nobody gets stuck: on a phone, wrong codes and a reload must not strand the newcomer.


def in_view(page: Page, selector: str) -> bool:
    """Whether the element is wholly inside the visible part of the window (to the pixel: layout rounds)."""
    return bool(
        page.locator(selector).evaluate(
            "el => { const r = el.getBoundingClientRect();"
            " return r.height > 0 && r.top >= -1 && r.bottom <= window.innerHeight + 1; }"
        )
    )


def test_wrong_codes_on_a_phone_are_explained_next_to_the_code_fields_with_the_tries_left(
    stack: Stack, open_page: Any
) -> None:
    page = open_page(stack.new_user()["bundle"]["url"], viewport=PHONE)
    show_credentials(page)
    code1, code2 = consecutive_codes(start_mfa(page))

    page.get_by_label("First code").fill(code2)
    page.get_by_label("Next code").fill(code1)
    page.get_by_role("button", name="Turn on MFA").click()

    alert = page.get_by_role("alert")
    expect(alert).to_have_text(
        "Those codes did not work. Wait until your app shows a new code, type it in the first box, then "
        "wait for the next code and type it in the second box. Check that the app shows this account "
        "(scanned from this page, not an older one). 4 tries left; after that you need a new MFA link "
        "from your admin."
    )
    assert alert.evaluate("el => el.closest('form') !== null")
    assert in_view(page, "[role=alert]:not([hidden])")
    assert in_view(page, "#code1")
    expect(page.get_by_label("First code")).to_be_focused()


def test_the_tries_left_count_down_in_japanese_too(stack: Stack, open_page: Any) -> None:
    page = open_page(stack.new_user()["bundle"]["url"], locale="ja-JP", viewport=PHONE)
    page.get_by_role("button", name="認証情報を表示する").click()
    leave_credentials(page, "次へ: MFA を設定する", "保存しました")
    page.get_by_role("button", name="QR コードを表示する").click()

    for left in (4, 3):
        page.get_by_label("1 つ目のコード").fill("111111")
        page.get_by_label("次のコード").fill("222222")
        page.get_by_role("button", name="MFA を有効にする").click()
        # Wait for the page to have taken the answer in (it empties the fields) before typing again.
        expect(page.get_by_role("alert")).to_have_text(
            "コードが正しくありません。アプリに新しいコードが表示されるのを待って 1 つ目の欄に入力し、"
            "次のコードに切り替わったら 2 つ目の欄に入力してください。アプリのアカウントが、古いものではなく"
            f"このページで読み取ったものか確認してください。あと {left} 回試せます。"
            "使い切ると、管理者に新しい MFA 設定リンクを依頼する必要があります。"
        )

    assert in_view(page, "[role=alert]:not([hidden])")


def test_a_server_failure_at_verify_on_a_phone_is_said_next_to_the_code_fields(
    stack: Stack, open_page: Any
) -> None:
    page = open_page(stack.new_user()["bundle"]["url"], viewport=PHONE)
    show_credentials(page)
    start_mfa(page)
    page.route(
        "**/onboarding/mfa/verify",
        lambda route: route.fulfill(
            status=502,
            content_type="application/json",
            body='{"error": {"code": "aws_error", "message": "AWS refused EnableMFADevice."}}',
        ),
    )

    page.get_by_label("First code").fill("111111")
    page.get_by_label("Next code").fill("222222")
    page.get_by_role("button", name="Turn on MFA").click()

    expect(page.get_by_role("alert")).to_contain_text("Something went wrong on our side")
    assert page.get_by_role("alert").evaluate("el => el.closest('form') !== null")
    assert in_view(page, "[role=alert]:not([hidden])")


def test_a_reload_at_the_mfa_step_on_a_phone_resumes_the_mfa_step_and_enrolls(
    stack: Stack, open_page: Any
) -> None:
    created = stack.new_user()
    page = open_page(created["bundle"]["url"], viewport=PHONE)
    show_credentials(page)
    leave_credentials(page)

    page.reload()

    expect(page.get_by_role("heading", name="Step 2: set up MFA")).to_be_visible()
    assert page.url == f"{stack.base}/onboard"
    code1, code2 = consecutive_codes(start_mfa_here(page))
    page.get_by_label("First code").fill(code1)
    page.get_by_label("Next code").fill(code2)
    page.get_by_role("button", name="Turn on MFA").click()
    expect(page.get_by_role("heading", name="Step 3: sign in")).to_be_visible()
    status, detail = stack.call("GET", f"/admin/users/{created['user_name']}", admin=True)
    assert (status, detail["state"]) == (200, "mfa_enrolled")


def start_mfa_here(page: Page) -> str:
    """On the MFA step, show the QR code; return the secret shown."""
    page.get_by_role("button", name="Show the QR code").click()
    secret = page.locator("#secret")
    expect(secret).to_be_visible()
    return secret.inner_text().replace(" ", "")


def test_coming_back_from_the_authenticator_app_resumes_the_mfa_step_and_says_to_scan_again(
    stack: Stack, open_page: Any
) -> None:
    page = open_page(stack.new_user()["bundle"]["url"], viewport=PHONE)
    show_credentials(page)
    start_mfa(page)

    # The otpauth:// link and the app store take the person out of the browser; the tab comes back later.
    page.goto("about:blank")
    page.go_back()

    expect(page.get_by_role("heading", name="Step 2: set up MFA")).to_be_visible()
    expect(page.get_by_text("Welcome back")).to_be_visible()
    code1, code2 = consecutive_codes(start_mfa_here(page))
    page.get_by_label("First code").fill(code1)
    page.get_by_label("Next code").fill(code2)
    page.get_by_role("button", name="Turn on MFA").click()
    expect(page.get_by_role("heading", name="Step 3: sign in")).to_be_visible()


def test_the_enrollment_token_never_reaches_the_address_bar_or_the_history(
    stack: Stack, open_page: Any
) -> None:
    page = open_page(stack.new_user()["bundle"]["url"], viewport=PHONE)
    claimed = show_credentials(page)
    leave_credentials(page)
    page.reload()
    expect(page.get_by_role("heading", name="Step 2: set up MFA")).to_be_visible()

    token = claimed["enrollment"]["token"]
    assert token not in page.url
    assert page.evaluate("history.length") <= 2
    assert token not in page.evaluate("JSON.stringify(history.state)")
    assert token not in page.evaluate("JSON.stringify(Object.assign({}, localStorage))")


def test_a_reload_after_mfa_is_on_shows_the_sign_in_step_again(stack: Stack, open_page: Any) -> None:
    page = open_page(stack.new_user()["bundle"]["url"], viewport=PHONE)
    show_credentials(page)
    code1, code2 = consecutive_codes(start_mfa(page))
    page.get_by_label("First code").fill(code1)
    page.get_by_label("Next code").fill(code2)
    page.get_by_role("button", name="Turn on MFA").click()
    expect(page.get_by_role("heading", name="Step 3: sign in")).to_be_visible()

    page.reload()

    expect(page.get_by_role("heading", name="Step 3: sign in")).to_be_visible()
    expect(page.locator("#done-console-url")).to_have_attribute("href", CONSOLE_URL)
    assert "token" not in page.evaluate("JSON.stringify(Object.assign({}, sessionStorage))")


def test_a_new_tab_without_the_link_says_to_ask_the_admin_for_an_mfa_link(
    stack: Stack, open_page: Any
) -> None:
    page = open_page(stack.new_user()["bundle"]["url"], viewport=PHONE)
    show_credentials(page)

    other = page.context.new_page()
    other.goto(f"{stack.base}/onboard")

    expect(other.get_by_role("heading", name="Open the link from your admin")).to_be_visible()
    expect(other.get_by_text("/enroll#")).to_be_visible()


def test_resuming_a_spent_enrollment_says_exactly_what_to_ask_the_admin_for(
    stack: Stack, open_page: Any
) -> None:
    created = stack.new_user()
    page = open_page(created["bundle"]["url"], viewport=PHONE)
    show_credentials(page)
    leave_credentials(page)
    # The admin resets the enrollment meanwhile (a new MFA link makes the old one dead).
    stack.call("POST", f"/admin/users/{created['user_name']}/enrollment", admin=True)

    page.reload()
    page.get_by_role("button", name="Show the QR code").click()

    expect(page.get_by_role("alert")).to_contain_text("Ask your admin for a new MFA link")
    expect(page.get_by_role("alert")).to_contain_text("/enroll#")
    assert in_view(page, "[role=alert]:not([hidden])")


def test_the_tries_left_come_from_the_apis_data_not_its_english_sentence(
    stack: Stack, open_page: Any
) -> None:
    page = open_page(stack.new_user()["bundle"]["url"], locale="ja-JP")
    page.get_by_role("button", name="認証情報を表示する").click()
    leave_credentials(page, "次へ: MFA を設定する", "保存しました")
    page.get_by_role("button", name="QR コードを表示する").click()
    reworded = {"code": "invalid_mfa_codes", "message": "Nope (reworded, no count here).", "tries_left": 2}
    page.route(
        "**/onboarding/mfa/verify",
        lambda route: route.fulfill(
            status=400, content_type="application/json", body=json.dumps({"error": reworded})
        ),
    )

    page.get_by_label("1 つ目のコード").fill("111111")
    page.get_by_label("次のコード").fill("222222")
    page.get_by_role("button", name="MFA を有効にする").click()

    expect(page.get_by_role("alert")).to_contain_text("あと 2 回試せます。")


def test_a_broken_answer_says_something_went_wrong_and_leaves_no_unhandled_rejection(
    stack: Stack, open_page: Any
) -> None:
    page = open_page(stack.new_user()["bundle"]["url"])
    uncaught: list[str] = []
    page.on("pageerror", lambda error: uncaught.append(str(error)))
    show_credentials(page)
    leave_credentials(page)
    # A 200 without the fields the page needs: a bug on one side or the other, not the person's fault.
    page.route(
        "**/onboarding/mfa",
        lambda route: route.fulfill(status=200, content_type="application/json", body="{}"),
    )

    page.get_by_role("button", name="Show the QR code").click()

    expect(page.get_by_role("alert")).to_contain_text("Something went wrong on our side")
    expect(page.get_by_role("button", name="Show the QR code")).to_be_enabled()
    expect(page.locator("#status")).to_have_text("")
    assert uncaught == []
