"""The small typed frames and engine interfaces the voice pipeline is built from.

Audio inside the gateway is always mono signed 16-bit little-endian PCM; every chunk says its
sample rate. Channels convert their wire format (mu-law 8 kHz, slin16 8 kHz, PCM 16 kHz) at the edge.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

STT_SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class AudioChunk:
    """A piece of mono PCM16 (little-endian) audio and its sample rate."""

    pcm: bytes
    sample_rate: int

    @property
    def duration_s(self) -> float:
        """Length of the chunk in seconds."""
        return len(self.pcm) / 2 / self.sample_rate


@dataclass(frozen=True)
class Transcript:
    """What the recogniser made of one utterance.

    ``text`` is empty when nothing usable was heard; ``rejected`` then says why
    ("empty", "hallucination", "too_long", "low_confidence", ...). ``confidence`` is in 0..1.
    """

    text: str
    confidence: float
    audio_s: float
    stt_s: float
    rejected: str | None = None

    @property
    def understood(self) -> bool:
        """True when the transcript may be passed to the dialogue."""
        return bool(self.text) and self.rejected is None


class SpeechToText(Protocol):
    """A speech recogniser: 16 kHz PCM16 of one utterance in, one transcript out."""

    async def transcribe(self, pcm16k: bytes) -> Transcript:
        """Transcribe one utterance (blocking inference runs off the event loop)."""
        ...


class TextToSpeech(Protocol):
    """A synthesiser that yields audio sentence by sentence, so the first audio leaves early."""

    @property
    def sample_rate(self) -> int:
        """Sample rate of the audio it produces."""
        ...

    def synthesize(self, text: str) -> AsyncIterator[AudioChunk]:
        """Yield the audio of ``text``, one chunk per sentence (or smaller)."""
        ...

    async def close(self) -> None:
        """Stop worker processes."""
        ...
