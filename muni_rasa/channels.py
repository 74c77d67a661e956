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
* a message with a CPR number is answered with a short notice first (:data:`CPR_NOTICE`);
* only ``Content-Type: application/json`` is taken (HTTP 415 otherwise, so a web page cannot post
  into the channel blind with a simple form or ``text/plain`` request), bodies of at most
  :data:`MAX_BODY_BYTES` and JSON nested at most :data:`MAX_JSON_DEPTH` deep;
* a ``sender`` is required and may not be ``.``, ``..`` (or only dots) or Rasa's shared ``default``;
* trust: the metadata ``caller`` (the phone number a call comes from) and ``client_address`` (the
  citizen's hashed network address) and an ``input_channel`` other than ``web`` are taken only from
  the gateway, which proves itself with the header ``X-Muni-Gateway`` (the secret ``MUNI_RASA_TOKEN``
  / ``var/rasa_token`` it shares with Rasa, compared in constant time). Without it they are dropped,
  the channel is ``web`` and ``client_address`` is the request's own address, hashed
  (:func:`muni_core.channel_trust.client_address_id`). A phone number typed in a chat is text, never ``caller``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import unicodedata
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from muni_core.channel_trust import CLIENT_ADDRESS_PREFIX, GATEWAY_HEADER, client_address_id, same_secret
from muni_core.paths import VAR_DIR
from muni_core.redaction import CPR_PLACEHOLDER, redact_text

DEFAULT_MAX_MESSAGE_CHARS = 2000
MAX_SENDER_CHARS = 128
MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 8
RESERVED_SENDERS = frozenset({"default"})
"""Rasa's shared conversation id (a request without a sender would land in it)."""
TRUSTED_CHANNELS_ONLY = ("caller", "client_address")
"""Metadata keys taken only from the gateway (see the module docstring)."""
UNTRUSTED_CHANNEL = "web"
NOT_JSON_ERROR = "Forespørgslen skal sendes som JSON (Content-Type: application/json)."
TOO_LARGE_ERROR = f"Forespørgslen er for stor (højst {MAX_BODY_BYTES // 1024} KB)."
TOO_DEEP_ERROR = f"JSON-dokumentet er for dybt indlejret (højst {MAX_JSON_DEPTH} niveauer)."
BAD_JSON_ERROR = "Forespørgslen er ikke gyldig JSON."
EMPTY_MESSAGE_REPLY = "Jeg fik ikke nogen tekst. Skriv dit spørgsmål, fx 'Hvordan fornyer jeg mit pas?'"
FAILURE_REPLY = "Beklager, der skete en fejl hos mig. Prøv igen om lidt, eller bed om at tale med en medarbejder."
CPR_NOTICE = (
    "Du behøver ikke at oplyse dit CPR-nummer her. Jeg har ikke brug for det, og det bliver ikke gemt i samtalen."
)
_SENDER_PATTERN = re.compile(r"^[\w.:@+-]+$")
_CHANNEL_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_CALLER_PATTERN = re.compile(r"^\+?[0-9]{3,20}$")
_CLIENT_ADDRESS_PATTERN = re.compile(rf"^{CLIENT_ADDRESS_PREFIX}[0-9a-f]{{32}}$")
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


def json_depth(raw: bytes) -> int:
    """How deeply the arrays and objects of a JSON text nest (strings are skipped; no parsing)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def is_json_content_type(value: str | None) -> bool:
    """True for ``application/json`` (with or without parameters such as ``charset``)."""
    return bool(value) and value.split(";", 1)[0].strip().lower() == "application/json"


def parse_request_body(content_type: str | None, raw: bytes) -> tuple[int, str | None, Any]:
    """Check the media type, size and nesting of a request body and parse it: (HTTP status, error, body)."""
    if not is_json_content_type(content_type):
        return 415, NOT_JSON_ERROR, None
    if len(raw) > MAX_BODY_BYTES:
        return 413, TOO_LARGE_ERROR, None
    if json_depth(raw) > MAX_JSON_DEPTH:
        return 400, TOO_DEEP_ERROR, None
    try:
        return 200, None, json.loads(raw)
    except (ValueError, RecursionError):
        return 400, BAD_JSON_ERROR, None


def validate_body(body: Any) -> tuple[str | None, dict[str, Any] | None]:
    """Check the request body; return (error message in Danish, cleaned fields)."""
    if not isinstance(body, dict):
        return "Forespørgslen skal være et JSON-objekt med 'sender' og 'message'.", None
    sender = body.get("sender")
    message = body.get("message", "")
    metadata = body.get("metadata")
    if not isinstance(sender, str) or not sender or len(sender) > MAX_SENDER_CHARS:
        return f"'sender' skal være en tekst på 1-{MAX_SENDER_CHARS} tegn (samtalens id).", None
    if not _SENDER_PATTERN.match(sender):
        return "'sender' må kun indeholde bogstaver, tal og . : @ + - _", None
    if sender.lower() in RESERVED_SENDERS or not sender.strip("."):
        return f"'sender' må ikke være '{sender}'; brug et id for netop denne samtale.", None
    if message is None:
        message = ""
    if not isinstance(message, str):
        return "'message' skal være en tekst.", None
    if metadata is not None and not isinstance(metadata, dict):
        return "'metadata' skal være et JSON-objekt.", None
    input_channel = body.get("input_channel") or "rest"
    if not isinstance(input_channel, str) or not _CHANNEL_PATTERN.match(input_channel):
        return "'input_channel' skal være et kort navn med små bogstaver som 'web' eller 'phone'.", None
    fields = {"sender": sender, "message": message, "metadata": metadata, "input_channel": input_channel}
    return None, fields


def trusted_fields(
    fields: dict[str, Any], *, from_gateway: bool, remote_address: str | None, address_key: str
) -> tuple[str, dict[str, Any] | None]:
    """The channel and metadata to use: what only the gateway may say is dropped for anyone else.

    From the gateway: ``caller`` is kept on a ``phone`` message when it looks like a number, and
    ``client_address`` when it is a hash the gateway made. From anyone else: both are dropped, the
    channel is ``web`` and ``client_address`` is the hash of ``remote_address``.
    """
    metadata = dict(fields["metadata"] or {})
    channel = fields["input_channel"]
    caller = metadata.pop("caller", None)
    address = metadata.pop("client_address", None)
    if from_gateway:
        if channel == "phone" and isinstance(caller, str) and _CALLER_PATTERN.match(caller):
            metadata["caller"] = caller
        if isinstance(address, str) and _CLIENT_ADDRESS_PATTERN.match(address):
            metadata["client_address"] = address
    else:
        channel = UNTRUSTED_CHANNEL
        own = client_address_id(address_key, remote_address)
        if own:
            metadata["client_address"] = own
    return channel, metadata or None


def gateway_secret() -> str:
    """The secret the gateway proves itself with: ``MUNI_RASA_TOKEN``, else ``var/rasa_token``; "" if none."""
    configured = os.environ.get("MUNI_RASA_TOKEN", "").strip()
    if configured:
        return configured
    stored = VAR_DIR / "rasa_token"
    try:
        return stored.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


class MuniRestInput(RestInput):
    """REST channel with input validation; same name, URL and replies as Rasa's."""

    @classmethod
    def name(cls) -> str:
        """Keep Rasa's channel name so the URL stays /webhooks/rest/webhook."""
        return "rest"

    def __init__(self, max_message_chars: int | None = None, gateway_token: str | None = None) -> None:
        """Read the message length cap (argument or MUNI_MAX_MESSAGE_CHARS) and the gateway's secret."""
        super().__init__()
        configured = max_message_chars or os.environ.get("MUNI_MAX_MESSAGE_CHARS")
        self.max_message_chars = int(configured or DEFAULT_MAX_MESSAGE_CHARS)
        self.gateway_token = gateway_secret() if gateway_token is None else gateway_token
        if not self.gateway_token:
            logger.warning("no MUNI_RASA_TOKEN or var/rasa_token: no request is trusted as coming from the gateway")
        # Addresses are hashed with the shared secret (the gateway does the same); without one, a per-process key.
        self.address_key = self.gateway_token or secrets.token_urlsafe(32)

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
            status, error, body = parse_request_body(request.headers.get("content-type"), request.body or b"")
            if error:
                return response.json({"error": error}, status=status)
            error, fields = validate_body(body)
            if error or fields is None:
                return response.json({"error": error}, status=400)
            from_gateway = same_secret(self.gateway_token, request.headers.get(GATEWAY_HEADER))
            channel, metadata = trusted_fields(
                fields, from_gateway=from_gateway, remote_address=request.ip, address_key=self.address_key
            )
            sender = fields["sender"]
            text = clean_text(fields["message"], self.max_message_chars)
            if not text:
                return response.json([{"recipient_id": sender, "text": EMPTY_MESSAGE_REPLY}])
            collector = CollectingOutputChannel()
            message = UserMessage(text, collector, sender, input_channel=channel, metadata=metadata)
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
