"""Text-to-speech for the voice gateway: Piper voices in worker processes, espeak-ng as a fallback.

Both engines implement :class:`voice_gateway.speech.types.TextToSpeech`: ``synthesize(text)`` cleans
the text, splits it into sentences (:mod:`voice_gateway.speech.sentences`) and yields one
:class:`AudioChunk` per sentence as soon as that sentence is done, while the next one is already
being synthesised. Use :func:`create_tts` to pick the engine from configuration.

Piper is GPL-3.0 and is never imported here: it runs in ``voice_gateway.speech.piper_worker``
processes that this module starts and talks to over pipes (see that module for the protocol).

A consumer that stops early (the caller barged in) should close the iterator
(``async with contextlib.aclosing(tts.synthesize(text)) as chunks``); a dropped iterator is closed
by the event loop soon after. Either way the sentence still being synthesised is discarded by
request id, so the next answer never gets leftovers of the previous one.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import io
import itertools
import json
import logging
import os
import shutil
import struct
import sys
import time
import wave
from collections import OrderedDict, deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from pathlib import Path

import numpy as np

from muni_core.paths import REPO_ROOT
from voice_gateway.speech.audio import resample
from voice_gateway.speech.sentences import clean_for_speech, split_sentences
from voice_gateway.speech.types import AudioChunk, TextToSpeech

LOG = logging.getLogger(__name__)

WORKER_MODULE = "voice_gateway.speech.piper_worker"
DEFAULT_START_TIMEOUT_S = 60.0
DEFAULT_SENTENCE_TIMEOUT_S = 30.0
ESPEAK_SAMPLE_RATE = 22_050
_FRAME_LENGTH = struct.Struct(">I")
_STDERR_TAIL_LINES = 20
_CRASH_LOOP_COUNT = 3  # this many crashes within the window stop the automatic restart
_CRASH_LOOP_WINDOW_S = 30.0
_STREAM_LIMIT = 1 << 22  # reading pauses above twice this; asyncio's wait() then hangs until it is read


class TtsError(RuntimeError):
    """Speech could not be synthesised (engine missing, worker crashed or timed out, bad voice)."""


# --------------------------------------------------------------------------------------------------
# Shared: sentence-by-sentence streaming with one sentence synthesised ahead


async def _stream_sentences(
    sentences: Sequence[str], synthesize_one: Callable[[str], Awaitable[AudioChunk]]
) -> AsyncGenerator[AudioChunk, None]:
    """Yield the audio of each sentence in order; sentence k+1 is synthesised while the consumer has chunk k.

    Closing the iterator or cancelling the consumer cancels the sentence in progress.
    """
    tasks: deque[asyncio.Future[AudioChunk]] = deque()
    try:
        for index in range(len(sentences)):
            if not tasks:
                tasks.append(asyncio.ensure_future(synthesize_one(sentences[index])))
            chunk = await tasks[0]
            tasks.popleft()
            if index + 1 < len(sentences):
                tasks.append(asyncio.ensure_future(synthesize_one(sentences[index + 1])))
            if chunk.pcm:
                yield chunk
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
            task.add_done_callback(_ignore_result)


def _ignore_result(task: asyncio.Future[AudioChunk]) -> None:
    """Retrieve the outcome of an abandoned task so asyncio does not log it as never retrieved."""
    if not task.cancelled():
        task.exception()


def _prepare(text: str) -> list[str]:
    """The sentences of ``text`` to synthesise (empty for empty or unspeakable text)."""
    if not text or not text.strip():
        return []
    return split_sentences(clean_for_speech(text))


# --------------------------------------------------------------------------------------------------
# Piper: a pool of worker processes


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    """One length-prefixed frame of the worker protocol."""
    (length,) = _FRAME_LENGTH.unpack(await reader.readexactly(_FRAME_LENGTH.size))
    return await reader.readexactly(length) if length else b""


class _PiperProcess:
    """One Piper worker process: starts it, matches responses to requests by id, restarts it after a crash."""

    def __init__(self, index: int, argv: list[str], model_path: Path, start_timeout_s: float) -> None:
        """Prepare (but do not start) worker number ``index``."""
        self.index = index
        self._argv = argv
        self._model_path = model_path
        self._start_timeout_s = start_timeout_s
        self._proc: asyncio.subprocess.Process | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._stderr_task: asyncio.Task[None] | None = None
        self._restart_task: asyncio.Task[None] | None = None
        self._waiters: dict[int, asyncio.Future[tuple[bytes, int]]] = {}
        self._ids = itertools.count(1)
        self._stderr_tail: deque[str] = deque(maxlen=_STDERR_TAIL_LINES)
        self._lock = asyncio.Lock()
        self._closing = False
        self._killed = False
        self._crashes: deque[float] = deque(maxlen=_CRASH_LOOP_COUNT)
        self.sample_rate: int | None = None
        self.load_s: float | None = None

    @property
    def alive(self) -> bool:
        """Whether the process is running and its output is being read."""
        return (
            self._proc is not None
            and not self._killed
            and self._proc.returncode is None
            and self._reader_task is not None
            and not self._reader_task.done()
        )

    @property
    def pid(self) -> int | None:
        """Process id of the running worker."""
        return self._proc.pid if self._proc is not None and self._proc.returncode is None else None

    @property
    def outstanding(self) -> int:
        """Requests sent and not yet answered (or abandoned)."""
        return len(self._waiters)

    def _stderr_text(self) -> str:
        """The last lines the worker logged, for error messages."""
        return " | ".join(self._stderr_tail) or "no output"

    async def ensure_started(self) -> None:
        """Start the worker unless it runs; waits until the voice is loaded."""
        async with self._lock:
            if self.alive:
                return
            if self._closing:
                raise TtsError("the Piper text-to-speech engine is closed")
            await self._reap()
            await self._spawn()

    async def _spawn(self) -> None:
        """Start the process and wait for its ready frame."""
        started = time.monotonic()
        self._stderr_tail.clear()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        env.setdefault("PYTHONUNBUFFERED", "1")
        proc = await asyncio.create_subprocess_exec(
            *self._argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            limit=_STREAM_LIMIT,
        )
        assert proc.stdout is not None and proc.stderr is not None  # noqa: S101 - pipes requested above
        self._proc = proc
        self._killed = False
        self._stderr_task = asyncio.create_task(self._pump_stderr(proc.stderr, proc.pid))
        try:
            ready = json.loads(await asyncio.wait_for(_read_frame(proc.stdout), self._start_timeout_s))
            sample_rate = int(ready["sample_rate"])
        except TimeoutError:
            await self._kill_and_reap()
            raise TtsError(
                f"Piper voice {self._model_path} did not load within {self._start_timeout_s:.0f} s "
                f"(worker log: {self._stderr_text()})"
            ) from None
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, KeyError, TypeError) as error:
            await self._kill_and_reap()
            raise TtsError(
                f"Piper worker for voice {self._model_path} exited before it was ready "
                f"(exit code {proc.returncode}; worker log: {self._stderr_text()})"
            ) from error
        except BaseException:
            await self._kill_and_reap()
            raise
        self.sample_rate = sample_rate
        self.load_s = time.monotonic() - started
        self._reader_task = asyncio.create_task(self._read_responses(proc))
        LOG.info(
            "Piper worker %d (pid %d) ready in %.2f s: %s at %d Hz",
            self.index,
            proc.pid,
            self.load_s,
            self._model_path,
            sample_rate,
        )

    async def _pump_stderr(self, stream: asyncio.StreamReader, pid: int) -> None:
        """Forward the worker's log lines to this process's log and keep the last ones."""
        while line := await stream.readline():
            text = line.decode("utf-8", "replace").rstrip()
            if text:
                self._stderr_tail.append(text)
                problem = any(tag in text for tag in (" ERROR ", " WARNING ", " CRITICAL ", "Traceback"))
                LOG.log(logging.WARNING if problem else logging.DEBUG, "piper worker %d: %s", pid, text)

    async def _read_responses(self, proc: asyncio.subprocess.Process) -> None:
        """Read responses until the worker exits; hand each to its waiter or drop it when abandoned."""
        assert proc.stdout is not None  # noqa: S101 - pipe requested in _spawn
        reason = "closed its output"
        try:
            while True:
                header = json.loads(await _read_frame(proc.stdout))
                parts = []
                while frame := await _read_frame(proc.stdout):
                    parts.append(frame)
                waiter = self._waiters.pop(header.get("id"), None)
                if waiter is None or waiter.done():
                    LOG.debug("dropping audio of abandoned Piper request %s", header.get("id"))
                elif "error" in header:
                    waiter.set_exception(TtsError(f"Piper could not synthesise the sentence: {header['error']}"))
                else:
                    waiter.set_result((b"".join(parts), int(header.get("sample_rate") or self.sample_rate or 0)))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except (ValueError, AttributeError, TypeError) as error:
            reason = f"broke the protocol ({error})"
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            with contextlib.suppress(ConnectionError):
                await proc.stdout.read()  # to the end, so the pipe closes and wait() returns
        code = await proc.wait()
        message = f"Piper worker {self.index} (pid {proc.pid}) {reason} and exited with code {code}"
        if self._closing:
            LOG.debug("%s", message)
        else:
            LOG.error("%s; worker log: %s", message, self._stderr_text())
        self._fail_waiters(TtsError(f"{message} while synthesising speech"))
        if self._closing:
            return
        self._crashes.append(time.monotonic())
        if len(self._crashes) == _CRASH_LOOP_COUNT and self._crashes[-1] - self._crashes[0] < _CRASH_LOOP_WINDOW_S:
            LOG.error("Piper worker %d keeps crashing; it is restarted on the next request only", self.index)
        else:
            self._restart_task = asyncio.create_task(self._restart())

    async def _restart(self) -> None:
        """Start a fresh worker after a crash, so the next request does not wait for the voice to load."""
        try:
            await self.ensure_started()
        except TtsError as error:
            LOG.error("could not restart Piper worker %d: %s", self.index, error)

    def _fail_waiters(self, error: TtsError) -> None:
        """Fail every request still waiting for an answer."""
        waiters, self._waiters = self._waiters, {}
        for waiter in waiters.values():
            if not waiter.done():
                waiter.set_exception(error)

    async def synthesize(self, text: str, timeout_s: float) -> tuple[bytes, int]:
        """PCM16 and sample rate of one sentence; cancelling abandons the request (its audio is dropped)."""
        await self.ensure_started()
        proc = self._proc
        assert proc is not None and proc.stdin is not None  # noqa: S101 - ensure_started set it
        request_id = next(self._ids)
        waiter: asyncio.Future[tuple[bytes, int]] = asyncio.get_running_loop().create_future()
        self._waiters[request_id] = waiter
        try:
            line = json.dumps({"id": request_id, "text": text}, ensure_ascii=False) + "\n"
            proc.stdin.write(line.encode("utf-8"))
            await proc.stdin.drain()
            return await asyncio.wait_for(waiter, timeout_s)
        except ConnectionError as error:
            raise TtsError(f"Piper worker {self.index} stopped while synthesising speech") from error
        except TimeoutError:
            LOG.error("Piper worker %d gave no audio within %.0f s; killing it", self.index, timeout_s)
            self._killed = True  # not used again; the next request waits for a fresh worker
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            raise TtsError(f"Piper gave no audio within {timeout_s:.0f} s; the worker is restarted") from None
        finally:
            self._waiters.pop(request_id, None)

    async def _kill_and_reap(self) -> None:
        """Kill the process (if running) and wait for it and its stderr reader."""
        proc = self._proc
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        await self._reap()

    async def _reap(self) -> None:
        """Wait for an exited (or exiting) process and its reader tasks."""
        proc, self._proc = self._proc, None
        if proc is not None:
            await proc.wait()
        for task in (self._reader_task, self._stderr_task):
            if task is not None and task is not asyncio.current_task():
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._reader_task = self._stderr_task = None

    async def close(self, grace_s: float = 2.0) -> None:
        """Stop the worker: close its stdin, then terminate and finally kill it; no zombie is left."""
        self._closing = True
        if self._restart_task is not None and self._restart_task is not asyncio.current_task():
            self._restart_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._restart_task
        async with self._lock:
            proc = self._proc
            if proc is not None and proc.returncode is None:
                if proc.stdin is not None:
                    proc.stdin.close()
                for stop in (proc.terminate, proc.kill):
                    try:
                        await asyncio.wait_for(proc.wait(), grace_s)
                        break
                    except TimeoutError:
                        with contextlib.suppress(ProcessLookupError):
                            stop()
                else:
                    await proc.wait()
            await self._reap()
        self._fail_waiters(TtsError("the Piper text-to-speech engine was closed"))


class PiperTextToSpeech(TextToSpeech):
    """Piper voices synthesised by a pool of worker processes (GPL-3.0 engine kept behind a pipe).

    Each sentence goes to the least busy worker; an answer has at most one sentence queued ahead of
    what its consumer has taken (back-pressure), so a consumer that paces itself by playback does
    not hold a worker while it plays. Workers start on :meth:`start` or on first use; a crashed or
    hung worker fails its answer with :class:`TtsError` and is restarted.
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        workers: int = 1,
        length_scale: float | None = None,
        *,
        config_path: str | os.PathLike[str] | None = None,
        speaker: int | None = None,
        start_timeout_s: float = DEFAULT_START_TIMEOUT_S,
        sentence_timeout_s: float = DEFAULT_SENTENCE_TIMEOUT_S,
        python: str = sys.executable,
    ) -> None:
        """Describe the pool; nothing starts until :meth:`start` or the first :meth:`synthesize`."""
        if workers < 1:
            raise ValueError("a Piper pool needs at least one worker")
        self.model_path = Path(model_path)
        self.config_path = Path(config_path) if config_path else Path(f"{self.model_path}.json")
        self.sentence_timeout_s = sentence_timeout_s
        argv = [python, "-m", WORKER_MODULE, "--model", str(self.model_path), "--config", str(self.config_path)]
        if length_scale is not None:
            argv += ["--length-scale", str(length_scale)]
        if speaker is not None:
            argv += ["--speaker", str(speaker)]
        self._workers = [_PiperProcess(index, argv, self.model_path, start_timeout_s) for index in range(workers)]
        self._sample_rate: int | None = None
        self._closed = False

    @property
    def sample_rate(self) -> int:
        """Sample rate of the voice (from the running worker, else from the voice's .onnx.json)."""
        if self._sample_rate is None:
            self._sample_rate = int(read_voice_config(self.config_path)["audio"]["sample_rate"])
        return self._sample_rate

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the running workers."""
        return [pid for worker in self._workers if (pid := worker.pid) is not None]

    @property
    def load_s(self) -> float | None:
        """Seconds the slowest worker took to start and load the voice (None before start)."""
        times = [worker.load_s for worker in self._workers if worker.load_s is not None]
        return max(times) if times else None

    def _check_files(self) -> None:
        """Raise TtsError naming the path when the voice or its config is missing."""
        if not self.model_path.is_file():
            raise TtsError(f"Piper voice not found: {self.model_path}")
        if not self.config_path.is_file():
            raise TtsError(f"Piper voice config not found: {self.config_path} (expected next to {self.model_path})")

    async def start(self) -> None:
        """Start all workers and wait until each has loaded the voice."""
        if self._closed:
            raise TtsError("the Piper text-to-speech engine is closed")
        self._check_files()
        await asyncio.gather(*(worker.ensure_started() for worker in self._workers))
        self._sample_rate = self._workers[0].sample_rate

    async def synthesize(self, text: str) -> AsyncGenerator[AudioChunk, None]:
        """Yield the audio of ``text`` one sentence at a time (nothing for empty text)."""
        sentences = _prepare(text)
        if not sentences:
            return
        if self._closed:
            raise TtsError("the Piper text-to-speech engine is closed")
        self._check_files()
        async with contextlib.aclosing(_stream_sentences(sentences, self._synthesize_sentence)) as chunks:
            async for chunk in chunks:
                yield chunk

    async def _synthesize_sentence(self, sentence: str) -> AudioChunk:
        """Audio of one sentence from the least busy worker."""
        worker = min(self._workers, key=lambda w: (not w.alive, w.outstanding, w.index))
        pcm, rate = await worker.synthesize(sentence, self.sentence_timeout_s)
        self._sample_rate = rate
        return AudioChunk(pcm=pcm, sample_rate=rate)

    async def close(self) -> None:
        """Stop all workers."""
        self._closed = True
        await asyncio.gather(*(worker.close() for worker in self._workers))


# --------------------------------------------------------------------------------------------------
# espeak-ng


def parse_wav(data: bytes) -> tuple[bytes, int]:
    """Mono PCM16 and sample rate of a WAV file, tolerating the bogus lengths espeak-ng writes to --stdout."""
    try:
        with wave.open(io.BytesIO(data)) as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            pcm = wav.readframes(wav.getnframes())  # the data chunk's length may exceed what follows
    except (wave.Error, EOFError) as error:
        raise TtsError(f"espeak-ng gave no readable WAV audio ({error})") from error
    if width != 2:
        raise TtsError(f"espeak-ng gave {8 * width}-bit audio; 16-bit expected")
    frame = width * channels
    pcm = pcm[: len(pcm) - len(pcm) % frame]
    if channels > 1:
        samples = np.frombuffer(pcm, dtype="<i2").reshape(-1, channels).mean(axis=1)
        pcm = np.round(samples).astype("<i2").tobytes()
    return pcm, rate


class EspeakTextToSpeech(TextToSpeech):
    """espeak-ng (Danish by default): robotic but offline and always available; one short process per sentence."""

    def __init__(
        self,
        voice: str = "da",
        sample_rate: int | None = None,
        speed: int | None = None,
        *,
        pitch: int | None = None,
        executable: str = "espeak-ng",
        concurrency: int = 2,
        timeout_s: float = 20.0,
    ) -> None:
        """Use espeak-ng ``voice``; ``sample_rate`` resamples from espeak's 22.05 kHz, ``speed`` is words per minute.

        Raises TtsError when espeak-ng is not installed.
        """
        found = shutil.which(executable)
        if found is None:
            raise TtsError(f"espeak-ng not found (looked for {executable!r}); install the Debian package espeak-ng")
        self.executable = found
        self.voice = voice
        self.speed = speed
        self.pitch = pitch
        self.timeout_s = timeout_s
        self._sample_rate = sample_rate or ESPEAK_SAMPLE_RATE
        self._slots = asyncio.Semaphore(concurrency)

    @property
    def sample_rate(self) -> int:
        """Sample rate of the yielded audio."""
        return self._sample_rate

    def _argv(self) -> list[str]:
        """The espeak-ng command line; the text goes to stdin, never through a shell."""
        argv = [self.executable, "-v", self.voice, "--stdout", "--stdin", "-b", "1"]
        if self.speed is not None:
            argv += ["-s", str(self.speed)]
        if self.pitch is not None:
            argv += ["-p", str(self.pitch)]
        return argv

    async def start(self) -> None:
        """Check that espeak-ng runs and knows the voice (raises TtsError otherwise)."""
        chunk = await self._synthesize_sentence("Hej.")
        if not chunk.pcm:
            raise TtsError(f"espeak-ng voice {self.voice!r} produced no audio")

    async def synthesize(self, text: str) -> AsyncGenerator[AudioChunk, None]:
        """Yield the audio of ``text`` one sentence at a time (nothing for empty text)."""
        sentences = _prepare(text)
        async with contextlib.aclosing(_stream_sentences(sentences, self._synthesize_sentence)) as chunks:
            async for chunk in chunks:
                yield chunk

    async def _synthesize_sentence(self, sentence: str) -> AudioChunk:
        """Audio of one sentence from one espeak-ng process (killed if the caller gives up)."""
        async with self._slots:
            proc = await asyncio.create_subprocess_exec(
                *self._argv(),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                limit=_STREAM_LIMIT,
            )
            try:
                out, err = await asyncio.wait_for(proc.communicate(sentence.encode("utf-8")), self.timeout_s)
            except BaseException as error:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                with contextlib.suppress(ConnectionError):
                    await proc.communicate()  # read the pipes to their end so the process is reaped
                if isinstance(error, TimeoutError):
                    raise TtsError(f"espeak-ng gave no audio within {self.timeout_s:.0f} s") from None
                raise
        if proc.returncode != 0:
            message = err.decode("utf-8", "replace").strip() or f"exit code {proc.returncode}"
            raise TtsError(f"espeak-ng (voice {self.voice!r}) failed: {message}")
        pcm, rate = parse_wav(out)
        if rate != self._sample_rate:
            pcm = resample(pcm, rate, self._sample_rate)
        return AudioChunk(pcm=pcm, sample_rate=self._sample_rate)


# --------------------------------------------------------------------------------------------------
# Fixed prompts, synthesised once


class CachedPrompts:
    """The full audio of fixed prompts (greeting, "Et øjeblik.", reprompts, goodbye), synthesised once per engine.

    At most ``max_entries`` texts are kept (least recently used dropped first). Concurrent requests
    for the same text share one synthesis.
    """

    def __init__(self, tts: TextToSpeech, max_entries: int = 64) -> None:
        """Cache prompts spoken by ``tts``."""
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.tts = tts
        self.max_entries = max_entries
        self._audio: OrderedDict[str, AudioChunk] = OrderedDict()
        self._pending: dict[str, asyncio.Task[AudioChunk]] = {}

    def __len__(self) -> int:
        """Number of cached prompts."""
        return len(self._audio)

    def __contains__(self, text: object) -> bool:
        """Whether the audio of ``text`` is cached."""
        return isinstance(text, str) and " ".join(text.split()) in self._audio

    async def get(self, text: str) -> AudioChunk:
        """The whole audio of ``text`` as one chunk (synthesised on first use)."""
        key = " ".join(text.split())
        if key in self._audio:
            self._audio.move_to_end(key)
            return self._audio[key]
        task = self._pending.get(key)
        if task is None:
            task = asyncio.create_task(self._synthesize(key))
            self._pending[key] = task
            task.add_done_callback(self._forget)
        return await asyncio.shield(task)

    def _forget(self, task: asyncio.Task[AudioChunk]) -> None:
        """Drop a finished synthesis from the pending ones (its failure is raised to whoever awaits it)."""
        for key, pending in list(self._pending.items()):
            if pending is task:
                del self._pending[key]
        if not task.cancelled():
            task.exception()

    async def warm(self, texts: Sequence[str]) -> None:
        """Synthesise ``texts`` now (e.g. at start-up), so the first call does not wait for them."""
        for text in texts:
            await self.get(text)

    async def _synthesize(self, key: str) -> AudioChunk:
        """Synthesise and store one prompt."""
        rate = self.tts.sample_rate
        parts: list[bytes] = []
        async with contextlib.aclosing(self.tts.synthesize(key)) as chunks:
            async for chunk in chunks:
                parts.append(chunk.pcm if chunk.sample_rate == rate else resample(chunk.pcm, chunk.sample_rate, rate))
        audio = AudioChunk(pcm=b"".join(parts), sample_rate=rate)
        self._audio[key] = audio
        while len(self._audio) > self.max_entries:
            self._audio.popitem(last=False)
        return audio


# --------------------------------------------------------------------------------------------------
# Choosing the engine


def read_voice_config(config_path: str | os.PathLike[str]) -> dict[str, object]:
    """The JSON config next to a Piper voice (raises TtsError naming the path when unreadable)."""
    try:
        with open(config_path, encoding="utf-8") as handle:
            config = json.load(handle)
    except (OSError, ValueError) as error:
        raise TtsError(f"cannot read the Piper voice config {config_path}: {error}") from error
    if not isinstance(config, dict):
        raise TtsError(f"the Piper voice config {config_path} is not a JSON object")
    return config


def voice_language(config: dict[str, object]) -> str:
    """Language code of a Piper voice config ("da_DK", "en_US", ...; the espeak voice when no code is given)."""
    language = config.get("language")
    if isinstance(language, dict) and language.get("code"):
        return str(language["code"])
    espeak = config.get("espeak")
    if isinstance(espeak, dict) and espeak.get("voice"):
        return str(espeak["voice"])
    return ""


def piper_available() -> bool:
    """Whether the piper-tts package is installed for the worker (checked without importing it)."""
    return importlib.util.find_spec("piper") is not None


def create_tts(
    voice_path: str | os.PathLike[str] | None,
    *,
    workers: int = 1,
    length_scale: float | None = None,
    espeak_voice: str = "da",
) -> TextToSpeech:
    """The text-to-speech engine for the configuration: Piper when ``voice_path`` exists, else espeak-ng Danish.

    Nothing is started; call ``await tts.start()`` at start-up to load the voice before the first call.
    Raises TtsError when neither the Piper voice nor espeak-ng is available.
    """
    problem = "no Piper voice configured"
    if voice_path:
        path = Path(voice_path)
        if not path.is_file():
            problem = f"Piper voice {path} not found"
        elif not piper_available():
            problem = "piper-tts is not installed (pip install 'muni[piper]')"
        else:
            language = voice_language(read_voice_config(f"{path}.json"))
            if not language.lower().startswith("da"):
                LOG.warning(
                    "Piper voice %s speaks %r, not Danish; Danish answers will sound foreign",
                    path,
                    language or "an unknown language",
                )
            LOG.info("text-to-speech: Piper voice %s (%d worker(s))", path, workers)
            return PiperTextToSpeech(path, workers=workers, length_scale=length_scale)
    try:
        tts = EspeakTextToSpeech(voice=espeak_voice)
    except TtsError as error:
        raise TtsError(f"no text-to-speech engine available: {problem}, and {error}") from error
    level = logging.WARNING if voice_path else logging.INFO
    LOG.log(level, "text-to-speech: %s; falling back to espeak-ng voice %r", problem, espeak_voice)
    return tts
