"""Text-to-speech with the real engines: Piper (in its worker process) and espeak-ng.

The Piper tests need a real voice: models/tts/en_US-joe-medium/en_US-joe-medium.onnx (placed by
``muni models install``) or the path in MUNI_TEST_PIPER_VOICE; they are skipped otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path

import pytest

from muni_core.paths import REPO_ROOT
from voice_gateway.speech.audio import rms_dbfs
from voice_gateway.speech.tts import (
    CachedPrompts,
    EspeakTextToSpeech,
    PiperTextToSpeech,
    TtsError,
    create_tts,
    parse_wav,
)
from voice_gateway.speech.types import AudioChunk, TextToSpeech

REPO = REPO_ROOT
REPO_VOICE = REPO / "models" / "tts" / "en_US-joe-medium" / "en_US-joe-medium.onnx"

LONG_1 = "This first sentence is deliberately rather long, so that synthesising it takes a noticeable moment."
LONG_2 = "The second sentence is also quite long, and it talks about passports, driving licences and waste."
LONG_3 = "Finally the third sentence closes this answer with a few more words about opening hours."
SHORT = "Good morning."


def _piper_voice() -> Path:
    if REPO_VOICE.is_file():
        return REPO_VOICE
    configured = os.environ.get("MUNI_TEST_PIPER_VOICE")
    if configured and Path(configured).is_file():
        return Path(configured)
    pytest.skip(
        f"no Piper test voice: run `muni models install` (expects {REPO_VOICE.relative_to(REPO)}) "
        "or set MUNI_TEST_PIPER_VOICE to an .onnx voice"
    )


@pytest.fixture(scope="module")
def piper_voice() -> Path:
    return _piper_voice()


@pytest.fixture
async def piper(piper_voice: Path) -> AsyncIterator[PiperTextToSpeech]:
    tts = PiperTextToSpeech(piper_voice, workers=1)
    await tts.start()
    try:
        yield tts
    finally:
        await tts.close()


def _voice_rate(voice: Path) -> int:
    return json.loads(Path(f"{voice}.json").read_text(encoding="utf-8"))["audio"]["sample_rate"]


async def _collect(tts: object, text: str) -> list[AudioChunk]:
    return [chunk async for chunk in tts.synthesize(text)]  # type: ignore[attr-defined]


def _child_pids() -> set[int]:
    pids: set[int] = set()
    for children in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        pids.update(int(pid) for pid in children.read_text().split())
    return pids


def _read_frames(data: bytes) -> list[bytes]:
    frames, offset = [], 0
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        frames.append(data[offset + 4 : offset + 4 + length])
        offset += 4 + length
    return frames


# --------------------------------------------------------------------------------------------------
# Piper


async def test_piper_yields_one_non_silent_chunk_per_sentence(piper: PiperTextToSpeech, piper_voice: Path) -> None:
    chunks = await _collect(piper, "Hello, this is the first sentence. And here comes the second one.")
    assert len(chunks) == 2
    assert piper.sample_rate == _voice_rate(piper_voice)
    for chunk in chunks:
        assert chunk.sample_rate == piper.sample_rate
        assert chunk.duration_s > 0.5
        assert rms_dbfs(chunk.pcm) > -35


async def test_piper_first_audio_arrives_before_the_answer_is_done(piper: PiperTextToSpeech) -> None:
    started = time.monotonic()
    arrivals = []
    async for _chunk in piper.synthesize(f"{LONG_1} {LONG_2} {LONG_3}"):
        arrivals.append(time.monotonic() - started)
    finished = time.monotonic() - started
    assert len(arrivals) == 3
    # the first sentence is not held back until the rest is synthesised
    assert arrivals[0] < 0.7 * finished, (arrivals, finished)


async def test_piper_empty_text_yields_nothing(piper: PiperTextToSpeech) -> None:
    assert await _collect(piper, "") == []
    assert await _collect(piper, "  \n 👍 ") == []


async def test_piper_break_off_then_next_request_gets_only_its_own_audio(piper: PiperTextToSpeech) -> None:
    reference = await _collect(piper, SHORT)
    assert len(reference) == 1

    chunks = piper.synthesize(f"{LONG_1} {LONG_2} {LONG_3}")
    async for first in chunks:
        assert first.duration_s > 3  # the long first sentence
        break
    del chunks  # the caller barged in and dropped the iterator

    again = await _collect(piper, SHORT)
    assert len(again) == 1
    # the short greeting, not the long leftover sentence (Piper's audio varies a little between runs)
    assert abs(again[0].duration_s - reference[0].duration_s) < 0.35 * reference[0].duration_s


async def test_piper_cancelled_consumer_leaves_a_clean_worker(piper: PiperTextToSpeech) -> None:
    received: list[AudioChunk] = []

    async def speak() -> None:
        async for chunk in piper.synthesize(f"{LONG_1} {LONG_2} {LONG_3}"):
            received.append(chunk)

    task = asyncio.create_task(speak())
    while not received:
        await asyncio.sleep(0.01)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task

    chunks = await _collect(piper, SHORT)
    assert len(chunks) == 1
    assert chunks[0].duration_s < 2.5


async def test_piper_killed_worker_fails_the_answer_then_recovers(piper: PiperTextToSpeech) -> None:
    (old_pid,) = piper.worker_pids
    chunks = piper.synthesize(f"{SHORT} {LONG_1} {LONG_2}")
    first = await anext(chunks)
    assert first.pcm
    os.kill(old_pid, signal.SIGKILL)  # the next sentence is being synthesised right now
    with pytest.raises(TtsError, match="exited"):
        await anext(chunks)
    await chunks.aclose()

    after = await asyncio.wait_for(_collect(piper, "The worker is back."), 60)
    assert len(after) == 1 and rms_dbfs(after[0].pcm) > -35
    assert piper.worker_pids and piper.worker_pids != [old_pid]
    assert not Path(f"/proc/{old_pid}").exists()  # reaped, not a zombie


async def test_piper_hung_worker_times_out_and_is_replaced(piper: PiperTextToSpeech) -> None:
    (old_pid,) = piper.worker_pids
    piper.sentence_timeout_s = 1.0
    os.kill(old_pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(TtsError, match="no audio within"):
            await _collect(piper, SHORT)
        assert time.monotonic() - started < 5
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(old_pid, signal.SIGCONT)
    piper.sentence_timeout_s = 30.0
    after = await asyncio.wait_for(_collect(piper, SHORT), 60)
    assert len(after) == 1
    assert piper.worker_pids != [old_pid]


async def test_piper_concurrent_answers_share_the_pool(piper: PiperTextToSpeech) -> None:
    first, second = await asyncio.gather(
        _collect(piper, f"{LONG_1} {LONG_2}"), _collect(piper, f"{SHORT} {LONG_3} {SHORT}")
    )
    assert len(first) == 2
    assert len(second) == 3
    assert all(rms_dbfs(chunk.pcm) > -35 for chunk in first + second)


async def test_piper_missing_voice_gives_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "da_DK-talesyntese-medium.onnx"
    tts = PiperTextToSpeech(missing)
    with pytest.raises(TtsError, match=r"Piper voice not found: .*da_DK-talesyntese-medium\.onnx"):
        await tts.start()
    with pytest.raises(TtsError, match="da_DK-talesyntese-medium"):
        await _collect(tts, "Hej.")
    await tts.close()


async def test_piper_broken_voice_names_the_voice_when_the_worker_dies(tmp_path: Path, piper_voice: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"this is not an onnx model")
    shutil.copy(f"{piper_voice}.json", f"{broken}.json")
    tts = PiperTextToSpeech(broken)
    with pytest.raises(TtsError, match=r"broken\.onnx exited before it was ready"):
        await tts.start()
    assert tts.worker_pids == []
    await tts.close()


async def test_piper_close_leaves_no_child_processes(piper_voice: Path) -> None:
    tts = PiperTextToSpeech(piper_voice, workers=2)
    await tts.start()
    pids = tts.worker_pids
    assert len(pids) == 2 and set(pids) <= _child_pids()
    chunks = tts.synthesize(f"{LONG_1} {LONG_2}")
    await anext(chunks)  # close while a sentence is in flight
    await tts.close()
    await chunks.aclose()
    assert tts.worker_pids == []
    assert not set(pids) & _child_pids()
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists()  # exited and reaped
    with pytest.raises(TtsError, match="closed"):
        await _collect(tts, "Hello.")


def test_piper_worker_protocol(piper_voice: Path) -> None:
    requests = json.dumps({"id": 7, "text": "Hello there."}) + "\n" + json.dumps({"id": 8, "text": ""}) + "\nnot json\n"
    result = subprocess.run(
        [sys.executable, "-m", "voice_gateway.speech.piper_worker", "--model", str(piper_voice)],
        input=requests.encode(),
        capture_output=True,
        timeout=120,
        check=True,
        cwd=REPO,
    )
    frames = _read_frames(result.stdout)
    rate = _voice_rate(piper_voice)
    assert json.loads(frames[0]) == {"ready": True, "sample_rate": rate}
    assert json.loads(frames[1]) == {"id": 7, "sample_rate": rate}
    end = frames.index(b"", 2)
    assert end > 2 and all(len(frame) % 2 == 0 for frame in frames[2:end])
    assert json.loads(frames[end + 1]) == {"id": 8, "sample_rate": rate}
    assert frames[end + 2] == b""
    assert "error" in json.loads(frames[end + 3])
    assert frames[end + 4 :] == [b""]
    assert b"loaded" in result.stderr


# --------------------------------------------------------------------------------------------------
# espeak-ng

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


@needs_espeak
async def test_espeak_speaks_danish_sentence_by_sentence() -> None:
    tts = EspeakTextToSpeech(voice="da")
    await tts.start()
    chunks = await _collect(tts, "Borgerservice har åbent kl. 10-15. Husk at bestille tid på borger.dk.")
    assert len(chunks) == 2
    for chunk in chunks:
        assert chunk.sample_rate == tts.sample_rate == 22050
        assert chunk.duration_s > 0.8
        assert rms_dbfs(chunk.pcm) > -35
    assert await _collect(tts, " ") == []
    await tts.close()


@needs_espeak
async def test_espeak_resamples_and_takes_text_starting_with_a_dash() -> None:
    tts = EspeakTextToSpeech(voice="da", sample_rate=8000, speed=200)
    chunks = await _collect(tts, "--help er ikke en kommando. Det er bare tekst.")
    assert [chunk.sample_rate for chunk in chunks] == [8000, 8000]
    assert all(rms_dbfs(chunk.pcm) > -35 for chunk in chunks)


@needs_espeak
async def test_espeak_unknown_voice_gives_a_clear_error() -> None:
    with pytest.raises(TtsError, match="espeak-ng"):
        await EspeakTextToSpeech(voice="xx-nonexistent").start()


@needs_espeak
def test_parse_wav_tolerates_espeak_stdout_lengths() -> None:
    wav = subprocess.run(["espeak-ng", "-v", "da", "--stdout", "Hej"], capture_output=True, check=True).stdout
    assert struct.unpack("<I", wav[40:44])[0] > len(wav)  # espeak's streamed header claims ~2 GB
    pcm, rate = parse_wav(wav)
    assert rate == 22050
    assert len(pcm) == len(wav) - 44


def test_parse_wav_rejects_garbage() -> None:
    with pytest.raises(TtsError):
        parse_wav(b"not a wav file at all")


# --------------------------------------------------------------------------------------------------
# Cached prompts and engine choice


class CountingTts(TextToSpeech):
    """Wraps an engine and counts syntheses."""

    def __init__(self, inner: EspeakTextToSpeech) -> None:
        self.inner = inner
        self.calls: list[str] = []

    @property
    def sample_rate(self) -> int:
        return self.inner.sample_rate

    async def synthesize(self, text: str) -> AsyncGenerator[AudioChunk, None]:
        self.calls.append(text)
        async for chunk in self.inner.synthesize(text):
            yield chunk

    async def close(self) -> None:
        await self.inner.close()


@needs_espeak
async def test_cached_prompts_are_synthesised_once() -> None:
    tts = CountingTts(EspeakTextToSpeech(voice="da"))
    prompts = CachedPrompts(tts, max_entries=2)
    greeting = "Hej, du taler med Muni. Hvad kan jeg hjælpe med?"
    first, second, third = await asyncio.gather(
        prompts.get(greeting), prompts.get(greeting), prompts.get(f"  {greeting} ")
    )
    assert tts.calls == [greeting]
    assert first is second is third
    assert first.sample_rate == tts.sample_rate and first.duration_s > 2 and rms_dbfs(first.pcm) > -35
    # one chunk holding both sentences
    assert first.duration_s > max(c.duration_s for c in await _collect(tts.inner, greeting))

    await prompts.warm(["Et øjeblik.", "Farvel."])
    assert tts.calls == [greeting, "Et øjeblik.", "Farvel."]
    assert len(prompts) == 2 and greeting not in prompts  # least recently used dropped
    await prompts.get("Et øjeblik.")
    assert len(tts.calls) == 3


async def test_create_tts_falls_back_to_espeak_with_a_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    caplog.set_level(logging.INFO, logger="voice_gateway.speech.tts")
    assert isinstance(create_tts(None), EspeakTextToSpeech)
    missing = tmp_path / "da_DK-talesyntese-medium.onnx"
    assert isinstance(create_tts(str(missing)), EspeakTextToSpeech)
    assert any("falling back to espeak-ng" in r.message and str(missing) in r.message for r in caplog.records)


def test_create_tts_warns_when_the_voice_is_not_danish(piper_voice: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="voice_gateway.speech.tts")
    tts = create_tts(str(piper_voice))
    assert isinstance(tts, PiperTextToSpeech)
    assert tts.sample_rate == _voice_rate(piper_voice)
    assert any("not Danish" in record.message for record in caplog.records)


def test_create_tts_without_any_engine_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TtsError, match=r"no text-to-speech engine available: .*missing\.onnx not found.*espeak-ng"):
        create_tts(str(tmp_path / "missing.onnx"))
