"""Fixtures shared by the voice tests."""

from __future__ import annotations

import pytest

from voice_gateway.speech.vad import SileroVad


@pytest.fixture(scope="module")
def vad() -> SileroVad:
    """The real Silero VAD (cheap to load), one per test module."""
    return SileroVad()
