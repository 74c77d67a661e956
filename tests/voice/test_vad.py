"""Endpointing with the real Silero VAD model on espeak-ng speech at telephone quality."""

from tests.voice.audio_fixtures import espeak_utterance
from voice_gateway.speech.audio import resample
from voice_gateway.speech.vad import Endpointer, SileroVad, SpeechStarted, UtteranceEnded, VadSettings

SILENCE_1S = b"\0" * 32000


def speech_16k(text: str) -> bytes:
    return resample(espeak_utterance(text), 8000, 16000)


def feed_in_frames(endpointer: Endpointer, pcm: bytes, frame_bytes: int = 640) -> list:
    events = []
    for offset in range(0, len(pcm), frame_bytes):
        events.extend(endpointer.feed(pcm[offset : offset + frame_bytes]))
    return events


def test_two_utterances_with_silence_between_give_two_start_end_pairs():
    speech = speech_16k("Hvornår har borgerservice åbent")
    events = feed_in_frames(Endpointer(SileroVad()), SILENCE_1S + speech + SILENCE_1S + speech + SILENCE_1S)
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["SpeechStarted", "UtteranceEnded", "SpeechStarted", "UtteranceEnded"]
    ended = [e for e in events if isinstance(e, UtteranceEnded)]
    assert all(e.reason == "silence" for e in ended)
    assert all(abs(e.duration_s - len(speech) / 32000) < 1.2 for e in ended)


def test_silence_only_gives_no_events():
    assert feed_in_frames(Endpointer(SileroVad()), SILENCE_1S * 5) == []


def test_endless_speech_is_cut_at_the_cap():
    speech = speech_16k("Jeg vil gerne høre om boligstøtte og om hvordan man søger og hvad det koster")
    endpointer = Endpointer(SileroVad(), VadSettings(max_utterance_s=2.0, end_silence_ms=2000))
    events = feed_in_frames(endpointer, speech)
    ended = [e for e in events if isinstance(e, UtteranceEnded)]
    assert ended and ended[0].reason == "max_length"
    assert ended[0].duration_s <= 2.1


def test_flush_returns_the_partial_utterance_when_the_caller_hangs_up():
    speech = speech_16k("Jeg skal have et nyt pas")
    endpointer = Endpointer(SileroVad())
    events = feed_in_frames(endpointer, SILENCE_1S + speech[: len(speech) // 2])
    assert any(isinstance(e, SpeechStarted) for e in events)
    partial = endpointer.flush()
    assert partial is not None and partial.reason == "hangup"
    assert endpointer.flush() is None


def test_odd_frame_sizes_are_buffered_not_lost():
    speech = speech_16k("Hvad koster et pas")
    events = feed_in_frames(Endpointer(SileroVad()), SILENCE_1S + speech + SILENCE_1S, frame_bytes=333 * 2 + 0)
    assert [type(e).__name__ for e in events] == ["SpeechStarted", "UtteranceEnded"]
