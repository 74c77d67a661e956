"""Synthetic Danish telephone speech for benchmarks and training-data augmentation.

espeak-ng (voice ``da``) speaks a sentence; sox resamples it to 8 kHz; it then goes through G.711
mu-law and back, exactly like a call's audio. Only for ``muni bench voice`` and ``muni nlu
phone-augment``: real callers sound very different, so figures from this audio are a floor, not
a promise.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from voice_gateway.speech.audio import mulaw_decode, mulaw_encode

TELEPHONE_RATE = 8000


class SyntheticSpeechError(RuntimeError):
    """espeak-ng or sox is missing or failed."""


def require_tools() -> None:
    """Raise with the install command when espeak-ng or sox is missing."""
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        raise SyntheticSpeechError(f"{' og '.join(missing)} mangler: apt-get install espeak-ng sox")


def speak_pcm(text: str, *, rate: int = TELEPHONE_RATE, words_per_minute: int = 160, pitch: int = 50) -> bytes:
    """``text`` as mono PCM16 at ``rate`` Hz, spoken by espeak-ng Danish."""
    require_tools()
    with tempfile.TemporaryDirectory(prefix="muni-speech-") as folder:
        wav = Path(folder) / "speech.wav"
        raw = Path(folder) / "speech.raw"
        try:
            subprocess.run(
                ["espeak-ng", "-v", "da", "-s", str(words_per_minute), "-p", str(pitch), "-w", str(wav), "--", text],
                check=True,
                capture_output=True,
                timeout=60,
            )
            subprocess.run(
                ["sox", "-D", "-R", str(wav), "-t", "raw", "-r", str(rate), "-c", "1", "-b", "16",
                 "-e", "signed-integer", "-L", str(raw)],
                check=True,
                capture_output=True,
                timeout=60,
            )  # fmt: skip
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            raise SyntheticSpeechError(f"kunne ikke syntetisere tale: {error}") from error
        return raw.read_bytes()


def phone_mulaw(text: str, *, words_per_minute: int = 160, pitch: int = 50) -> bytes:
    """``text`` as 8 kHz G.711 mu-law, the format of a telephone media stream."""
    return mulaw_encode(speak_pcm(text, words_per_minute=words_per_minute, pitch=pitch))


def phone_pcm(text: str, *, words_per_minute: int = 160, pitch: int = 50) -> bytes:
    """``text`` as 8 kHz PCM16 after a mu-law round trip (what the gateway decodes from a call)."""
    return mulaw_decode(phone_mulaw(text, words_per_minute=words_per_minute, pitch=pitch))
