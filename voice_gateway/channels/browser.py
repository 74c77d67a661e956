"""Browser voice: talk to the assistant from a web page (``GET /voice/browser``, WebSocket; page at ``/ring``).

Client -> server:

* binary: caller audio, PCM16 little-endian mono at 16 kHz (at most 64 KB per message, even length);
* ``{"type": "start", "municipality"?: "<id>", "conversation_id"?: "web-...", "token"?: "..."}`` starts the call
  (a chat that continues by voice names its conversation with the session token ``/api/chat`` gave it; a
  wrong or missing token ends the socket with an error, nothing reaches that conversation) (audio
  before ``start`` starts it with the defaults);
* ``{"type": "dtmf", "digit": "1"}`` a keypad digit (0-9, * and #);
* ``{"type": "mark", "name": "..."}`` playback reached a mark the server sent;
* ``{"type": "stop"}`` the caller hung up.

Server -> client:

* binary: the assistant's audio, PCM16 little-endian mono at 16 kHz;
* ``{"type": "ready", "conversation_id": ...}``, ``{"type": "transcript", "text": ...}`` (what was
  heard), ``{"type": "reply", "text": ..., "messages": [...]}`` (what is answered), ``{"type": "clear"}``
  (stop playback at once: barge-in), ``{"type": "mark", "name": ...}`` (echo it back once the audio
  before it has played), ``{"type": "transfer", "transfer": {...}}``, ``{"type": "hangup"}`` and
  ``{"type": "error", "message": "<Danish text>"}``.

The municipality is the ``municipality`` of ``start``, else the ``municipality`` query parameter,
else the gateway's default. The conversation id is ``web-`` plus a random id; a client may give its
own (to continue a conversation), but only in that form, so it can never join a phone call's conversation.
The browser needs no telephony token (the page is the gateway's own, same origin), and for the same
reason it is not a phone line: its calls never carry a caller's number. The citizen's address goes to
Rasa only as a keyed hash (``rasa_client.client_address_for``).
Malformed messages get an ``error`` event and the call goes on. The handler decodes the messages
into the shared events (``channels.events``) and feeds them to the call driver (``channels.driver``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import re
import secrets
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from voice_gateway.channels.driver import CallDriver
from voice_gateway.channels.events import Audio, Dtmf, Mark, ProtocolError, Start, Stop, Text
from voice_gateway.chat_session import WIDGET_SECRET, session_error
from voice_gateway.dtmf import DTMF_KEYS
from voice_gateway.keys import SETTINGS
from voice_gateway.paths import STATIC_DIR
from voice_gateway.rasa_client import client_address_for
from voice_gateway.webchat import MUNICIPALITY_PATTERN, error_response

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
MAX_MESSAGE_BYTES = 64 * 1024
MAX_TEXT_CHARS = 2000
CONVERSATION_PATTERN = re.compile(r"^web-[A-Za-z0-9_-]{16,64}$")
VOICE_PAGE = STATIC_DIR / "voice.html"

MUNICIPALITY_ERROR = "'municipality' skal være et kommune-id som 'frederikshavn'."
NOT_JSON_ERROR = "Beskeden kunne ikke forstås (forventede JSON)."


@dataclass(frozen=True)
class BrowserStart(Start):
    """The page's ``start``: a chat that switches to the microphone names its conversation and proves it holds it."""

    token: str | None = None
    """The conversation's session token from ``/api/chat`` or ``/api/session`` (``voice_gateway.chat_session``)."""


ClientMessage = BrowserStart | Dtmf | Text | Mark | Stop


def new_conversation_id() -> str:
    """A fresh, unguessable conversation id for a browser call."""
    return "web-" + secrets.token_urlsafe(16)


def valid_municipality(value: Any) -> str | None:
    """The municipality id if given and well-formed; ``ProtocolError`` if malformed; None if absent."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not MUNICIPALITY_PATTERN.match(value):
        raise ProtocolError(MUNICIPALITY_ERROR)
    return value


def parse_client_message(raw: str) -> ClientMessage:
    """Parse one text message from the page; ``ProtocolError`` carries a Danish explanation."""
    try:
        message = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ProtocolError(NOT_JSON_ERROR) from error
    if not isinstance(message, dict):
        raise ProtocolError("Beskeden skal være et JSON-objekt med 'type'.")
    kind = message.get("type")
    if kind == "start":
        conversation_id = message.get("conversation_id")
        if conversation_id is not None and (
            not isinstance(conversation_id, str) or not CONVERSATION_PATTERN.match(conversation_id)
        ):
            raise ProtocolError("'conversation_id' skal have formen 'web-' efterfulgt af 16-64 bogstaver og tal.")
        token = message.get("token")
        return BrowserStart(
            municipality=valid_municipality(message.get("municipality")),
            conversation_id=conversation_id,
            token=token if isinstance(token, str) else None,
        )
    if kind == "dtmf":
        digit = message.get("digit")
        if not isinstance(digit, str) or digit not in DTMF_KEYS:
            raise ProtocolError("'digit' skal være et af tegnene 0-9, * eller #.")
        return Dtmf(digit)
    if kind == "text":
        text = message.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ProtocolError("'text' skal være en tekst.")
        return Text(text.strip()[:MAX_TEXT_CHARS])
    if kind == "mark":
        name = message.get("name")
        if not isinstance(name, str) or not name or len(name) > 128:
            raise ProtocolError("'name' skal være navnet på et mærke fra serveren.")
        return Mark(name)
    if kind == "stop":
        return Stop()
    raise ProtocolError("Ukendt beskedtype.")


def check_audio(data: bytes) -> bytes:
    """Caller audio as sent (PCM16 16 kHz); ``ProtocolError`` if it cannot be PCM16."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise ProtocolError("Lydbeskeden er for stor (højst 64 KB).")
    if len(data) % 2:
        raise ProtocolError("Lyden skal være 16-bit PCM (et lige antal bytes); stykket blev sprunget over.")
    return data


class BrowserTransport:
    """Sends a call's audio and events to the page over the WebSocket."""

    channel = "browser"
    sample_rate = SAMPLE_RATE

    def __init__(self, ws: web.WebSocketResponse) -> None:
        """A transport over the call's WebSocket."""
        self.ws = ws
        self._lock = asyncio.Lock()

    async def _send(self, data: bytes | dict[str, Any]) -> None:
        if self.ws.closed:
            return
        try:
            async with self._lock:
                if isinstance(data, bytes):
                    await self.ws.send_bytes(data)
                else:
                    await self.ws.send_json(data)
        except (ConnectionError, RuntimeError) as error:
            logger.debug("browser voice: could not send (%s); the page has gone", error)

    async def send_audio(self, pcm: bytes) -> None:
        """Send PCM16 16 kHz as a binary message."""
        if pcm:
            await self._send(pcm)

    async def send_mark(self, name: str) -> None:
        """Ask the page to echo ``name`` once the audio before it has played."""
        await self._send({"type": "mark", "name": name})

    async def clear_audio(self) -> None:
        """Tell the page to stop playback at once."""
        await self._send({"type": "clear"})

    async def transfer(self, instruction: dict[str, Any]) -> None:
        """Tell the page the conversation goes to a person (it shows how; the call itself stays open)."""
        await self._send({"type": "transfer", "transfer": instruction})

    async def hangup(self) -> None:
        """Tell the page the call ended and close the socket."""
        await self._send({"type": "hangup"})
        if not self.ws.closed:
            await self.ws.close()

    async def notify(self, event: dict[str, Any]) -> None:
        """Show the caller what was heard and answered."""
        await self._send(event)


async def handle_browser_voice(request: web.Request) -> web.StreamResponse:
    """One browser voice call over the WebSocket."""
    try:
        query_municipality = valid_municipality(request.query.get("municipality"))
    except ProtocolError:
        return error_response(400, MUNICIPALITY_ERROR)
    settings = request.app[SETTINGS]
    client_address = client_address_for(request, settings.rasa_token, settings.trusted_proxies)
    ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE_BYTES, heartbeat=30)
    await ws.prepare(request)
    transport = BrowserTransport(ws)
    driver = CallDriver(
        request.app, channel="browser", sample_rate=SAMPLE_RATE, label="browser voice", transport=transport
    )

    async def start(message: Start) -> bool:
        # A chat that switches to the microphone keeps its conversation: no phone greeting in the middle of it.
        continues = message.conversation_id is not None
        if continues:
            token = message.token if isinstance(message, BrowserStart) else None
            refused = session_error(request.app[WIDGET_SECRET], message.conversation_id, token)
            if refused is not None:
                await driver.protocol_error(ProtocolError(refused[1]), fatal="session")
                await transport.notify({"type": "error", "message": refused[1]})
                await transport.hangup()
                return False
        message = replace(
            message,
            conversation_id=message.conversation_id or new_conversation_id(),
            municipality=message.municipality or query_municipality,
            caller=None,  # a browser is not a phone line: it never has a caller's number
            client_address=client_address,
        )
        if await driver.start(message, greet=not continues):
            return True
        await transport.hangup()
        return False

    try:
        async for message in ws:
            if message.type == WSMsgType.ERROR:
                logger.warning("browser voice: WebSocket error: %s", ws.exception())
                driver.reason = "error"
                break
            if message.type == WSMsgType.BINARY:
                try:
                    pcm = check_audio(message.data)
                except ProtocolError as error:
                    if not await driver.protocol_error(error):
                        break
                    continue
                if not driver.started and not await start(Start()):
                    break
                await driver.feed(Audio(pcm))
                continue
            if message.type != WSMsgType.TEXT:
                continue
            try:
                event = parse_client_message(message.data)
            except ProtocolError as error:
                if not await driver.protocol_error(error):
                    break
                continue
            if isinstance(event, BrowserStart):
                if not await start(event):
                    break
            elif not await driver.feed(event):
                break
            if driver.ended:
                driver.reason = "ended"
                break
    except Exception:  # a broken call must not take the gateway down
        logger.exception("browser voice: call failed")
        driver.failed()
    finally:
        try:
            await driver.close("disconnected")
        finally:
            if not ws.closed:
                with contextlib.suppress(Exception):
                    await ws.close()
    return ws


@lru_cache(maxsize=4)
def _page(path: Path, mtime_ns: int) -> tuple[bytes, str]:
    """The page's bytes and a Content-Security-Policy allowing exactly its inline script and style.

    Scripts from the gateway itself are allowed too: the shared microphone capture (``/widget/muni-mic.js``),
    also loaded as the AudioWorklet module.
    """
    html = path.read_bytes()
    text = html.decode("utf-8")

    def hashes(tag: str) -> str:
        found = re.findall(rf"<{tag}>(.*?)</{tag}>", text, flags=re.DOTALL)
        return " ".join(
            "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"
            for body in found
        )

    del mtime_ns  # part of the cache key only: an edited page gets fresh hashes
    policy = (
        "default-src 'none'; "
        f"script-src {hashes('script')} 'self'; "
        f"style-src {hashes('style')}; "
        "connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return html, policy


async def voice_page(request: web.Request) -> web.Response:
    """The "Ring til kommunen fra din computer" page (its script and style inline, pinned by a strict CSP)."""
    html, policy = _page(VOICE_PAGE, VOICE_PAGE.stat().st_mtime_ns)
    return web.Response(
        body=html,
        content_type="text/html",
        charset="utf-8",
        headers={
            "Content-Security-Policy": policy,
            "Permissions-Policy": "microphone=(self)",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
        },
    )
