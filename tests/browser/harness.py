"""The app served on 127.0.0.1 over a bootstrapped emulated account, and Debian's Chromium to look at it.

Shared by the browser tests' fixtures and by `make screenshots`.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from local.emulator import emulated_account
from local.run import free_port
from tests.support.accounts import prepare_emulator
from tests.support.api import over_http

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@dataclass
class Stack:
    """The app on a local port, over a bootstrapped emulated account."""

    base: str
    _names: Iterator[int]

    def call(self, method: str, path: str, body: Any = None, *, admin: bool = False) -> tuple[int, Any]:
        """One HTTP request to the running app; the admin's dev identity when `admin`."""
        headers = {"X-Dev-Caller": "admin", "X-Dev-Mfa": "true"} if admin else {}
        reply = over_http(self.base, method, path, body, headers=headers)
        return reply.status, reply.body

    def new_user(self, prefix: str = "newcomer") -> dict[str, Any]:
        """A freshly created developer, as `POST /admin/users` answered."""
        status, body = self.call(
            "POST",
            "/admin/users",
            {"user_name": f"{prefix}{next(self._names)}", "groups": ["developer"]},
            admin=True,
        )
        assert status == 201, body
        return dict(body)


@contextmanager
def serve_app() -> Iterator[Stack]:
    """The app served by the local gateway in a thread, with links pointing at it."""
    from local.gateway import make_server

    prepare_emulator()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    previous = os.environ.get("PUBLIC_BASE_URL")
    os.environ["PUBLIC_BASE_URL"] = base
    try:
        with emulated_account():
            from app import app

            server = make_server(app, "127.0.0.1", port)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            try:
                yield Stack(base, itertools.count(1))
            finally:
                server.shutdown()
                server.server_close()
                thread.join(timeout=5)
    finally:
        if previous is None:
            os.environ.pop("PUBLIC_BASE_URL", None)
        else:
            os.environ["PUBLIC_BASE_URL"] = previous


@contextmanager
def launch_chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright; Playwright never downloads a browser of its own here."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium.")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
