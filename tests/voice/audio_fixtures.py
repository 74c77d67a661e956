"""Test audio for the voice tests: Danish speech from espeak-ng, telephone conversion, silence, noise.

``espeak_utterance("Hvornår har borgerservice åbent", rate=8000)`` gives mono PCM16 (little-endian)
at ``rate``; ``phone_utterance_16k`` sends it through 8 kHz G.711 mu-law and back up to 16 kHz, the
way a call reaches the recogniser. Tests that need espeak-ng or sox call :func:`require_espeak`,
which skips with a reason when the tools are missing (``apt-get install espeak-ng sox``).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from voice_gateway.speech.audio import float_to_pcm, mulaw_decode, mulaw_encode, resample
from voice_gateway.speech.synthetic import TELEPHONE_RATE, SyntheticSpeechError, require_tools, speak_pcm
from voice_gateway.speech.types import STT_SAMPLE_RATE


def require_espeak() -> None:
    """Skip the calling test when espeak-ng or sox is not installed."""
    try:
        require_tools()
    except SyntheticSpeechError as missing:
        pytest.skip(str(missing))


@lru_cache(maxsize=64)
def espeak_utterance(text: str, rate: int = TELEPHONE_RATE, words_per_minute: int = 160) -> bytes:
    """``text`` spoken by espeak-ng (voice ``da``) as mono PCM16 at ``rate`` Hz (cached per arguments).

    Made by the gateway's own synthetic-speech helper: sox runs without dither and with a fixed seed, so
    the audio, and with it the recogniser's greedy output, is the same on every run.
    """
    require_espeak()
    return speak_pcm(text, rate=rate, words_per_minute=words_per_minute)


def through_telephone(pcm8k: bytes) -> bytes:
    """PCM16 at 8 kHz after a G.711 mu-law round trip (what a phone channel delivers)."""
    return mulaw_decode(mulaw_encode(pcm8k))


def phone_utterance_16k(text: str, words_per_minute: int = 160) -> bytes:
    """``text`` as a caller would reach the recogniser: espeak-ng → 8 kHz mu-law → PCM16 → 16 kHz."""
    spoken = espeak_utterance(text, TELEPHONE_RATE, words_per_minute)
    return resample(through_telephone(spoken), TELEPHONE_RATE, STT_SAMPLE_RATE)


def silence(seconds: float, rate: int = STT_SAMPLE_RATE) -> bytes:
    """Digital silence (all-zero PCM16)."""
    return bytes(2 * int(seconds * rate))


def white_noise(seconds: float, rate: int = STT_SAMPLE_RATE, dbfs: float = -20.0, seed: int = 7) -> bytes:
    """Gaussian white noise as PCM16 at about ``dbfs`` RMS (deterministic for a given seed)."""
    rms = 10 ** (dbfs / 20)
    samples = np.random.default_rng(seed).normal(0.0, rms, int(seconds * rate))
    return float_to_pcm(samples.astype(np.float32))
