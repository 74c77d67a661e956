"""The events every voice channel decodes its wire format into, and the one protocol error.

A channel's codec turns its messages (Twilio JSON, AudioSocket frames, browser JSON and binary audio)
into these; the call driver (``channels.driver``) hands them to the ``CallSession``.
"""

from __future__ import annotations

from dataclasses import dataclass


class ProtocolError(ValueError):
    """A message that does not follow the channel's wire format; the text says what is wrong.

    On the browser channel the text goes back to the page, so there it is Danish.
    """


@dataclass(frozen=True)
class Start:
    """The caller's side starts the call (Twilio ``start``, the AudioSocket UUID, browser ``start``)."""

    municipality: str | None = None
    """A municipality id the caller asked for (browser); else the dialled number, else the default, picks it."""
    conversation_id: str | None = None
    """The call id, which is also Rasa's conversation id (the browser may leave it to the gateway)."""
    caller: str | None = None
    """The caller's number, when the channel has verified it (an admitted telephony stream only)."""
    dialled: str | None = None
    """The number the caller dialled, when the channel knows it."""
    client_address: str | None = None
    """The caller's hashed network address (browser; a phone line's peer is the platform, not the citizen)."""


@dataclass(frozen=True)
class Audio:
    """Caller audio: PCM16 (little-endian) mono at the channel's inbound sample rate."""

    pcm: bytes


@dataclass(frozen=True)
class Dtmf:
    """A keypad digit."""

    digit: str


@dataclass(frozen=True)
class Mark:
    """Playback reached a mark we sent."""

    name: str


@dataclass(frozen=True)
class Text:
    """Typed text in the call (browser), handled like a recognised utterance."""

    text: str


@dataclass(frozen=True)
class Stop:
    """The call (stream) ended from the caller's side; ``reason`` is how the call's end is logged."""

    reason: str = "stop"


CallEvent = Start | Audio | Dtmf | Mark | Text | Stop
"""What a channel feeds the call driver."""
