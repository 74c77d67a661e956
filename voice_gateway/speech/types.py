"""The small typed frames and engine interfaces the voice pipeline is built from.

Audio inside the gateway is always mono signed 16-bit little-endian PCM; every chunk says its
sample rate. Channels convert their wire format (mu-law 8 kHz, slin16 8 kHz, PCM 16 kHz) at the edge.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

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


class SpeechToText(ABC):
    """A speech recogniser: 16 kHz PCM16 of one utterance in, one transcript out."""

    async def start(self) -> None:
        """Get ready for the first call (nothing to do unless an engine says so)."""
        return None

    @abstractmethod
    async def transcribe(self, pcm16k: bytes) -> Transcript:
        """Transcribe one utterance (blocking inference runs off the event loop)."""

    async def close(self) -> None:
        """Release workers and models (nothing to do unless an engine says so)."""
        return None


class TextToSpeech(ABC):
    """A synthesiser that yields audio sentence by sentence, so the first audio leaves early."""

    @property
    @abstractmethod
    def sample_rate(self) -> int:
        """Sample rate of the audio it produces."""

    async def start(self) -> None:
        """Load the voice before the first call (nothing to do unless an engine says so)."""
        return None

    @abstractmethod
    def synthesize(self, text: str) -> AsyncGenerator[AudioChunk, None]:
        """Yield the audio of ``text``, one chunk per sentence (or smaller).

        A consumer that stops early closes the generator (``contextlib.aclosing``).
        """

    async def close(self) -> None:
        """Stop worker processes (nothing to do unless an engine says so)."""
        return None


class VoiceActivityDetector(ABC):
    """Speech detection for the endpointer: one detector (model) serves all calls.

    Every audio stream keeps its own state, made by ``new_state`` and handed back with each window.
    """

    @abstractmethod
    def new_state(self) -> Any:
        """Fresh state for one audio stream (opaque to the caller)."""

    @abstractmethod
    def probability(self, window: np.ndarray, state: Any) -> float:
        """Speech probability (0..1) of one 32 ms window (512 float32 samples at 16 kHz), updating ``state``."""
