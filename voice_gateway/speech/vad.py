"""Endpointing: where an utterance starts and ends, with the Silero VAD model shipped inside faster-whisper.

One ONNX session is shared by all calls (``SileroVad``, the gateway's ``VoiceActivityDetector``); each
call keeps its own recurrent state in an ``Endpointer``. Audio goes in as 16 kHz PCM16 in any chunk
size; the endpointer runs the model on 32 ms windows and reports ``SpeechStarted`` (used for barge-in)
and ``UtteranceEnded`` (the audio of one utterance, ended by silence or by the length cap).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

import numpy as np

from voice_gateway.speech.audio import pcm_to_float
from voice_gateway.speech.types import STT_SAMPLE_RATE, VoiceActivityDetector

WINDOW_SAMPLES = 512  # 32 ms at 16 kHz, what the Silero model takes
CONTEXT_SAMPLES = 64
WINDOW_MS = WINDOW_SAMPLES * 1000 // STT_SAMPLE_RATE


@dataclass(frozen=True)
class VadSettings:
    """Thresholds of the endpointer (all configurable, see docs/voice.md)."""

    threshold: float = 0.5
    """Speech probability above which a window counts as speech."""
    neg_threshold: float = 0.35
    """Below this, a window counts as silence once speech has started (hysteresis)."""
    min_speech_ms: int = 160
    """Speech needed before an utterance starts (and before barge-in stops playback)."""
    end_silence_ms: int = 700
    """Silence that ends an utterance."""
    max_utterance_s: float = 30.0
    """Cap on an utterance; longer speech is cut and handled as it is."""
    pre_roll_ms: int = 256
    """Audio kept from before the detected start, so the first syllable is not lost."""


@dataclass(frozen=True)
class SpeechStarted:
    """The caller has started speaking."""


@dataclass(frozen=True)
class UtteranceEnded:
    """One utterance: its 16 kHz PCM16 audio and why it ended ("silence" or "max_length")."""

    pcm: bytes
    reason: str
    trailing_silence_s: float = 0.0
    """Silence at the end (the wait that ended the utterance); the speech itself ended this long ago."""

    @property
    def duration_s(self) -> float:
        """Length of the utterance in seconds."""
        return len(self.pcm) / 2 / STT_SAMPLE_RATE


VadEvent = SpeechStarted | UtteranceEnded


def silero_model_path() -> str:
    """The Silero VAD ONNX file inside the installed faster-whisper package."""
    from faster_whisper.utils import get_assets_path

    for name in ("silero_vad_v6.onnx", "silero_vad_v5.onnx", "silero_vad.onnx"):
        path = os.path.join(get_assets_path(), name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"faster-whisper has no Silero VAD model in {get_assets_path()}")


class SileroVad(VoiceActivityDetector):
    """The shared Silero VAD ONNX session; ``probability`` runs one 32 ms window for one call's state."""

    def __init__(self, path: str | None = None) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1
        options.log_severity_level = 4
        self._session = onnxruntime.InferenceSession(
            path or silero_model_path(), providers=["CPUExecutionProvider"], sess_options=options
        )
        self._lock = threading.Lock()

    def new_state(self) -> VadState:
        """Fresh recurrent state for one audio stream."""
        return VadState()

    def probability(self, window: np.ndarray, state: VadState) -> float:
        """Speech probability of one window (512 samples, float32), updating ``state``."""
        batch = np.concatenate([state.context, window]).reshape(1, -1).astype(np.float32)
        output, state.h, state.c = self._session.run(None, {"input": batch, "h": state.h, "c": state.c})
        state.context = window[-CONTEXT_SAMPLES:].copy()
        return float(np.asarray(output).reshape(-1)[0])


@dataclass
class VadState:
    """Recurrent state of the model for one audio stream."""

    h: np.ndarray = field(default_factory=lambda: np.zeros((1, 1, 128), dtype=np.float32))
    c: np.ndarray = field(default_factory=lambda: np.zeros((1, 1, 128), dtype=np.float32))
    context: np.ndarray = field(default_factory=lambda: np.zeros(CONTEXT_SAMPLES, dtype=np.float32))


class Endpointer:
    """Turns a stream of 16 kHz audio into speech-start and utterance-end events for one call."""

    def __init__(self, vad: VoiceActivityDetector, settings: VadSettings | None = None) -> None:
        self._vad = vad
        self.settings = settings or VadSettings()
        self._state = vad.new_state()
        self._pending = b""
        self._pre_roll: list[bytes] = []
        self._utterance: list[bytes] = []
        self._in_speech = False
        self._speech_ms = 0
        self._silence_ms = 0
        self._utterance_ms = 0
        self.last_probability = 0.0

    @property
    def in_speech(self) -> bool:
        """True while an utterance is being collected."""
        return self._in_speech

    def reset(self) -> None:
        """Forget any partial utterance (e.g. after the call state changed)."""
        self._state = self._vad.new_state()
        self._pending = b""
        self._pre_roll.clear()
        self._utterance.clear()
        self._in_speech = False
        self._speech_ms = self._silence_ms = self._utterance_ms = 0

    def feed(self, pcm16k: bytes) -> list[VadEvent]:
        """Add audio; return the events it completes."""
        events: list[VadEvent] = []
        data = self._pending + pcm16k
        window_bytes = WINDOW_SAMPLES * 2
        usable = len(data) - len(data) % window_bytes
        self._pending = data[usable:]
        for offset in range(0, usable, window_bytes):
            chunk = data[offset : offset + window_bytes]
            probability = self._vad.probability(pcm_to_float(chunk), self._state)
            self.last_probability = probability
            events.extend(self._step(chunk, probability))
        return events

    def flush(self) -> UtteranceEnded | None:
        """The utterance in progress, if any, e.g. when the caller hangs up mid-sentence."""
        if not self._in_speech:
            return None
        pcm = b"".join(self._utterance) + self._pending
        self.reset()
        return UtteranceEnded(pcm, "hangup")

    def _step(self, chunk: bytes, probability: float) -> list[VadEvent]:
        settings = self.settings
        if not self._in_speech:
            self._pre_roll.append(chunk)
            if probability >= settings.threshold:
                self._speech_ms += WINDOW_MS
            else:
                self._speech_ms = 0
            max_pre_roll = max(1, (settings.pre_roll_ms + settings.min_speech_ms) // WINDOW_MS)
            del self._pre_roll[:-max_pre_roll]
            if self._speech_ms >= settings.min_speech_ms:
                self._in_speech = True
                self._utterance = list(self._pre_roll)
                self._pre_roll.clear()
                self._utterance_ms = len(self._utterance) * WINDOW_MS
                self._silence_ms = 0
                return [SpeechStarted()]
            return []
        self._utterance.append(chunk)
        self._utterance_ms += WINDOW_MS
        if probability < settings.neg_threshold:
            self._silence_ms += WINDOW_MS
        elif probability >= settings.threshold:
            self._silence_ms = 0
        if self._silence_ms >= settings.end_silence_ms:
            return [self._finish("silence")]
        if self._utterance_ms >= settings.max_utterance_s * 1000:
            return [self._finish("max_length")]
        return []

    def _finish(self, reason: str) -> UtteranceEnded:
        trailing = self._silence_ms / 1000 if reason == "silence" else 0.0
        pcm = b"".join(self._utterance)
        self._utterance = []
        self._in_speech = False
        self._speech_ms = self._silence_ms = self._utterance_ms = 0
        return UtteranceEnded(pcm, reason, trailing)
