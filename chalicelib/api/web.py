"""`GET /`, `/onboard`, `/enroll` and `/static/*`: the newcomer's page, served by the API itself.

The page is static; the one-time token stays in the URL fragment (browsers never send it) until the
page's script posts it in a request body. Strict headers keep the page out of frames, its URL out of
`Referer` and any injected script from running.
"""

from __future__ import annotations

import functools
from pathlib import Path

from chalice.app import Blueprint, Response

from chalicelib import caches
from chalicelib.api.http import route

web = Blueprint(__name__)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        # The QR code arrives as SVG text and is shown through a data: URL, where it cannot run script.
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    # The page and its script change with each deployment and are tiny: never serve a stale copy.
    "Cache-Control": "no-store",
}

_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}


@caches.register
@functools.cache
def _asset(name: str) -> str:
    """One file of `chalicelib/web/`, read on first use and kept for the warm container."""
    return (WEB_DIR / name).read_text(encoding="utf-8")


# A year of https only for this host (not its subdomains: API Gateway's domain is not ours to pin).
HSTS = "max-age=31536000"


def _serve(name: str) -> Response:
    headers: dict[str, str | list[str]] = {**SECURITY_HEADERS, "Content-Type": _TYPES[name]}
    # Over https only (API Gateway says so): browsers ignore it over http, and the local stack is http.
    if (web.current_request.headers.get("x-forwarded-proto") or "").lower() == "https":
        headers["Strict-Transport-Security"] = HSTS
    return Response(body=_asset(name), status_code=200, headers=headers)


@route(web, "/", "GET", "The newcomer's page (HTML)", produces="text/html")
def home() -> Response:
    """The page without a link: it says to open the link from the admin."""
    return _serve("index.html")


@route(web, "/onboard", "GET", "The newcomer's page for a credential link (HTML)", produces="text/html")
def onboard() -> Response:
    """The page a credential link opens (`/onboard#<token>`)."""
    return _serve("index.html")


@route(web, "/enroll", "GET", "The newcomer's page for an enrollment link (HTML)", produces="text/html")
def enroll() -> Response:
    """The page an enrollment link opens (`/enroll#<token>`), straight at the MFA step."""
    return _serve("index.html")


@route(web, "/static/app.js", "GET", "The page's script", produces="text/javascript")
def script() -> Response:
    """The page's script."""
    return _serve("app.js")


@route(web, "/static/style.css", "GET", "The page's style sheet", produces="text/css")
def stylesheet() -> Response:
    """The page's style sheet."""
    return _serve("style.css")
