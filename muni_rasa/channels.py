"""Rasa's REST channel, hardened against malformed requests.

Keeps the name ``rest`` and so the URL ``/webhooks/rest/webhook`` and the
response format of Rasa's own channel. Differences:

* a body that is not a JSON object, or a ``sender``/``message``/``metadata``
  of the wrong type, gets HTTP 400 with a clear error instead of a 500;
* control characters are removed and very long messages are cut to
  ``MUNI_MAX_MESSAGE_CHARS`` (default 2000) characters;
* an empty message is answered directly, without running the NLU;
* message texts are never written to the log (they may hold personal data);
* an optional ``input_channel`` (``web``, ``kiosk``, ``phone``) names the channel;
* a message with a CPR number is answered with a short notice first (:data:`CPR_NOTICE`).
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from muni_core.redaction import CPR_PLACEHOLDER, redact_text

DEFAULT_MAX_MESSAGE_CHARS = 2000
MAX_SENDER_CHARS = 128
EMPTY_MESSAGE_REPLY = "Jeg fik ikke nogen tekst. Skriv dit spørgsmål, fx 'Hvordan fornyer jeg mit pas?'"
FAILURE_REPLY = "Beklager, der skete en fejl hos mig. Prøv igen om lidt, eller bed om at tale med en medarbejder."
CPR_NOTICE = (
    "Du behøver ikke at oplyse dit CPR-nummer her. Jeg har ikke brug for det, og det bliver ikke gemt i samtalen."
)
_SENDER_PATTERN = re.compile(r"^[\w.:@+-]+$")
_CHANNEL_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
logger = logging.getLogger(__name__)


def clean_text(text: str, max_chars: int) -> str:
    """Remove control and invisible format characters (newlines and tabs become spaces) and cap the length."""
    kept = []
    for char in text:
        if char in "\n\r\t":
            kept.append(" ")
        elif unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn"):
            kept.append(char)
    return "".join(kept).strip()[:max_chars]


def privacy_notice(text: str) -> str | None:
    """The notice to give first when a citizen wrote (or said) a CPR number; None otherwise.

    The number itself is redacted before the conversation is stored (muni_rasa/tracker_store.py);
    the notice tells the citizen so, and that the assistant never needs it.
    """
    if CPR_PLACEHOLDER not in text and CPR_PLACEHOLDER in redact_text(text):
        return CPR_NOTICE
    return None


def validate_body(body: Any) -> tuple[str | None, dict[str, Any] | None]:
    """Check the request body; return (error message, cleaned fields)."""
    if not isinstance(body, dict):
        return "Request body must be a JSON object with 'sender' and 'message'.", None
    sender = body.get("sender", "default")
    message = body.get("message", "")
    metadata = body.get("metadata")
    if not isinstance(sender, str) or not sender or len(sender) > MAX_SENDER_CHARS:
        return f"'sender' must be a non-empty string of at most {MAX_SENDER_CHARS} characters.", None
    if not _SENDER_PATTERN.match(sender):
        return "'sender' may only contain letters, digits and . : @ + - _", None
    if message is None:
        message = ""
    if not isinstance(message, str):
        return "'message' must be a string.", None
    if metadata is not None and not isinstance(metadata, dict):
        return "'metadata' must be a JSON object.", None
    input_channel = body.get("input_channel") or "rest"
    if not isinstance(input_channel, str) or not _CHANNEL_PATTERN.match(input_channel):
        return "'input_channel' must be a short lower-case name such as 'web' or 'phone'.", None
    fields = {"sender": sender, "message": message, "metadata": metadata, "input_channel": input_channel}
    return None, fields


class MuniRestInput(RestInput):
    """REST channel with input validation; same name, URL and replies as Rasa's."""

    @classmethod
    def name(cls) -> str:
        """Keep Rasa's channel name so the URL stays /webhooks/rest/webhook."""
        return "rest"

    def __init__(self, max_message_chars: int | None = None) -> None:
        """Read the message length cap from the argument or MUNI_MAX_MESSAGE_CHARS."""
        super().__init__()
        configured = max_message_chars or os.environ.get("MUNI_MAX_MESSAGE_CHARS")
        self.max_message_chars = int(configured or DEFAULT_MAX_MESSAGE_CHARS)

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> MuniRestInput:
        """Build from credentials.yml (optional key ``max_message_chars``)."""
        return cls((credentials or {}).get("max_message_chars"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Endpoints ``GET /`` (health) and ``POST /webhook`` (one message, replies as JSON)."""
        webhook = Blueprint("muni_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:  # noqa: ARG001 - sanic passes the request
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:  # noqa: BLE001 - sanic raises several types for bad JSON
                body = None
            error, fields = validate_body(body)
            if error or fields is None:
                return response.json({"error": error}, status=400)
            sender = fields["sender"]
            text = clean_text(fields["message"], self.max_message_chars)
            if not text:
                return response.json([{"recipient_id": sender, "text": EMPTY_MESSAGE_REPLY}])
            collector = CollectingOutputChannel()
            message = UserMessage(
                text, collector, sender, input_channel=fields["input_channel"], metadata=fields["metadata"]
            )
            try:
                await on_new_message(message)
            except CancelledError:
                logger.error("REST message of conversation %s timed out", sender)
            except Exception:
                logger.exception("REST message of conversation %s failed", sender)
                collector.messages.append({"recipient_id": sender, "text": FAILURE_REPLY})
            notice = privacy_notice(text)
            if notice:
                collector.messages.insert(0, {"recipient_id": sender, "text": notice})
            return response.json(collector.messages)

        return webhook
