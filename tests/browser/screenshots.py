"""`make screenshots`: each step of the newcomer page, at phone and desktop sizes, in both languages.

Runs the same stack as the browser tests (emulated AWS, so every name, password and seed shown is fake)
and writes PNGs to the folder given as the only argument (default `docs/screenshots`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pyotp
from playwright.sync_api import expect

from tests.browser.harness import DESKTOP, PHONE, Stack, launch_chromium, serve_app

LOCALES = {"en": "en-US", "ja": "ja-JP"}
SIZES = {"phone": PHONE, "desktop": DESKTOP}


def shoot(page: Any, folder: Path, name: str) -> None:
    """One full-page PNG, after the page has settled."""
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    print(folder / f"{name}.png")


def walk(stack: Stack, browser: Any, folder: Path, lang: str, size: str) -> None:
    """One newcomer's whole way through the page, a picture at each step."""
    context = browser.new_context(
        locale=LOCALES[lang], viewport=SIZES[size], device_scale_factor=1, accept_downloads=True
    )
    page = context.new_page()
    prefix = f"{lang}-{size}"
    created = stack.new_user("alice")

    page.goto(created["bundle"]["url"])
    shoot(page, folder, f"{prefix}-1-link")

    page.locator("#show-credentials").click()
    page.locator("#credentials").wait_for()
    shoot(page, folder, f"{prefix}-2-credentials")

    page.locator("#to-mfa").click()
    page.locator("#confirm-saved").wait_for()
    shoot(page, folder, f"{prefix}-2a-saved-your-password")
    page.locator("#saved-yes").click()
    page.locator("#mfa").wait_for()
    # A reload (or a phone evicting the tab) after the claim: the password is gone, and the page says so.
    page.reload()
    page.locator("#password-gone").wait_for()
    shoot(page, folder, f"{prefix}-2b-resumed-after-the-claim")
    page.locator("#start-mfa").click()
    page.locator("#mfa-setup").wait_for()
    page.locator("#qr").evaluate("img => img.decode()")
    secret = page.locator("#secret").inner_text().replace(" ", "")
    shoot(page, folder, f"{prefix}-3-mfa")

    # The codes in the wrong order: what the page then shows (both fields emptied, focus on the first).
    totp = pyotp.TOTP(secret)
    now = time.time()
    page.locator("#code1").fill(totp.at(now))
    page.locator("#code2").fill(totp.at(now - 30))
    page.locator("#verify-button").click()
    page.get_by_role("alert").wait_for()
    shoot(page, folder, f"{prefix}-4-wrong-codes")

    page.locator("#code1").fill(totp.at(now - 30))
    page.locator("#code2").fill(totp.at(now))
    page.locator("#verify-button").click()
    page.locator("#done").wait_for()
    shoot(page, folder, f"{prefix}-5-done")

    page.goto(created["bundle"]["url"])
    page.locator("#show-credentials").click()
    page.get_by_role("alert").wait_for()
    shoot(page, folder, f"{prefix}-6-reopened-link")

    # Another newcomer types five wrong pairs.
    page.goto(stack.new_user("bob")["bundle"]["url"])
    page.locator("#show-credentials").click()
    page.locator("#download-csv").click()  # saved: leaving step 1 asks nothing
    page.locator("#to-mfa").click()
    page.locator("#start-mfa").click()
    page.locator("#mfa-setup").wait_for()
    for _ in range(5):
        page.locator("#code1").fill("111111")
        page.locator("#code2").fill("222222")
        with page.expect_response("**/onboarding/mfa/verify"):
            page.locator("#verify-button").click()
        expect(page.locator("#code1")).to_have_value("")  # the page took the answer in
    page.locator("#message").wait_for()
    shoot(page, folder, f"{prefix}-7-too-many-wrong-codes")
    context.close()


def main() -> None:
    """Write every screenshot."""
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    with serve_app() as stack, launch_chromium() as browser:
        for lang in LOCALES:
            for size in SIZES:
                walk(stack, browser, folder, lang, size)


if __name__ == "__main__":
    main()
