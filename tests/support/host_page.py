"""The sample municipality web site that embeds the chat widget (for widget tests and ``muni bench widget``).

Serve it on another port than the gateway, so the widget loads cross-origin as on a real web site.
"""

from __future__ import annotations

from aiohttp import web

from voice_gateway.paths import WIDGET_DIR

HOST_PAGE = WIDGET_DIR / "example-host.html"
HOST_PAGES = ("/", "/index.html", "/borgerservice.html", "/kontakt.html")
"""Paths under which the host server serves the sample page (a citizen can go from one page to another)."""


def host_page(gateway: str) -> str:
    """The sample municipality page with the gateway's base URL filled in (no trailing slash)."""
    return HOST_PAGE.read_text(encoding="utf-8").replace("{{GATEWAY}}", gateway.rstrip("/"))


def host_csp(gateway: str) -> str:
    """The strict Content-Security-Policy that docs/widget.md says a host page needs for the widget."""
    origin = gateway.rstrip("/")
    websocket = "ws" + origin.removeprefix("http")
    return (
        f"default-src 'self'; script-src {origin}; style-src {origin}; connect-src {origin} {websocket}; "
        "media-src blob:; img-src data:"
    )


def host_app(gateway: str, strict_csp: bool = True) -> web.Application:
    """A tiny web site of the municipality that embeds the widget.

    With ``strict_csp`` the pages carry the strict policy of docs/widget.md, so a widget that needed more
    (inline styles, eval, other hosts) would show up as CSP violations in the browser's console.
    """
    page = host_page(gateway)
    headers = {"Cache-Control": "no-store"}
    if strict_csp:
        headers["Content-Security-Policy"] = host_csp(gateway)

    async def serve(request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html", headers=headers)

    app = web.Application()
    for path in HOST_PAGES:
        app.router.add_get(path, serve)
    return app
