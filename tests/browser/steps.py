"""What a newcomer does on the page, step by step: shared by the browser tests."""

from __future__ import annotations

import time
from typing import Any

import pyotp
from playwright.sync_api import Page, expect

CONSOLE_URL = "https://123456789012.signin.aws.amazon.com/console"


def show_credentials(page: Page) -> dict[str, Any]:
    """Press "Show my credentials" and return what the API answered."""
    with page.expect_response("**/onboarding/credentials") as answer:
        page.get_by_role("button", name="Show my credentials").click()
    body: dict[str, Any] = answer.value.json()
    return body


def leave_credentials(page: Page, button: str = "Next: set up MFA", saved: str = "Yes, I saved it") -> None:
    """Leave step 1 the way a person does who saved the password elsewhere: press on, then confirm."""
    page.get_by_role("button", name=button).click()
    page.get_by_role("button", name=saved).click()


def start_mfa(page: Page) -> str:
    """From the credentials step, open the MFA step and show the QR code; return the secret shown."""
    leave_credentials(page)
    page.get_by_role("button", name="Show the QR code").click()
    secret = page.locator("#secret")
    expect(secret).to_be_visible()
    return secret.inner_text().replace(" ", "")


def consecutive_codes(secret: str) -> tuple[str, str]:
    """The previous and the current code: what a person has typed by the time the second code shows."""
    totp = pyotp.TOTP(secret)
    now = time.time()
    return totp.at(now - 30), totp.at(now)


def turn_on_mfa(page: Page, secret: str) -> None:
    """Type two consecutive codes of `secret` and wait for the last step."""
    code1, code2 = consecutive_codes(secret)
    page.locator("#code1").fill(code1)
    page.locator("#code2").fill(code2)
    with page.expect_response("**/onboarding/mfa/verify") as answer:
        page.locator("#verify-button").click()
    assert answer.value.status == 200
    expect(page.locator("#done h2")).to_be_visible()
