"""Audio conversion at the channel edges: G.711 mu-law <-> PCM16 and sample-rate conversion.

Pure NumPy (the ``audioop`` module is gone from Python 3.13). Every function takes and returns
mono little-endian PCM16 ``bytes`` unless its name says otherwise.
"""

from __future__ import annotations

from math import gcd

import numpy as np

_MULAW_BIAS = 0x84


def _mulaw_decode_table() -> np.ndarray:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + _MULAW_BIAS) << exponent) - _MULAW_BIAS
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


_DECODE_TABLE = _mulaw_decode_table()


def mulaw_decode(data: bytes) -> bytes:
    """Decode G.711 mu-law bytes to PCM16."""
    return _DECODE_TABLE[np.frombuffer(data, dtype=np.uint8)].tobytes()


def mulaw_encode(pcm: bytes) -> bytes:
    """Encode PCM16 to G.711 mu-law bytes (bit-exact with the ITU reference on 14-bit samples)."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.int32) >> 2
    sign = np.where(samples < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(samples), 8159) + 33
    raw_exponent = np.floor(np.log2(magnitude)).astype(np.int32) - 5
    exponent = np.clip(raw_exponent, 0, 7)
    mantissa = np.where(raw_exponent > 7, 0x0F, (magnitude >> (exponent + 1)) & 0x0F)
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes()


def pcm_to_float(pcm: bytes) -> np.ndarray:
    """PCM16 as float32 samples in -1..1 (what Whisper and Silero take)."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def float_to_pcm(samples: np.ndarray) -> bytes:
    """Float samples in -1..1 as PCM16 (clipped)."""
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def _lowpass_kernel(cutoff: float, taps: int = 31) -> np.ndarray:
    """A windowed-sinc low-pass filter; ``cutoff`` as a fraction of the sample rate (0..0.5)."""
    n = np.arange(taps) - (taps - 1) / 2
    kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(taps)
    return kernel / kernel.sum()


def resample(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """Convert PCM16 between sample rates (linear interpolation with an anti-alias filter when shrinking)."""
    if from_rate <= 0 or to_rate <= 0:
        raise ValueError("sample rates must be positive")
    if from_rate == to_rate or not pcm:
        return pcm
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32)
    if to_rate < from_rate:
        samples = np.convolve(samples, _lowpass_kernel(0.45 * to_rate / from_rate), mode="same")
    divisor = gcd(from_rate, to_rate)
    count = int(len(samples) * (to_rate // divisor) / (from_rate // divisor))
    if count == 0:
        return b""
    positions = np.arange(count) * (from_rate / to_rate)
    resampled = np.interp(positions, np.arange(len(samples)), samples)
    return np.clip(np.round(resampled), -32768, 32767).astype("<i2").tobytes()


def rms_dbfs(pcm: bytes) -> float:
    """Loudness of PCM16 audio in dBFS (-inf for silence); used by tests and diagnostics."""
    samples = pcm_to_float(pcm)
    if samples.size == 0:
        return float("-inf")
    rms = float(np.sqrt(np.mean(samples**2)))
    return 20 * float(np.log10(rms)) if rms > 0 else float("-inf")
