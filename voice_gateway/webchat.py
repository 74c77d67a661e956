"""Web chat endpoint: ``POST /api/chat`` for the widget and kiosk.

Request:  ``{"sender": "<id, optional>", "message": "<text>", "municipality": "<id, optional>"}``
Response: ``{"sender": "<id>", "messages": [{"text": ..., "buttons": [...]}], "handoff": {...} | null}``
Errors are JSON ``{"error": "<Danish text>"}`` with status 400, 413 or 503; never a 500.
"""

from __future__ import annotations

import json
import logging
import re
import uuid

from aiohttp import web

from voice_gateway.keys import RASA_SESSION, SETTINGS
from voice_gateway.rasa_client import RasaUnavailable, client_address_for, send_message

logger = logging.getLogger(__name__)
SENDER_PATTERN = re.compile(r"^[A-Za-z0-9_.:@+-]{1,128}$")
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
    try:
        body = await request.json(loads=json.loads)
    except web.HTTPRequestEntityTooLarge:
        return error_response(413, "Beskeden er for stor.")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return error_response(400, "Forespørgslen skal være JSON.")
    if not isinstance(body, dict):
        return error_response(400, "Forespørgslen skal være et JSON-objekt med 'message'.")
    message = body.get("message", "")
    if not isinstance(message, str):
        return error_response(400, "'message' skal være tekst.")
    sender = body.get("sender") or uuid.uuid4().hex
    if not isinstance(sender, str) or not SENDER_PATTERN.match(sender):
        return error_response(400, "'sender' må kun indeholde bogstaver, tal og . : @ + - _ (højst 128 tegn).")
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
            {"sender": sender, "messages": [{"text": RASA_DOWN_TEXT}], "handoff": None, "error": "rasa_unavailable"},
            status=503,
        )
    return web.json_response({"sender": sender, "messages": reply.messages, "handoff": reply.handoff})
