"""Mu-law and resampling: bit-exact with the G.711 reference, loudness kept across rate changes."""

import numpy as np
import pytest

from voice_gateway.speech import audio


def reference_mulaw_encode(sample: int) -> int:
    """The ITU-T G.711 reference algorithm on one 16-bit sample (via 14-bit magnitude)."""
    value = sample >> 2
    mask = 0x7F if value < 0 else 0xFF
    value = -value if value < 0 else value
    value = min(value, 8159) + 33
    segment = 0
    for segment, end in enumerate((0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)):  # noqa: B007
        if value <= end:
            break
    else:
        return 0x7F ^ mask
    return ((segment << 4) | ((value >> (segment + 1)) & 0xF)) ^ mask


def test_mulaw_encode_matches_reference_for_every_sample_value():
    samples = np.arange(-32768, 32768, dtype=np.int32)
    ours = np.frombuffer(audio.mulaw_encode(samples.astype("<i2").tobytes()), dtype=np.uint8)
    sampled = samples[::97]
    assert [int(ours[i]) for i in range(0, len(samples), 97)] == [reference_mulaw_encode(int(s)) for s in sampled]


def test_mulaw_round_trip_is_stable():
    codes = bytes(range(256))
    assert audio.mulaw_encode(audio.mulaw_decode(codes)) == codes.replace(b"\x7f", b"\xff")


def test_mulaw_decode_of_silence_code_is_zero():
    assert np.frombuffer(audio.mulaw_decode(b"\xff\x7f"), dtype="<i2").tolist() == [0, 0]


@pytest.mark.parametrize(("source", "target"), [(8000, 16000), (16000, 8000), (22050, 8000), (22050, 16000)])
def test_resample_keeps_length_ratio_and_loudness(source, target):
    t = np.arange(source) / source
    pcm = (np.sin(2 * np.pi * 300 * t) * 10000).astype("<i2").tobytes()
    out = audio.resample(pcm, source, target)
    assert abs(len(out) // 2 - target) <= 1
    assert abs(audio.rms_dbfs(out) - audio.rms_dbfs(pcm)) < 1.0


def test_resample_rejects_nonsense_rates_and_passes_empty_audio():
    with pytest.raises(ValueError):
        audio.resample(b"\0\0", 0, 8000)
    assert audio.resample(b"", 8000, 16000) == b""
