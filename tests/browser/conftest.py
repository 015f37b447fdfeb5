"""The real page in Debian's headless Chromium, against the app served on 127.0.0.1 over emulated AWS.

One emulated account, one server and one browser serve every test here; each test makes its own user and
its own browser context, so tests stay independent without paying for a bootstrap or a browser each.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.harness import DESKTOP, Stack, launch_chromium, serve_app


@pytest.fixture(scope="package")
def stack() -> Iterator[Stack]:
    """The app on a local port over one emulated account, for every browser test."""
    with serve_app() as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole run; tests get their own contexts."""
    with launch_chromium() as chromium:
        yield chromium


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """`open_page(url, locale=..., viewport=...)`: a page in a fresh browser context."""
    contexts: list[Any] = []

    def opener(url: str, *, locale: str = "en-US", viewport: dict[str, int] = DESKTOP) -> Any:
        context = browser.new_context(locale=locale, viewport=viewport, accept_downloads=True)
        # A ceiling, reached only when something is already wrong: generous, for a loaded 2-core CI machine.
        context.set_default_timeout(30_000)
        # Playwright's init scripts are exempt from the page's CSP, so this listener sees every refusal.
        context.add_init_script(
            "window.cspViolations = [];"
            "document.addEventListener('securitypolicyviolation',"
            " e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        contexts.append(context)
        page = context.new_page()
        page.goto(url)
        return page

    yield opener
    for context in contexts:
        context.close()
