"""Web chat endpoint: ``POST /api/chat`` for the chat page, the widget and the kiosk.

Request:  ``{"message": "<text>", "municipality": "<id, optional>"}`` starts a conversation; later messages
add the ``"sender"`` and ``"token"`` the first answer gave (``voice_gateway.chat_session``).
Response: ``{"sender": "<id>", "token": "<token>", "messages": [{"text": ..., "buttons": [...]}],
"handoff": {...} | null}``.
The body must be sent as ``Content-Type: application/json`` (``voice_gateway.json_body``). Errors are JSON
``{"error": "<Danish text>"}`` with status 400, 403 (a conversation the caller does not hold, with
``"error_code": "session"``), 413, 415 or 503; never a 500.
"""

from __future__ import annotations

import logging
import re

from aiohttp import web

from voice_gateway.chat_session import WIDGET_SECRET, checked_sender, new_session, token_for
from voice_gateway.json_body import read_json
from voice_gateway.keys import RASA_SESSION, SETTINGS
from voice_gateway.rasa_client import RasaUnavailable, client_address_for, send_message

logger = logging.getLogger(__name__)
MUNICIPALITY_PATTERN = re.compile(r"^[a-z0-9_-]{1,64}$")
INPUT_CHANNELS = ("web", "kiosk")
RASA_DOWN_TEXT = (
    "Beklager, den digitale assistent er ikke tilgængelig lige nu. Prøv igen om lidt, "
    "eller kontakt Borgerservice på telefon."
)


def error_response(status: int, text: str) -> web.Response:
    """A JSON error with a Danish message."""
    return web.json_response({"error": text}, status=status)


async def handle_chat(request: web.Request) -> web.Response:
    """Forward one citizen message to Rasa with the municipality as metadata."""
    settings = request.app[SETTINGS]
    body = await read_json(request)
    if isinstance(body, web.Response):
        return body
    message = body.get("message", "")
    if not isinstance(message, str):
        return error_response(400, "'message' skal være tekst.")
    if body.get("sender") is None or body.get("sender") == "":
        sender, token = new_session(request.app[WIDGET_SECRET])  # a new conversation
    else:
        held = checked_sender(request, body)
        if isinstance(held, web.Response):
            return held
        sender, token = held, token_for(request.app[WIDGET_SECRET], held)
    municipality = body.get("municipality") or settings.default_municipality or None
    if municipality is not None and (not isinstance(municipality, str) or not MUNICIPALITY_PATTERN.match(municipality)):
        return error_response(400, "'municipality' skal være et kommune-id som 'frederikshavn'.")
    channel = body.get("channel", "web")
    if channel not in INPUT_CHANNELS:
        return error_response(400, f"'channel' skal være en af: {', '.join(INPUT_CHANNELS)}.")
    text = message[: settings.max_message_chars]
    try:
        reply = await send_message(
            request.app[RASA_SESSION],
            settings.rasa_url,
            sender,
            text,
            municipality=municipality,
            input_channel=channel,
            timeout_s=settings.rasa_timeout_s,
            gateway_token=settings.rasa_token,
            client_address=client_address_for(request, settings.rasa_token, settings.trusted_proxies),
        )
    except RasaUnavailable as error:
        logger.error("Rasa unavailable for conversation %s: %s", sender, error)
        return web.json_response(
            {
                "sender": sender,
                "token": token,
                "messages": [{"text": RASA_DOWN_TEXT}],
                "handoff": None,
                "error": "rasa_unavailable",
            },
            status=503,
        )
    return web.json_response(
        {"sender": sender, "token": token, "messages": reply.messages, "handoff": reply.handoff},
        headers={"Cache-Control": "no-store"},
    )
