"""Test audio for the voice tests: Danish speech from espeak-ng, telephone conversion, silence, noise.

``espeak_utterance("Hvornår har borgerservice åbent", rate=8000)`` gives mono PCM16 (little-endian)
at ``rate``; ``phone_utterance_16k`` sends it through 8 kHz G.711 mu-law and back up to 16 kHz, the
way a call reaches the recogniser. Tests that need espeak-ng or sox call :func:`require_espeak`,
which skips with a reason when the tools are missing (``apt-get install espeak-ng sox``).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from voice_gateway.speech.audio import float_to_pcm, mulaw_decode, mulaw_encode, resample
from voice_gateway.speech.types import STT_SAMPLE_RATE

TELEPHONE_RATE = 8000


def require_espeak() -> None:
    """Skip the calling test when espeak-ng or sox is not installed."""
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' og '.join(missing)} er ikke installeret (apt-get install espeak-ng sox)")


@lru_cache(maxsize=64)
def espeak_utterance(text: str, rate: int = TELEPHONE_RATE, voice: str = "da", words_per_minute: int = 160) -> bytes:
    """``text`` spoken by espeak-ng (voice ``da``) as mono PCM16 at ``rate`` Hz (cached per arguments).

    sox runs without dither (``-D``) and with a fixed random seed (``-R``), so the audio, and with it the
    recogniser's greedy output, is the same on every run.
    """
    require_espeak()
    with tempfile.TemporaryDirectory(prefix="muni-espeak-") as folder:
        wav = Path(folder) / "speech.wav"
        raw = Path(folder) / "speech.raw"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(words_per_minute), "-w", str(wav), "--", text],
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            ["sox", "-D", "-R", str(wav), "-t", "raw", "-r", str(rate), "-c", "1", "-b", "16", "-e", "signed-integer", "-L", str(raw)],
            check=True, capture_output=True,
        )  # fmt: skip
        return raw.read_bytes()


def through_telephone(pcm8k: bytes) -> bytes:
    """PCM16 at 8 kHz after a G.711 mu-law round trip (what a phone channel delivers)."""
    return mulaw_decode(mulaw_encode(pcm8k))


def phone_utterance_16k(text: str) -> bytes:
    """``text`` as a caller would reach the recogniser: espeak-ng → 8 kHz mu-law → PCM16 → 16 kHz."""
    return resample(through_telephone(espeak_utterance(text, TELEPHONE_RATE)), TELEPHONE_RATE, STT_SAMPLE_RATE)


def silence(seconds: float, rate: int = STT_SAMPLE_RATE) -> bytes:
    """Digital silence (all-zero PCM16)."""
    return bytes(2 * int(seconds * rate))


def white_noise(seconds: float, rate: int = STT_SAMPLE_RATE, dbfs: float = -20.0, seed: int = 7) -> bytes:
    """Gaussian white noise as PCM16 at about ``dbfs`` RMS (deterministic for a given seed)."""
    rms = 10 ** (dbfs / 20)
    samples = np.random.default_rng(seed).normal(0.0, rms, int(seconds * rate))
    return float_to_pcm(samples.astype(np.float32))
