"""Speech-to-text: settings, the worker pool's back-pressure (stub model) and real inference on espeak-ng Danish.

The real-inference tests use models/stt/whisper-base (``make models``) or ``MUNI_STT_MODEL_DIR`` and
skip with the reason when neither holds a model. They load the model once for the module.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from audio_fixtures import phone_utterance_16k, silence, white_noise

from voice_gateway.speech import stt as stt_module
from voice_gateway.speech.stt import SttModelMissing, SttSettings, WhisperSpeechToText, check_model_dir
from voice_gateway.speech.types import Transcript

# --- settings and the missing model --------------------------------------------------------------------------


def test_model_dir_defaults_to_the_checkout_and_honours_the_env_var(monkeypatch) -> None:
    monkeypatch.delenv("MUNI_STT_MODEL_DIR", raising=False)
    assert SttSettings().model_dir == Path(__file__).resolve().parents[2] / "models" / "stt" / "whisper-base"
    monkeypatch.setenv("MUNI_STT_MODEL_DIR", "/opt/models/roest")
    assert SttSettings().model_dir == Path("/opt/models/roest")


def test_defaults_are_greedy_danish_on_cpu_int8() -> None:
    settings = SttSettings()
    assert (settings.device, settings.compute_type, settings.language, settings.workers) == ("cpu", "int8", "da", 1)
    for word in ("jobcenter", "borgerservice", "kørekort", "sundhedskort", "MitID", "åbningstider", "medarbejder"):
        assert word.lower() in settings.initial_prompt.lower()


def test_missing_model_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(SttModelMissing, match=re.escape(f"{tmp_path / 'model.bin'} findes ikke")):
        WhisperSpeechToText(SttSettings(model_dir=tmp_path))
    (tmp_path / "model.bin").write_bytes(b"")
    with pytest.raises(SttModelMissing, match=r"config\.json findes ikke"):
        check_model_dir(tmp_path)


# --- the worker pool with a stub model (no inference) ------------------------------------------------------------


class StubWhisper:
    """Stands in for faster_whisper.WhisperModel: records options and how many calls overlap."""

    max_length = 448

    def __init__(self, *_args: Any, **kwargs: Any) -> None:
        self.init_kwargs = kwargs
        self.calls: list[dict[str, Any]] = []
        self.active = 0
        self.most_active = 0
        self.lock = threading.Lock()
        self.hf_tokenizer = SimpleNamespace(encode=lambda text, add_special_tokens: SimpleNamespace(ids=text.split()))

    def transcribe(self, audio: Any, **options: Any) -> tuple[list[SimpleNamespace], None]:
        with self.lock:
            self.active += 1
            self.most_active = max(self.most_active, self.active)
            self.calls.append(options)
        time.sleep(0.05)
        with self.lock:
            self.active -= 1
        return [
            SimpleNamespace(
                text=" Jeg vil gerne have et pas.", avg_logprob=-0.2, no_speech_prob=0.1, compression_ratio=1.1
            )
        ], None


@pytest.fixture
def stub_stt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WhisperSpeechToText:
    import faster_whisper

    for name in ("model.bin", "config.json", "tokenizer.json"):
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setattr(faster_whisper, "WhisperModel", StubWhisper)
    return WhisperSpeechToText(SttSettings(model_dir=tmp_path, workers=2, cpu_threads=1))


async def test_back_pressure_bounds_parallel_inference(stub_stt: WhisperSpeechToText) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    tick_task = asyncio.create_task(ticker())
    speech = white_noise(1.0)
    results = await asyncio.gather(*(stub_stt.transcribe(speech) for _ in range(10)))
    tick_task.cancel()
    model = stub_stt._model
    assert [r.text for r in results] == ["Jeg vil gerne have et pas."] * 10
    assert model.most_active == 2  # never more than `workers` at once
    assert ticks >= 10  # the event loop kept running while the pool worked
    assert model.init_kwargs == {
        "device": "cpu", "compute_type": "int8", "cpu_threads": 1, "num_workers": 2, "local_files_only": True,
    }  # fmt: skip
    options = model.calls[0]
    assert options["language"] == "da" and options["beam_size"] == 1 and options["temperature"] == 0.0
    assert options["vad_filter"] is False and options["condition_on_previous_text"] is False
    assert options["without_timestamps"] is True and options["suppress_blank"] is True
    assert options["max_new_tokens"] == stub_stt.max_new_tokens(1.0)
    await stub_stt.close()


async def test_silence_and_empty_audio_skip_inference(stub_stt: WhisperSpeechToText) -> None:
    assert (await stub_stt.transcribe(b"")).rejected == "empty"
    quiet = await stub_stt.transcribe(silence(2.0))
    assert (quiet.text, quiet.rejected, quiet.audio_s) == ("", "silence", 2.0)
    assert stub_stt._model.calls == []


async def test_long_audio_is_cut_to_max_audio_s(stub_stt: WhisperSpeechToText) -> None:
    result = await stub_stt.transcribe(white_noise(31.0))
    assert result.audio_s == 30.0


def test_max_new_tokens_grows_with_audio_and_fits_the_model(stub_stt: WhisperSpeechToText) -> None:
    short, longer, longest = (stub_stt.max_new_tokens(s) for s in (1.0, 5.0, 30.0))
    assert 0 < short < longer <= longest
    assert longest + stub_stt._prompt_tokens + 6 <= 448


# --- real inference -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def whisper() -> WhisperSpeechToText:
    model_dir = SttSettings().model_dir
    try:
        check_model_dir(model_dir)
    except SttModelMissing:
        pytest.skip(f"ingen Whisper-model i {model_dir}: kør 'make models' eller sæt MUNI_STT_MODEL_DIR")
    return WhisperSpeechToText(SttSettings(model_dir=model_dir))


@pytest.mark.parametrize("words_per_minute", [130, 160, 190])
async def test_a_danish_word_it_reliably_hears_gives_its_transcript(
    whisper: WhisperSpeechToText, words_per_minute: int
) -> None:
    # The pipeline's contract (audio → understood transcript with confidence and timing), tested with a word
    # whisper-base hears at every espeak-ng rate tried. What it makes of whole Danish sentences depends on the
    # machine (CPU kernels, espeak-ng version): that is recognition quality, a figure of `muni bench voice`.
    result = await whisper.transcribe(phone_utterance_16k("Kørekort", words_per_minute))
    assert result.understood, result
    assert "kørekort" in result.text.lower(), result
    assert 0.0 < result.confidence <= 1.0
    assert result.stt_s > 0.0


async def test_digital_silence_is_rejected_also_by_the_model(whisper: WhisperSpeechToText, monkeypatch) -> None:
    assert (await whisper.transcribe(silence(2.0))).rejected == "silence"
    monkeypatch.setattr(whisper, "settings", dataclasses.replace(whisper.settings, min_rms_dbfs=None))
    result = await whisper.transcribe(silence(2.0))  # what Whisper makes of it goes through the guard
    assert result.text == "" and result.rejected, result


async def test_white_noise_is_rejected(whisper: WhisperSpeechToText) -> None:
    result = await whisper.transcribe(white_noise(2.0))
    assert result.text == "" and result.rejected, result


async def test_ten_concurrent_transcriptions_complete(whisper: WhisperSpeechToText) -> None:
    clip = phone_utterance_16k("ja")
    results = await asyncio.wait_for(asyncio.gather(*(whisper.transcribe(clip) for _ in range(10))), timeout=120)
    assert len(results) == 10 and all(isinstance(r, Transcript) for r in results)
    assert len({(r.text, r.rejected) for r in results}) == 1  # same audio, same greedy decoding


def test_module_exports() -> None:
    assert stt_module.DEFAULT_STT_MODEL_DIR.parts[-3:] == ("models", "stt", "whisper-base")
