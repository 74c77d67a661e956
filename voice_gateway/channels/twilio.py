"""Telephony media stream in the Twilio Media Streams format (``GET /voice/twilio``, WebSocket).

Inbound events: ``connected``, ``start`` (``streamSid``, ``callSid``, ``customParameters`` with
``from``/``to``, ``mediaFormat`` audio/x-mulaw 8000 Hz mono), ``media`` (base64 mu-law), ``dtmf``,
``mark``, ``stop``. Outbound: ``media``, ``mark``, ``clear`` and, for a handoff, the Muni extension
``transfer`` (documented in docs/voice.md). The conversation id is the ``callSid``; the dialled number
(``to``) picks the municipality.

Trust: the ``start`` must carry ``customParameters.token``, signed for its ``callSid``, ``from`` and
``to`` with the telephony secret (``channels.stream_token``); a missing, forged, expired or reused
token closes the socket (code 1008) before any call or conversation exists, and so does a socket that
sends no ``start`` within ``voice.start_timeout_s``. Only an admitted stream's ``from`` becomes the
caller's number.

All parsing and building of messages lives in ``parse_event`` and the ``*_message`` functions
(round-trip tested); the handler only feeds the decoded events to the call driver (``channels.driver``).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aiohttp import WSMsgType, web

from voice_gateway.channels import events
from voice_gateway.channels.common import STREAM_AUTH
from voice_gateway.channels.driver import CallDriver
from voice_gateway.channels.events import Audio, Dtmf, Mark, ProtocolError, Stop
from voice_gateway.dtmf import DTMF_KEYS
from voice_gateway.speech.audio import mulaw_decode, mulaw_encode

logger = logging.getLogger(__name__)

SAMPLE_RATE = 8000
MAX_MESSAGE_BYTES = 64 * 1024
MAX_MEDIA_BYTES = 16_000  # 2 s of mu-law in one frame is already far more than any platform sends
CALL_SID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
POLICY_VIOLATION = 1008
"""WebSocket close code for a stream that is refused (no valid token, no start in time)."""
REFUSED_REASON = b"stream token missing or invalid"
NO_START_REASON = b"no start message in time"


@dataclass(frozen=True)
class Connected:
    """The platform connected (first message)."""


@dataclass(frozen=True)
class Start:
    """The ``start`` message: ids, caller and dialled number, audio format (``call_start`` for the driver)."""

    stream_sid: str
    call_sid: str
    custom_parameters: dict[str, str] = field(default_factory=dict)
    encoding: str = "audio/x-mulaw"
    sample_rate: int = SAMPLE_RATE
    channels: int = 1

    @property
    def caller(self) -> str:
        """The caller's number (``customParameters.from``)."""
        return self.custom_parameters.get("from", "")

    @property
    def dialled(self) -> str:
        """The number the caller dialled (``customParameters.to``)."""
        return self.custom_parameters.get("to", "")

    @property
    def token(self) -> str:
        """The stream's signed token (``customParameters.token``, see ``channels.stream_token``)."""
        return self.custom_parameters.get("token", "")

    @property
    def supported(self) -> bool:
        """True for the one audio format the gateway takes: mu-law, 8000 Hz, mono."""
        return self.encoding == "audio/x-mulaw" and self.sample_rate == SAMPLE_RATE and self.channels == 1

    def call_start(self) -> events.Start:
        """The shared start event: the call id is the ``callSid``, the dialled number picks the municipality."""
        return events.Start(conversation_id=self.call_sid, caller=self.caller or None, dialled=self.dialled or None)


@dataclass(frozen=True)
class Media:
    """Caller audio, decoded from mu-law to PCM16 at 8 kHz."""

    pcm: bytes
    track: str = "inbound"


@dataclass(frozen=True)
class Unknown:
    """An event this gateway does not know; logged and ignored."""

    event: str


Event = Connected | Start | Media | Dtmf | Mark | Stop | Unknown


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProtocolError(f"'{name}' must be an object")
    return value


def _string(container: dict[str, Any], key: str) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value:
        raise ProtocolError(f"'{key}' must be a non-empty string")
    return value


def parse_event(raw: str | bytes) -> Event:
    """Parse one inbound WebSocket text message; ``ProtocolError`` says what is wrong."""
    try:
        message = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ProtocolError(f"not JSON: {error}") from error
    message = _object(message, "message")
    event = message.get("event")
    if not isinstance(event, str):
        raise ProtocolError("'event' missing")
    if event == "connected":
        return Connected()
    if event == "start":
        start = _object(message.get("start"), "start")
        media_format = _object(start.get("mediaFormat") or {}, "mediaFormat")
        parameters = start.get("customParameters") or {}
        if not isinstance(parameters, dict):
            raise ProtocolError("'customParameters' must be an object")
        call_sid = _string(start, "callSid")
        if not CALL_SID_PATTERN.match(call_sid):
            raise ProtocolError("'callSid' has characters a conversation id cannot have")
        try:
            sample_rate = int(media_format.get("sampleRate", SAMPLE_RATE))
            channels = int(media_format.get("channels", 1))
        except (TypeError, ValueError) as error:
            raise ProtocolError("'mediaFormat' has a non-numeric sampleRate or channels") from error
        return Start(
            stream_sid=_string(start, "streamSid") if "streamSid" in start else _string(message, "streamSid"),
            call_sid=call_sid,
            custom_parameters={str(k): str(v) for k, v in parameters.items()},
            encoding=str(media_format.get("encoding", "audio/x-mulaw")),
            sample_rate=sample_rate,
            channels=channels,
        )
    if event == "media":
        media = _object(message.get("media"), "media")
        payload = _string(media, "payload")
        if len(payload) > MAX_MEDIA_BYTES * 4 // 3 + 4:
            raise ProtocolError("media frame too large")
        try:
            audio = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError) as error:
            raise ProtocolError("media payload is not base64") from error
        return Media(pcm=mulaw_decode(audio), track=str(media.get("track", "inbound")))
    if event == "dtmf":
        digit = _string(_object(message.get("dtmf"), "dtmf"), "digit")
        if digit not in DTMF_KEYS:
            raise ProtocolError(f"unknown DTMF digit {digit!r}")
        return Dtmf(digit)
    if event == "mark":
        return Mark(_string(_object(message.get("mark"), "mark"), "name"))
    if event == "stop":
        return Stop()
    return Unknown(event)


def media_message(stream_sid: str, pcm8k: bytes) -> dict[str, Any]:
    """Outbound audio (PCM16 8 kHz, sent as base64 mu-law)."""
    return {
        "event": "media",
        "streamSid": stream_sid,
        "media": {"payload": base64.b64encode(mulaw_encode(pcm8k)).decode()},
    }


def mark_message(stream_sid: str, name: str) -> dict[str, Any]:
    """Ask the platform to echo ``name`` when playback reaches this point."""
    return {"event": "mark", "streamSid": stream_sid, "mark": {"name": name}}


def clear_message(stream_sid: str) -> dict[str, Any]:
    """Drop the audio the platform has buffered (barge-in)."""
    return {"event": "clear", "streamSid": stream_sid}


def transfer_message(stream_sid: str, instruction: dict[str, Any]) -> dict[str, Any]:
    """Muni's extension: put the call through to a person (see docs/voice.md)."""
    return {"event": "transfer", "streamSid": stream_sid, "transfer": instruction}


class TwilioTransport:
    """Sends a call's audio and control messages over the media stream WebSocket."""

    channel = "phone"
    sample_rate = SAMPLE_RATE

    def __init__(self, ws: web.WebSocketResponse, stream_sid: str) -> None:
        self.ws = ws
        self.stream_sid = stream_sid

    async def _send(self, message: dict[str, Any]) -> None:
        if not self.ws.closed:
            await self.ws.send_json(message)

    async def send_audio(self, pcm: bytes) -> None:
        """Send PCM16 8 kHz as a media message."""
        await self._send(media_message(self.stream_sid, pcm))

    async def send_mark(self, name: str) -> None:
        """Send a mark after the queued audio."""
        await self._send(mark_message(self.stream_sid, name))

    async def clear_audio(self) -> None:
        """Clear the platform's playback buffer."""
        await self._send(clear_message(self.stream_sid))

    async def transfer(self, instruction: dict[str, Any]) -> None:
        """Send the transfer instruction."""
        await self._send(transfer_message(self.stream_sid, instruction))

    async def hangup(self) -> None:
        """Close the stream; the platform ends the call (e.g. TwiML after <Connect> hangs up)."""
        await self.ws.close(message=b"hangup")

    async def notify(self, event: dict[str, Any]) -> None:
        """Phones have no screen."""


def refusal(request: web.Request, start: Start) -> str | None:
    """Why the stream of this ``start`` is not admitted (see ``StreamAuth.refusal``); None = admit."""
    auth = request.app.get(STREAM_AUTH)
    if auth is None:
        return "not_configured"
    return auth.refusal(start.call_sid, start.caller, start.dialled, start.token)


async def handle_media_stream(request: web.Request) -> web.WebSocketResponse:
    """One call over the media stream WebSocket."""
    ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE_BYTES, heartbeat=30)
    await ws.prepare(request)
    driver: CallDriver[TwilioTransport] = CallDriver(
        request.app, channel="phone", sample_rate=SAMPLE_RATE, label="media stream"
    )
    start_deadline = time.monotonic() + driver.services.settings.start_timeout_s
    try:
        while not ws.closed:
            wait_s = None if driver.started else start_deadline - time.monotonic()
            try:
                if wait_s is not None and wait_s <= 0:
                    raise TimeoutError
                message = await ws.receive(timeout=wait_s)
            except TimeoutError:
                logger.warning(
                    "media stream: no start within %.1f s; closing", driver.services.settings.start_timeout_s
                )
                driver.count_error("no_start")
                driver.reason = "no_start"
                await ws.close(code=POLICY_VIOLATION, message=NO_START_REASON)
                break
            if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                break
            if message.type == WSMsgType.ERROR:
                logger.error("media stream error: %s", ws.exception())
                break
            if message.type != WSMsgType.TEXT:
                driver.errors += 1
                logger.warning("media stream: ignoring a non-text WebSocket message")
                continue
            try:
                event = parse_event(message.data)
            except ProtocolError as error:
                if not await driver.protocol_error(error):
                    break
                continue
            if isinstance(event, Start):
                if not driver.started:
                    refused = refusal(request, event)
                    if refused is not None:
                        # No citizen data in the log: neither the numbers nor the token.
                        logger.warning("media stream refused: token %s", refused)
                        driver.count_error("auth")
                        driver.reason = "refused"
                        await ws.close(code=POLICY_VIOLATION, message=REFUSED_REASON)
                        break
                if not driver.started and not event.supported:
                    logger.error(
                        "media stream %s: unsupported audio %s/%d Hz/%d ch; closing",
                        event.call_sid,
                        event.encoding,
                        event.sample_rate,
                        event.channels,
                    )
                    driver.count_error("codec")
                    await ws.close(code=1003, message=b"unsupported mediaFormat: need audio/x-mulaw 8000 Hz mono")
                    break
                if not await driver.start(event.call_start(), partial(TwilioTransport, ws, event.stream_sid)):
                    break
            elif isinstance(event, Media):
                if not driver.started:
                    driver.errors += 1  # media before 'start' counts towards the malformed messages
                elif event.track == "inbound":
                    await driver.feed(Audio(event.pcm))
            elif isinstance(event, Unknown):
                logger.info("media stream: unknown event %r ignored", event.event)
            elif not isinstance(event, Connected) and not await driver.feed(event):
                break
    finally:
        await driver.close("stop" if not ws.closed else "disconnected")
        if not ws.closed:
            await ws.close()
    return ws
