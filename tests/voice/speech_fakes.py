"""Fakes for the speech engines, shared by the channel tests (AudioSocket, browser voice).

The channel tests check framing, pacing and call wiring; the real engines (Whisper, Piper, espeak-ng)
are covered by tests/voice/test_stt.py, test_tts.py and the end-to-end calls.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator

from voice_gateway.speech.types import AudioChunk, SpeechToText, TextToSpeech, Transcript


class FakeStt(SpeechToText):
    """Fake speech-to-text: always hears the same words."""

    async def transcribe(self, pcm16k: bytes) -> Transcript:
        return Transcript(text="hvornår har I åbent", confidence=0.9, audio_s=len(pcm16k) / 32000, stt_s=0.01)


class FakeTts(TextToSpeech):
    """Fake text-to-speech: 100 ms of silence per sentence."""

    @property
    def sample_rate(self) -> int:
        return 16_000

    async def synthesize(self, text: str) -> AsyncGenerator[AudioChunk, None]:
        yield AudioChunk(bytes(3200), 16_000)


class FakePrompts:
    """Fake prompt cache: silence (200 ms unless a test sets ``seconds``) for any prompt."""

    seconds = 0.2

    async def get(self, text: str) -> AudioChunk:
        return AudioChunk(bytes(2 * int(16_000 * self.seconds)), 16_000)


async def wait_until(condition, timeout: float = 5.0) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
