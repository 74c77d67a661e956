"""Asterisk AudioSocket channel: one TCP connection per call (``voice.audiosocket_port``, off when 0).

Wire format (Asterisk ``res_audiosocket``): every message is 1 byte type, 2 bytes big-endian payload
length, then the payload. Types:

* ``0x00`` hangup (no payload), both directions;
* ``0x01`` the call's UUID (16 bytes binary), sent by Asterisk first; the call id (and Rasa
  conversation id) is the UUID as a canonical string (``"40325ec2-5efd-4bd3-805f-53576e581d13"``);
* ``0x03`` a keypad digit (1 ASCII byte);
* ``0x10`` audio: signed linear 16-bit little-endian, 8 kHz mono, usually 320 bytes (20 ms), both directions;
* ``0xff`` an error; the payload is the error code (Asterisk: 0x01 the caller hung up,
  0x02 frame forwarding error, 0x04 memory error).

Asterisk plays the audio frames it receives as they arrive and does not buffer much, so the
transport *paces* outbound audio: a per-call sender task takes 20 ms frames from an outbound queue
on a steady clock and stays at most ``MAX_LEAD_S`` (100 ms) ahead of real time. ``clear_audio``
(barge-in) empties the queue at once; what is already sent (at most the lead) still plays.
Marks resolve when playback reaches them (``CallSession.on_mark``).

AudioSocket carries no phone numbers, so every AudioSocket call gets the gateway's default
municipality (``default_municipality``); run one gateway (or one port) per municipality line if needed.

Trust: AudioSocket has no authentication of its own, so the network decides. Only clients in
``voice.audiosocket_allow`` (``MUNI_AUDIOSOCKET_ALLOW``, IP addresses or CIDR networks; loopback by
default) are served; any other connection is closed at once, before a call exists. Keep the port on
a private network between Asterisk and the gateway (docs/voice.md). A connection that has not sent its
UUID within ``voice.start_timeout_s`` is closed.

Transfer to a person: AudioSocket has no transfer message and the gateway cannot set channel
variables over it. The convention is therefore: the gateway hangs up the AudioSocket leg (``0x00``)
and the dialplan *continues* after ``AudioSocket()`` to the municipality's queue. A normal goodbye
(silence) also hangs up the leg; to tell the two apart, configure ``voice.handoff_hook_url`` — the
gateway POSTs the transfer instruction there (with the call's UUID as ``conversation_id``) before the
leg ends, so the queue/agent side knows the call is a handoff and has the summary. A dialplan::

    exten => 7000,1,Answer()
     same => n,Set(MUNI_UUID=${UUID()})
     same => n,AudioSocket(${MUNI_UUID},127.0.0.1:9092)
     same => n,Queue(borgerservice)     ; reached after a transfer (and after a goodbye, see the hook)
     same => n,Hangup()

The audio arrives and leaves as slin (8 kHz); the Asterisk channel transcodes from the caller's codec.

All framing lives in the pure functions ``encode_frame``, ``AudioSocketParser.feed`` and
``parse_frame`` (round-trip tested); ``handle_audiosocket_connection`` reads the socket and feeds the
decoded events to the call driver (``channels.driver``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from voice_gateway.channels.common import VOICE_SERVICES
from voice_gateway.channels.driver import CallDriver
from voice_gateway.channels.events import Audio, Dtmf, ProtocolError, Start, Stop
from voice_gateway.dtmf import DTMF_KEYS

logger = logging.getLogger(__name__)

KIND_HANGUP = 0x00
KIND_UUID = 0x01
KIND_DTMF = 0x03
KIND_AUDIO = 0x10
KIND_ERROR = 0xFF
ERROR_CALLER_HUNG_UP = 0x01

SAMPLE_RATE = 8000
FRAME_BYTES = 320
"""20 ms of slin 8 kHz: the size of every outbound audio frame (the last piece of a sentence may be shorter)."""
MAX_AUDIO_BYTES = 16_000
"""1 s of audio; larger inbound audio frames are a protocol error and dropped."""
MAX_PAYLOAD_BYTES = 0xFFFF
MAX_LEAD_S = 0.1
"""How far outbound audio may run ahead of real time."""
UUID_TIMEOUT_S: float | None = None
"""A connection that has not sent its UUID by then is closed; None = ``voice.start_timeout_s``."""
IDLE_TIMEOUT_S = 60.0
"""Asterisk sends audio every 20 ms while the call is up; this long without any message ends the call."""
HANGUP_DRAIN_S = 15.0
"""How long a hang-up or transfer waits for queued audio (e.g. "alle linjer er optaget") to play out."""
READ_BYTES = 4096
OUR_SIDE_REASONS = frozenset({"ended", "idle", "protocol", "error"})
"""Why a call may end from the gateway's side; Asterisk then gets a hang-up message before the socket closes."""


@dataclass(frozen=True)
class Frame:
    """One AudioSocket message as it is on the wire: its type byte and payload."""

    kind: int
    payload: bytes = b""


@dataclass(frozen=True)
class Hangup:
    """The call ended (Asterisk hung up, or the caller did: error 0x01)."""


@dataclass(frozen=True)
class CallId:
    """The call's UUID in canonical form."""

    call_id: str


@dataclass(frozen=True)
class Error:
    """Asterisk reported an error (code as sent; ``None`` without a payload)."""

    code: int | None


@dataclass(frozen=True)
class Unknown:
    """A message type this gateway does not know; logged and ignored."""

    kind: int


Event = Hangup | CallId | Dtmf | Audio | Error | Unknown


def encode_frame(kind: int, payload: bytes = b"") -> bytes:
    """One AudioSocket message: type byte, big-endian 16-bit length, payload."""
    if not 0 <= kind <= 0xFF:
        raise ValueError(f"message type {kind} is not a byte")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"payload of {len(payload)} bytes does not fit a 16-bit length")
    return bytes((kind, len(payload) >> 8, len(payload) & 0xFF)) + payload


def uuid_frame(call_id: str) -> bytes:
    """The UUID message Asterisk sends first (used by tests and tools)."""
    return encode_frame(KIND_UUID, uuid.UUID(call_id).bytes)


class AudioSocketParser:
    """Splits a TCP byte stream into frames, however the stream is cut into reads."""

    def __init__(self) -> None:
        """An empty parser."""
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Frame]:
        """Add received bytes; return the frames they complete (a partial frame stays buffered)."""
        self._buffer += data
        frames: list[Frame] = []
        offset = 0
        while len(self._buffer) - offset >= 3:
            length = (self._buffer[offset + 1] << 8) | self._buffer[offset + 2]
            end = offset + 3 + length
            if end > len(self._buffer):
                break
            frames.append(Frame(self._buffer[offset], bytes(self._buffer[offset + 3 : end])))
            offset = end
        del self._buffer[:offset]
        return frames

    @property
    def buffered(self) -> int:
        """Bytes of an incomplete frame waiting for the rest (non-zero at EOF means a truncated stream)."""
        return len(self._buffer)


def parse_frame(frame: Frame) -> Event:
    """What a frame means; ``ProtocolError`` says what is wrong with it."""
    kind, payload = frame.kind, frame.payload
    if kind == KIND_HANGUP:
        return Hangup()
    if kind == KIND_UUID:
        if len(payload) != 16:
            raise ProtocolError(f"UUID payload of {len(payload)} bytes (need 16)")
        return CallId(str(uuid.UUID(bytes=payload)))
    if kind == KIND_DTMF:
        digit = payload.decode("ascii", errors="replace")
        if len(payload) != 1 or digit not in DTMF_KEYS:
            raise ProtocolError(f"unsupported DTMF payload {payload!r}")
        return Dtmf(digit)
    if kind == KIND_AUDIO:
        if len(payload) > MAX_AUDIO_BYTES:
            raise ProtocolError(f"audio frame of {len(payload)} bytes (more than 1 s)")
        if len(payload) % 2:
            raise ProtocolError(f"audio frame of odd length {len(payload)}")
        return Audio(payload)
    if kind == KIND_ERROR:
        return Error(payload[0] if payload else None)
    return Unknown(kind)


@dataclass(frozen=True)
class _Mark:
    name: str


class AudioSocketTransport:
    """Sends a call's audio over the AudioSocket connection, paced in real time by a sender task."""

    channel = "phone"
    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        writer: asyncio.StreamWriter,
        *,
        call_id: str = "",
        max_lead_s: float = MAX_LEAD_S,
        hangup_drain_s: float = HANGUP_DRAIN_S,
    ) -> None:
        """Start the sender task of one connection (needs a running event loop)."""
        self._writer = writer
        self.call_id = call_id
        self.max_lead_s = max_lead_s
        self.hangup_drain_s = hangup_drain_s
        self.on_mark: Callable[[str], None] | None = None
        """Called with a mark's name when playback reaches it (set to ``CallSession.on_mark``)."""
        self.transferred: dict[str, Any] | None = None
        self.hung_up = False
        self._loop = asyncio.get_running_loop()
        self._queue: deque[bytes | _Mark] = deque()
        self._wake = asyncio.Event()
        self._played_until = 0.0
        self._generation = 0
        self._marks: dict[str, asyncio.TimerHandle] = {}
        self._closed = False
        self._sender = asyncio.create_task(self._send_loop(), name=f"audiosocket-{call_id}-sender")

    @property
    def closed(self) -> bool:
        """True once the connection is (being) closed from our side or lost."""
        return self._closed or self._writer.is_closing()

    @property
    def queued_s(self) -> float:
        """Seconds of audio waiting in the outbound queue (not yet sent)."""
        return sum(len(item) for item in self._queue if isinstance(item, bytes)) / 2 / SAMPLE_RATE

    async def send_audio(self, pcm: bytes) -> None:
        """Queue PCM16 8 kHz audio as 20 ms frames."""
        if self.closed:
            return
        for offset in range(0, len(pcm), FRAME_BYTES):
            self._queue.append(pcm[offset : offset + FRAME_BYTES])
        self._wake.set()

    async def send_mark(self, name: str) -> None:
        """Queue a mark: ``on_mark(name)`` is called when the audio before it has played."""
        if self.closed:
            return
        self._queue.append(_Mark(name))
        self._wake.set()

    async def clear_audio(self) -> None:
        """Barge-in: drop the queued audio at once; marks still pending are reported now."""
        self._generation += 1
        pending = [item.name for item in self._queue if isinstance(item, _Mark)]
        self._queue.clear()
        for name, handle in list(self._marks.items()):
            handle.cancel()
            pending.insert(0, name)
        self._marks.clear()
        self._played_until = min(self._played_until, self._loop.time() + self.max_lead_s)
        for name in pending:
            self._report_mark(name)

    async def transfer(self, instruction: dict[str, Any]) -> None:
        """Hang up the AudioSocket leg so the dialplan continues to the queue (see the module docstring)."""
        logger.info(
            "AudioSocket call %s: transfer (%s); hanging up the AudioSocket leg so the dialplan continues",
            self.call_id,
            instruction.get("reason"),
        )
        self.transferred = instruction
        await self.hangup()

    async def hangup(self) -> None:
        """Let queued audio play out (bounded), send the hang-up message and close the connection.

        Closing does not wait for the socket: the caller of ``transfer`` (``CallSession``) must get on
        with posting the handoff hook before the connection handler sees the end of the stream.
        """
        if self.closed:
            return
        deadline = self._loop.time() + self.hangup_drain_s
        while (self._queue or self._played_until > self._loop.time()) and not self.closed:
            if self._loop.time() >= deadline:
                logger.warning("AudioSocket call %s: hanging up with audio still queued", self.call_id)
                break
            await asyncio.sleep(0.02)
        if self.closed:
            return
        self.hung_up = True
        self._write(encode_frame(KIND_HANGUP))
        self._shut()

    async def notify(self, event: dict[str, Any]) -> None:
        """Phones have no screen."""

    async def close(self, *, send_hangup: bool = False) -> None:
        """Stop the sender task and close the connection (idempotent); ``send_hangup`` tells Asterisk first."""
        if send_hangup and not self.closed:
            self.hung_up = True
            self._write(encode_frame(KIND_HANGUP))
        self._shut()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._sender
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._writer.wait_closed(), timeout=1.0)

    def _shut(self) -> None:
        self._closed = True
        self._queue.clear()
        for handle in self._marks.values():
            handle.cancel()
        self._marks.clear()
        self._sender.cancel()
        if not self._writer.is_closing():
            self._writer.close()

    def _write(self, data: bytes) -> None:
        if not self._writer.is_closing():
            self._writer.write(data)

    def _report_mark(self, name: str) -> None:
        self._marks.pop(name, None)
        if self.on_mark is not None and not self._closed:
            try:
                self.on_mark(name)
            except Exception:  # a mark must never stop the sender
                logger.exception("AudioSocket call %s: mark handler failed", self.call_id)

    async def _send_loop(self) -> None:
        """Send queued frames on a steady clock, at most ``max_lead_s`` ahead of real time."""
        try:
            while not self._closed:
                if not self._queue:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                item = self._queue.popleft()
                now = self._loop.time()
                if self._played_until < now:
                    self._played_until = now  # nothing playing (or we fell behind): restart the clock
                if isinstance(item, _Mark):
                    self._marks[item.name] = self._loop.call_at(self._played_until, self._report_mark, item.name)
                    continue
                delay = self._played_until - self.max_lead_s - now
                if delay > 0:
                    generation = self._generation
                    await asyncio.sleep(delay)
                    if generation != self._generation:
                        continue  # cleared while waiting: this frame is dropped too
                self._write(encode_frame(KIND_AUDIO, item))
                self._played_until = max(self._played_until, self._loop.time()) + len(item) / 2 / SAMPLE_RATE
                await self._writer.drain()
        except (ConnectionError, OSError) as error:
            logger.info("AudioSocket call %s: connection lost while sending (%s)", self.call_id, error)
            self._closed = True


async def handle_audiosocket_connection(
    app: web.Application, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """One call over one AudioSocket connection; never raises, always closes the call and the socket."""
    peer = writer.get_extra_info("peername")
    driver: CallDriver[AudioSocketTransport] = CallDriver(
        app, channel="phone", sample_rate=SAMPLE_RATE, label=f"AudioSocket {peer}"
    )
    parser = AudioSocketParser()
    loop = asyncio.get_running_loop()
    unknown_seen: set[int] = set()
    uuid_timeout_s = UUID_TIMEOUT_S if UUID_TIMEOUT_S is not None else driver.services.settings.start_timeout_s
    uuid_deadline = loop.time() + uuid_timeout_s
    last_data = loop.time()
    try:
        while driver.reason is None:
            if not driver.started:
                wait_s = uuid_deadline - loop.time()
                if wait_s <= 0:
                    logger.warning("AudioSocket %s: no UUID within %.1f s; closing", peer, uuid_timeout_s)
                    driver.count_error("no_start")
                    driver.reason = "no_uuid"
                    break
            else:
                if driver.ended or (driver.transport is not None and driver.transport.closed):
                    driver.reason = "ended"
                    break
                if loop.time() - last_data > IDLE_TIMEOUT_S:
                    logger.warning("%s: nothing received for %.0f s", driver.label, IDLE_TIMEOUT_S)
                    driver.reason = "idle"
                    break
                wait_s = 1.0  # wake up now and then to notice a call ended from our side
            try:
                data = await asyncio.wait_for(reader.read(READ_BYTES), timeout=wait_s)
            except TimeoutError:
                continue
            if not data:
                if parser.buffered:
                    logger.warning("AudioSocket %s: stream ended inside a frame; treated as hang-up", peer)
                driver.reason = "disconnected"
                break
            last_data = loop.time()
            for frame in parser.feed(data):
                if not await _feed_frame(driver, writer, frame, unknown_seen):
                    break
    except Exception:  # one connection's failure must never reach the server or other calls
        logger.exception("%s: connection failed", driver.label)
        driver.failed()
    finally:
        try:
            reason = await driver.close("hangup")
        finally:
            if driver.transport is not None:
                await driver.transport.close(send_hangup=reason in OUR_SIDE_REASONS)
            else:
                writer.close()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(writer.wait_closed(), timeout=1.0)


async def _feed_frame(
    driver: CallDriver[AudioSocketTransport], writer: asyncio.StreamWriter, frame: Frame, unknown_seen: set[int]
) -> bool:
    """Decode one frame and hand it to the driver; False when the connection should end."""
    try:
        event = parse_frame(frame)
    except ProtocolError as error:
        return await driver.protocol_error(error, fatal="bad_uuid" if frame.kind == KIND_UUID else None)
    if isinstance(event, CallId):
        call_id = event.call_id

        def transport() -> AudioSocketTransport:
            made = AudioSocketTransport(writer, call_id=call_id)
            made.on_mark = driver.on_mark
            return made

        return await driver.start(Start(conversation_id=call_id), transport)
    if isinstance(event, Audio | Dtmf):
        return await driver.feed(event)
    if isinstance(event, Hangup):
        return await driver.feed(Stop("hangup"))
    if isinstance(event, Error):
        if event.code == ERROR_CALLER_HUNG_UP:
            return await driver.feed(Stop("caller_hangup"))
        logger.warning("%s: Asterisk reported error code %s", driver.label, event.code)
        driver.count_error("asterisk")
    elif event.kind not in unknown_seen:
        unknown_seen.add(event.kind)
        logger.info("%s: unknown message type 0x%02x ignored", driver.label, event.kind)
    return True


def allowed_peer(peer: object, allow: tuple[str, ...]) -> bool:
    """True when the connection's peer address is in the allow-list (IP addresses or CIDR networks)."""
    host = peer[0] if isinstance(peer, tuple) and peer else peer
    try:
        ip = ipaddress.ip_address(str(host).split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for entry in allow:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            logger.error("voice.audiosocket_allow: %r is not an IP address or network; ignored", entry)
    return False


async def refuse_connection(app: web.Application, writer: asyncio.StreamWriter) -> None:
    """Close a connection from a client not in the allow-list, at once and without a call."""
    peer = writer.get_extra_info("peername")
    logger.warning("AudioSocket: connection from %s refused (not in voice.audiosocket_allow)", peer)
    app[VOICE_SERVICES].metrics.call_errors.labels(channel="phone", kind="not_allowed").inc()
    writer.close()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(writer.wait_closed(), timeout=1.0)


async def serve_audiosocket(app: web.Application, host: str, port: int) -> asyncio.Server:
    """Start the AudioSocket TCP server; each connection from an allowed client is one call."""

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        allow = app[VOICE_SERVICES].settings.audiosocket_allow
        if not allowed_peer(writer.get_extra_info("peername"), allow):
            await refuse_connection(app, writer)
            return
        await handle_audiosocket_connection(app, reader, writer)

    server = await asyncio.start_server(on_connection, host, port)
    addresses = ", ".join(str(sock.getsockname()) for sock in server.sockets)
    logger.info("AudioSocket server listening on %s", addresses)
    return server
