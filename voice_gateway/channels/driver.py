"""The one call driver: what every voice channel does with a call, whatever its wire format.

A channel is a codec (its wire format <-> the shared events of ``channels.events``) and a transport
loop (a WebSocket or a TCP reader). The loop decodes each message and hands the event to its
``CallDriver``, which admits the call (capacity), picks the municipality, builds and starts the
``CallSession``, dispatches audio, digits, marks and text to it, counts malformed messages (and gives
up after ``MAX_PROTOCOL_ERRORS``) and closes the call with the reason it ended for.

What the caller sees of mistakes (``{"type": "error"}`` on the browser) goes through
``CallTransport.notify``, which phones ignore.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

from aiohttp import web

from voice_gateway.call import CallSession, CallTransport
from voice_gateway.channels.common import VOICE_SERVICES, municipality_for_call
from voice_gateway.channels.events import Audio, Dtmf, Mark, ProtocolError, Start, Stop, Text
from voice_gateway.speech.audio import resample

logger = logging.getLogger(__name__)

MAX_PROTOCOL_ERRORS = 50
"""Malformed messages a call survives; one more ends it (reason "protocol")."""
ALREADY_STARTED = "Opkaldet er allerede i gang."
NOT_STARTED = "Opkaldet er ikke startet endnu."

TransportT = TypeVar("TransportT", bound=CallTransport)


class CallDriver(Generic[TransportT]):
    """The life of one call on one connection: start, events, protocol errors, close."""

    def __init__(
        self,
        app: web.Application,
        *,
        channel: str,
        sample_rate: int,
        label: str,
        transport: TransportT | None = None,
    ) -> None:
        """A driver for one connection.

        ``channel`` is the metrics label ("phone", "browser"), ``sample_rate`` that of inbound ``Audio``,
        ``label`` names the connection in the log; ``transport`` is given when the connection has one
        before the call starts (browser), else ``start`` makes it.
        """
        self.app = app
        self.services = app[VOICE_SERVICES]
        self.channel = channel
        self.sample_rate = sample_rate
        self.label = label
        self.transport: TransportT | None = transport
        self.call: CallSession | None = None
        self.errors = 0
        """Malformed messages so far (a codec may count more, e.g. audio before the start)."""
        self.reason: str | None = None
        """Why the call ends, once known."""

    @property
    def started(self) -> bool:
        """True once the call has its session."""
        return self.call is not None

    @property
    def ended(self) -> bool:
        """True when the session has closed (e.g. the silence goodbye, shutdown)."""
        return self.call is not None and self.call.closed

    async def start(
        self, start: Start, make_transport: Callable[[], TransportT] | None = None, *, greet: bool = True
    ) -> bool:
        """Admit the call and start its session; False (reason "too_busy") when the gateway is full.

        A second start is ignored. ``make_transport`` builds the transport of a channel that has none
        yet; ``greet`` is False for a conversation that goes on from a chat.
        """
        if self.call is not None:
            logger.warning("%s: second start ignored", self.label)
            await self._tell(ALREADY_STARTED)
            return True
        if start.conversation_id is None:
            raise ValueError("a call needs its conversation id to start")
        if make_transport is not None:
            self.transport = make_transport()
        transport = self.transport
        if transport is None:
            raise ValueError("a call needs a transport to start")
        if not await self._admit(transport):
            self.reason = "too_busy"
            return False
        line = municipality_for_call(self.app, start.dialled, start.municipality)
        call = CallSession(
            call_id=start.conversation_id,
            transport=transport,
            services=self.services,
            municipality=line.id if line else None,
            municipality_name=line.name if line else "",
            caller=start.caller,
            client_address=start.client_address,
        )
        self.call = call
        await transport.notify({"type": "ready", "conversation_id": call.call_id})
        await call.start(greet=greet)
        return True

    async def feed(self, event: Audio | Dtmf | Mark | Text | Stop) -> bool:
        """Hand one event to the call; False when the connection should end (``Stop``)."""
        if isinstance(event, Stop):
            self.reason = event.reason
            return False
        call = self.call
        if call is None:
            await self._tell(NOT_STARTED)
        elif isinstance(event, Audio):
            await call.on_audio(event.pcm, self.sample_rate)
        elif isinstance(event, Dtmf):
            await call.on_dtmf(event.digit)
        elif isinstance(event, Mark):
            call.on_mark(event.name)
        else:
            await call.on_text(event.text)
        return True

    def on_mark(self, name: str) -> None:
        """Playback reached a mark (for transports that time playback themselves)."""
        if self.call is not None:
            self.call.on_mark(name)

    async def protocol_error(self, error: ProtocolError, *, fatal: str | None = None) -> bool:
        """Count a malformed message and tell the caller's side; False when the connection should end.

        ``fatal`` (a reason) ends it at once, e.g. for a start that cannot be read; otherwise it ends
        after more than ``MAX_PROTOCOL_ERRORS`` (reason "protocol").
        """
        self.count_error("protocol")
        if fatal is not None:
            logger.error("%s: %s; closing", self.label, error)
            self.reason = fatal
            return False
        self.errors += 1
        logger.warning("%s: malformed message (%s)", self.label, error)
        await self._tell(str(error))
        if self.errors > MAX_PROTOCOL_ERRORS:
            logger.error("%s: too many malformed messages; closing", self.label)
            self.reason = "protocol"
            return False
        return True

    def count_error(self, kind: str) -> None:
        """Count a call error of this channel (``muni_voice_call_errors_total``)."""
        self.services.metrics.call_errors.labels(channel=self.channel, kind=kind).inc()

    def failed(self) -> None:
        """The connection failed unexpectedly (the caller logs the exception): count it, reason "error"."""
        self.count_error("connection")
        self.reason = "error"

    async def close(self, reason: str) -> str:
        """End the call, if it started, with the reason known (else ``reason``); return the reason used."""
        final = self.reason or reason
        if self.call is not None:
            await self.call.close(final)
        return final

    async def _tell(self, message: str) -> None:
        if self.transport is not None:
            await self.transport.notify({"type": "error", "message": message})

    async def _admit(self, transport: CallTransport) -> bool:
        """False (after telling the caller and transferring) when the gateway already holds its maximum of calls."""
        services = self.services
        if len(services.active_calls) < services.settings.max_calls:
            return True
        logger.warning("call refused: %d calls in progress (max_calls)", len(services.active_calls))
        self.count_error("too_busy")
        try:
            prompt = await services.prompts.get(services.settings.prompts.too_busy)
            await transport.send_audio(resample(prompt.pcm, prompt.sample_rate, transport.sample_rate))
            await transport.transfer({"reason": "too_busy", "summary": "", "handoff": {}})
        except Exception:
            logger.exception("could not tell the caller that the lines are busy")
        return False
