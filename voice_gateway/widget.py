"""What the chat widget and the kiosk need from the gateway besides ``POST /api/chat``.

- ``GET /widget/muni-widget.js`` and ``/widget/muni-widget.css``: the widget (one script tag on any page);
  ``/widget/muni-mic.js``: the microphone capture that the widget and the ``/ring`` page share.
- ``GET /kiosk``: the town-hall kiosk page, served with a strict Content-Security-Policy.
- ``GET /api/widget-config``: whether read-aloud and the microphone are available (voice on).
- ``POST /api/session``: a new conversation id and its token (``voice_gateway.chat_session``), for a
  conversation that starts with the microphone instead of ``/api/chat``.
- ``POST /api/tts``: an answer read aloud (WAV) by the gateway's own text-to-speech; only inside a
  conversation the caller holds (``sender`` + ``token``).
- ``POST /api/rating``: "Fik du svar på dit spørgsmål?" stored in the conversation (Rasa slot events
  ``citizen_rating`` / ``citizen_rating_comment`` via the token-protected HTTP API), for the staff console;
  only for the conversation the caller holds (``sender`` + ``token``).
- Every ``POST`` takes a JSON body (``Content-Type: application/json``), read by ``voice_gateway.json_body``.
- CORS for ``/api/*`` so that municipality web sites on other origins can use the widget
  (allowed origins configurable; no cookies or credentials are involved).
"""

from __future__ import annotations

import io
import logging
import wave

import aiohttp
from aiohttp import web

from voice_gateway.chat_session import checked_sender, issue_session
from voice_gateway.json_body import read_json
from voice_gateway.keys import RASA_SESSION, SETTINGS
from voice_gateway.paths import STATIC_DIR, WIDGET_DIR
from voice_gateway.webchat import error_response

logger = logging.getLogger(__name__)

WIDGET_FILES = {
    "muni-widget.js": "application/javascript",
    "muni-widget.css": "text/css",
    "muni-mic.js": "application/javascript",
}
MAX_TTS_CHARS = 1000
MAX_COMMENT_CHARS = 500
RATINGS = ("yes", "no")
KIOSK_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; "
    "media-src blob:; img-src 'self' data:; worker-src blob:; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)


@web.middleware
async def cors(request: web.Request, handler):
    """CORS for the widget's API calls from the municipality's own web site."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    origin = request.headers.get("Origin")
    allowed = request.app[SETTINGS].widget_origins
    allow = "*" if "*" in allowed else (origin if origin in allowed else None)
    if request.method == "OPTIONS":
        response: web.StreamResponse = web.Response(status=204)
    else:
        response = await handler(request)
    if allow:
        response.headers["Access-Control-Allow-Origin"] = allow
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
        if allow != "*":
            response.headers["Vary"] = "Origin"
    return response


async def widget_file(request: web.Request) -> web.StreamResponse:
    """The widget's script or stylesheet (cacheable for an hour)."""
    name = request.match_info["name"]
    if name not in WIDGET_FILES or not (WIDGET_DIR / name).exists():
        raise web.HTTPNotFound()
    response = web.FileResponse(WIDGET_DIR / name, headers={"Cache-Control": "public, max-age=3600"})
    response.content_type = WIDGET_FILES[name]
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


async def kiosk_page(request: web.Request) -> web.FileResponse:
    """The kiosk page: the widget in kiosk mode, full screen, under a strict CSP."""
    return web.FileResponse(
        STATIC_DIR / "kiosk.html",
        headers={
            "Content-Security-Policy": KIOSK_CSP,
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


def _voice_services(app: web.Application):
    from voice_gateway.channels.common import VOICE_SERVICES

    return app.get(VOICE_SERVICES)


async def widget_config(request: web.Request) -> web.Response:
    """What the widget may offer on this gateway."""
    return web.json_response({"voice": _voice_services(request.app) is not None})


async def text_to_speech(request: web.Request) -> web.Response:
    """Read a text aloud with the gateway's voice: ``{"sender", "token", "text"}`` -> audio/wav."""
    body = await read_json(request, max_bytes=16 * 1024)
    if isinstance(body, web.Response):
        return body
    held = checked_sender(request, body)
    if isinstance(held, web.Response):
        return held
    services = _voice_services(request.app)
    if services is None:
        return error_response(503, "Oplæsning er ikke slået til på denne server.")
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        return error_response(400, "'text' skal være en ikke-tom tekst.")
    if len(text) > MAX_TTS_CHARS:
        return error_response(413, f"Teksten er for lang til oplæsning (højst {MAX_TTS_CHARS} tegn).")
    from voice_gateway.phone_text import speak_text

    chunks = []
    rate = services.tts.sample_rate
    try:
        async for chunk in services.tts.synthesize(speak_text(text)):
            chunks.append(chunk.pcm)
            rate = chunk.sample_rate
    except Exception:
        logger.exception("read-aloud failed")
        return error_response(503, "Oplæsningen mislykkedes. Prøv igen.")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"".join(chunks))
    return web.Response(body=buffer.getvalue(), content_type="audio/wav", headers={"Cache-Control": "no-store"})


async def rating(request: web.Request) -> web.Response:
    """Store the citizen's answer to "Fik du svar på dit spørgsmål?" in the conversation."""
    settings = request.app[SETTINGS]
    body = await read_json(request, max_bytes=8 * 1024)
    if isinstance(body, web.Response):
        return body
    sender = checked_sender(request, body)
    if isinstance(sender, web.Response):
        return sender
    value, comment = body.get("rating"), body.get("comment", "")
    if value not in RATINGS:
        return error_response(400, "'rating' skal være 'yes' eller 'no'.")
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT_CHARS:
        return error_response(400, f"'comment' skal være tekst på højst {MAX_COMMENT_CHARS} tegn.")
    events = [{"event": "slot", "name": "citizen_rating", "value": value}]
    if comment.strip():
        events.append({"event": "slot", "name": "citizen_rating_comment", "value": comment.strip()})
    url = f"{settings.rasa_url}/conversations/{sender}/tracker/events"
    try:
        async with request.app[RASA_SESSION].post(
            url,
            params={"token": settings.rasa_token, "include_events": "NONE"},
            json=events,
            timeout=aiohttp.ClientTimeout(total=settings.rasa_timeout_s),
        ) as response:
            if response.status >= 400:
                logger.error("storing a rating failed: Rasa answered HTTP %d", response.status)
                return error_response(503, "Bedømmelsen kunne ikke gemmes lige nu. Tak alligevel!")
    except (TimeoutError, aiohttp.ClientError) as error:
        logger.error("storing a rating failed: %s", error)
        return error_response(503, "Bedømmelsen kunne ikke gemmes lige nu. Tak alligevel!")
    return web.Response(status=204)


def setup_widget(app: web.Application) -> None:
    """Add the widget's routes."""
    app.router.add_get("/widget/{name}", widget_file)
    app.router.add_get("/kiosk", kiosk_page)
    app.router.add_get("/api/widget-config", widget_config)
    app.router.add_post("/api/session", issue_session)
    app.router.add_post("/api/tts", text_to_speech)
    app.router.add_post("/api/rating", rating)
    app.router.add_route("OPTIONS", "/api/{tail:.*}", _preflight)


async def _preflight(request: web.Request) -> web.Response:
    """Answered by the CORS middleware; this only gives OPTIONS a route."""
    return web.Response(status=204)
