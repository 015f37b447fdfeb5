"""The newcomer's page is served by the API itself, under headers that keep its secrets on the page."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from chalice.test import Client

from app import app
from chalicelib.api.web import WEB_DIR

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def get(path: str) -> tuple[int, dict[str, str], str]:
    with Client(app) as client:
        reply = client.http.get(path)
    return reply.status_code, dict(reply.headers), reply.body.decode()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", "text/html; charset=utf-8"),
        ("/onboard", "text/html; charset=utf-8"),
        ("/enroll", "text/html; charset=utf-8"),
        ("/static/app.js", "text/javascript; charset=utf-8"),
        ("/static/style.css", "text/css; charset=utf-8"),
    ],
)
def test_every_part_of_the_page_comes_with_the_strict_headers(path: str, content_type: str) -> None:
    status, headers, _ = get(path)

    assert status == 200
    assert headers == {
        "Content-Type": content_type,
        "Content-Security-Policy": CSP,
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }


def test_all_three_page_routes_serve_the_same_page_file() -> None:
    bodies = {get(path)[2] for path in ("/", "/onboard", "/enroll")}

    assert bodies == {(WEB_DIR / "index.html").read_text(encoding="utf-8")}


class _Inventory(HTMLParser):
    """What a CSP without 'unsafe-inline' would refuse, and every URL the page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self.loads: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.inline += [f"{tag}[{name}]" for name in found if name == "style" or name.startswith("on")]
        if tag == "style":
            self.inline.append("style element")
        if tag == "script":
            self._in_script = True
            self.loads.append(found.get("src") or "")
        if tag == "link":
            self.loads.append(found.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("inline script")


def test_the_page_has_no_inline_script_or_style_and_loads_only_its_own_files() -> None:
    inventory = _Inventory()
    inventory.feed(get("/onboard")[2])

    assert inventory.inline == []
    # The icon is an empty data: URL so that browsers do not ask the API for a favicon it does not have.
    assert inventory.loads == ["data:,", "static/style.css", "static/app.js"]


def test_the_script_never_turns_text_into_markup_or_code() -> None:
    script = get("/static/app.js")[2]

    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function("):
        assert sink not in script
