"""Speech-to-text with faster-whisper (CTranslate2): one utterance of 16 kHz PCM16 in, one Transcript out.

The model is any CTranslate2 Whisper directory (``model.bin``, ``config.json``, ``tokenizer.json``,
``vocabulary.json``). The default, ``models/stt/whisper-base`` (installed by ``muni models install``),
is a development model only: its Danish word error rate is far too high for production, where a
Danish fine-tune converted with ``ct2-transformers-converter`` is plugged in by path
(``SttSettings(model_dir=...)`` or ``MUNI_STT_MODEL_DIR``).

Decoding is tuned for short phone utterances that the gateway has already endpointed: Danish, greedy
(beam 1), temperature 0 without fallback, no timestamps, no VAD, no conditioning on earlier text,
a prompt of municipal domain words and a bound on new tokens derived from the audio length. Audio
quieter than ``min_rms_dbfs`` is rejected as silence before inference; every result passes the
hallucination guard (:mod:`voice_gateway.speech.hallucination`).

Inference runs in a bounded thread pool (``workers`` threads; CTranslate2 releases the GIL) and an
:class:`asyncio.Semaphore` lets only ``workers`` utterances into it at a time, so a burst of callers
waits on the event loop (cheaply, cancellably) instead of queueing work nobody may still want.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voice_gateway.paths import DEFAULT_STT_MODEL_DIR
from voice_gateway.speech.audio import pcm_to_float, rms_dbfs
from voice_gateway.speech.hallucination import GuardSettings, guard
from voice_gateway.speech.types import STT_SAMPLE_RATE, SpeechToText, Transcript

log = logging.getLogger(__name__)

MODEL_DIR_ENV = "MUNI_STT_MODEL_DIR"
REQUIRED_MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")

DEFAULT_PROMPT = (
    "Borgerservice, jobcenter, pas, kørekort, sundhedskort, MitID, NemID, boligstøtte, affald, "
    "lægetid, tid, bestille, aflyse, flytte, ja, nej, medarbejder, åbningstider."
)

# Whisper's tokenizer needs about two tokens per Danish word; three leaves room for names and numbers.
TOKENS_PER_WORD = 3
MIN_AUDIO_S = 0.1


def default_model_dir() -> Path:
    """``MUNI_STT_MODEL_DIR`` when set, else ``models/stt/whisper-base`` in the checkout."""
    configured = os.environ.get(MODEL_DIR_ENV, "").strip()
    return Path(configured).expanduser() if configured else DEFAULT_STT_MODEL_DIR


class SttModelMissing(FileNotFoundError):
    """The configured Whisper model directory is incomplete; the message names the missing path."""


@dataclass(frozen=True)
class SttSettings:
    """How the recogniser is loaded and how it decodes and guards its output."""

    model_dir: Path = field(default_factory=default_model_dir)
    device: str = "cpu"
    compute_type: str = "int8"
    cpu_threads: int = 0
    """Threads per transcription; 0 = CTranslate2's default (4, or OMP_NUM_THREADS)."""
    workers: int = 1
    """Transcriptions that run in parallel (model replicas in CTranslate2, threads in the pool)."""
    language: str = "da"
    initial_prompt: str = DEFAULT_PROMPT
    max_words_per_second: float = 4.5
    min_confidence: float = 0.2
    max_audio_s: float = 30.0
    """Longer utterances are cut to their first ``max_audio_s`` seconds (Whisper's window is 30 s)."""
    no_speech_threshold: float = 0.75
    log_prob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    min_rms_dbfs: float | None = -60.0
    """Quieter audio is rejected as ``silence`` without inference (Whisper invents text on silence); None = off."""

    def guard_settings(self) -> GuardSettings:
        """The hallucination guard's thresholds taken from these settings."""
        return GuardSettings(
            no_speech_threshold=self.no_speech_threshold,
            log_prob_threshold=self.log_prob_threshold,
            compression_ratio_threshold=self.compression_ratio_threshold,
            max_words_per_second=self.max_words_per_second,
            min_confidence=self.min_confidence,
            prompt=self.initial_prompt,
        )


def check_model_dir(model_dir: Path) -> None:
    """Raise :class:`SttModelMissing` naming the first missing file of a CTranslate2 Whisper directory."""
    for name in REQUIRED_MODEL_FILES:
        path = Path(model_dir) / name
        if not path.is_file():
            raise SttModelMissing(
                f"Talegenkendelsesmodellen mangler: {path} findes ikke. Installer den med 'make models' "
                f"(muni models install), eller peg {MODEL_DIR_ENV} på en CTranslate2 Whisper-mappe."
            )


class WhisperSpeechToText(SpeechToText):
    """The :class:`~voice_gateway.speech.types.SpeechToText` of the gateway, on faster-whisper.

    The model is loaded once, in the constructor (blocking, well under a second for whisper-base).
    """

    def __init__(self, settings: SttSettings | None = None) -> None:
        """Load the model of ``settings.model_dir``; raises :class:`SttModelMissing` when it is incomplete."""
        from faster_whisper import WhisperModel

        self.settings = settings or SttSettings()
        if self.settings.workers < 1:
            raise ValueError("workers must be at least 1")
        check_model_dir(self.settings.model_dir)
        started = time.perf_counter()
        self._model = WhisperModel(
            str(self.settings.model_dir),
            device=self.settings.device,
            compute_type=self.settings.compute_type,
            cpu_threads=self.settings.cpu_threads,
            num_workers=self.settings.workers,
            local_files_only=True,
        )
        self._guard = self.settings.guard_settings()
        self._max_length = int(getattr(self._model, "max_length", 448))
        self._prompt_tokens = self._count_prompt_tokens()
        self._executor = ThreadPoolExecutor(max_workers=self.settings.workers, thread_name_prefix="whisper")
        self._semaphores: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}
        log.info(
            "Whisper model %s loaded in %.2f s (device=%s, compute_type=%s, workers=%d)",
            self.settings.model_dir, time.perf_counter() - started, self.settings.device,
            self.settings.compute_type, self.settings.workers,
        )  # fmt: skip

    def _count_prompt_tokens(self) -> int:
        prompt = self.settings.initial_prompt.strip()
        if not prompt:
            return 0
        tokenizer = getattr(self._model, "hf_tokenizer", None)
        if tokenizer is None:
            return self._max_length // 2
        return min(len(tokenizer.encode(" " + prompt, add_special_tokens=False).ids), self._max_length // 2 - 1)

    def max_new_tokens(self, audio_s: float) -> int:
        """The decoding bound for ``audio_s`` seconds: room for the plausible words, within the model's length."""
        plausible_words = self.settings.max_words_per_second * audio_s + 3
        wanted = math.ceil(plausible_words * TOKENS_PER_WORD) + 4
        # The sequence holds <|startofprev|>, the prompt, <|startoftranscript|>, language, task and
        # <|notimestamps|> before the new tokens; faster-whisper refuses a bound past max_length.
        room = self._max_length - self._prompt_tokens - 6
        return max(1, min(wanted, room))

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            self._semaphores = {known: sem for known, sem in self._semaphores.items() if not known.is_closed()}
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self.settings.workers)
        return semaphore

    async def transcribe(self, pcm16k: bytes) -> Transcript:
        """Transcribe one endpointed utterance (mono PCM16 at 16 kHz) off the event loop."""
        if len(pcm16k) % 2:
            pcm16k = pcm16k[:-1]
        max_bytes = int(self.settings.max_audio_s * STT_SAMPLE_RATE) * 2
        if len(pcm16k) > max_bytes:
            log.warning(
                "Utterance of %.1f s cut to %.1f s", len(pcm16k) / 2 / STT_SAMPLE_RATE, self.settings.max_audio_s
            )
            pcm16k = pcm16k[:max_bytes]
        audio_s = len(pcm16k) / 2 / STT_SAMPLE_RATE
        if audio_s < MIN_AUDIO_S:
            return Transcript(text="", confidence=0.0, audio_s=audio_s, stt_s=0.0, rejected="empty")
        if self.settings.min_rms_dbfs is not None and rms_dbfs(pcm16k) < self.settings.min_rms_dbfs:
            return Transcript(text="", confidence=0.0, audio_s=audio_s, stt_s=0.0, rejected="silence")
        async with self._semaphore():
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, self._transcribe_sync, pcm16k, audio_s)

    def _transcribe_sync(self, pcm16k: bytes, audio_s: float) -> Transcript:
        """Decode and guard one utterance (runs in the worker pool)."""
        started = time.perf_counter()
        segments, _info = self._model.transcribe(pcm_to_float(pcm16k), **self._decode_options(audio_s))
        decoded = list(segments)
        result = guard(decoded, audio_s, self._guard)
        stt_s = time.perf_counter() - started
        if result.rejected:
            log.info("Transcript rejected (%s) after %.2f s for %.2f s of audio", result.rejected, stt_s, audio_s)
            log.debug("Rejected raw text: %r", " ".join(segment.text.strip() for segment in decoded))
        else:
            log.debug("Transcript %r (confidence %.2f) in %.2f s", result.text, result.confidence, stt_s)
        return Transcript(
            text=result.text, confidence=result.confidence, audio_s=audio_s, stt_s=stt_s, rejected=result.rejected
        )

    def _decode_options(self, audio_s: float) -> dict[str, Any]:
        settings = self.settings
        return {
            "language": settings.language,
            "task": "transcribe",
            "beam_size": 1,
            "best_of": 1,
            "temperature": 0.0,
            "condition_on_previous_text": False,
            "without_timestamps": True,
            "vad_filter": False,
            "initial_prompt": settings.initial_prompt or None,
            "suppress_blank": True,
            # Thresholds go to faster-whisper too (its fallback bookkeeping), but no_speech_threshold stays
            # None there so that silent segments reach the guard, which drops them with the reason logged.
            "log_prob_threshold": settings.log_prob_threshold,
            "compression_ratio_threshold": settings.compression_ratio_threshold,
            "no_speech_threshold": None,
            "max_new_tokens": self.max_new_tokens(audio_s),
        }

    async def close(self) -> None:
        """Stop the worker threads (running transcriptions finish first)."""
        await asyncio.get_running_loop().run_in_executor(None, self._executor.shutdown, True)
