"""The public chat page ``/`` (with its script and stylesheet) and the security headers of every gateway response.

The page is ``static/chat.html`` with ``static/chat.js`` and ``static/chat.css``: no inline script or style,
so it is served under a Content-Security-Policy as strict as the kiosk's. The :func:`security_headers`
middleware gives every response ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer``,
and any HTML response that has no policy of its own a strict CSP and ``X-Frame-Options: DENY``; headers a
handler set itself (kiosk, ``/ring``, console) are kept.
"""

from __future__ import annotations

from aiohttp import web

from voice_gateway.paths import STATIC_DIR

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
ALL_RESPONSES = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
PAGE_HEADERS = {**ALL_RESPONSES, "Content-Security-Policy": PAGE_CSP, "X-Frame-Options": "DENY"}
CHAT_FILES = {"chat.js": "application/javascript", "chat.css": "text/css"}


def _add_headers(response: web.StreamResponse) -> None:
    if response.prepared:  # a WebSocket or a streamed answer: its headers are gone already
        return
    html = response.content_type == "text/html"
    for name, value in (PAGE_HEADERS if html else ALL_RESPONSES).items():
        response.headers.setdefault(name, value)


@web.middleware
async def security_headers(request: web.Request, handler):
    """Add the headers every response should have (see the module docstring), errors included."""
    try:
        response = await handler(request)
    except web.HTTPException as error:
        _add_headers(error)
        raise
    _add_headers(response)
    return response


async def chat_page(request: web.Request) -> web.FileResponse:
    """A minimal chat page for trying the assistant in a browser."""
    return web.FileResponse(STATIC_DIR / "chat.html", headers={**PAGE_HEADERS, "Cache-Control": "no-cache"})


async def chat_file(request: web.Request) -> web.FileResponse:
    """The chat page's script or stylesheet."""
    name = request.path.lstrip("/")
    response = web.FileResponse(STATIC_DIR / name, headers={**ALL_RESPONSES, "Cache-Control": "no-cache"})
    response.content_type = CHAT_FILES[name]
    return response


def setup_chat_page(app: web.Application) -> None:
    """Add ``/`` and its files."""
    app.router.add_get("/", chat_page)
    for name in CHAT_FILES:
        app.router.add_get(f"/{name}", chat_file)
