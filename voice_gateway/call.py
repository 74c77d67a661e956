"""One phone (or browser voice) call: listen, understand, answer, and know when to stop.

A ``CallSession`` is independent of the wire format. A channel feeds it inbound audio, keypad digits
and playback marks, and gives it a ``CallTransport`` to send audio, clear playback, transfer and hang
up. Per call it runs the endpointer, then per caller turn: speech-to-text (off the event loop, in the
shared bounded pool) -> Rasa (REST channel, conversation id = call id) -> phone-friendly text ->
text-to-speech sentence by sentence. It handles barge-in, silence, "et øjeblik", repeated
misrecognition, handoff and a Rasa outage, and records per-turn latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

import aiohttp

from voice_gateway.dtmf import HANDOFF_REQUEST, DtmfCollector
from voice_gateway.metrics import VoiceMetrics
from voice_gateway.phone_text import Choice, SpokenReply, match_choice, render_for_phone, yes_no
from voice_gateway.rasa_client import BotReply, RasaUnavailable, send_message
from voice_gateway.speech.audio import resample
from voice_gateway.speech.types import (
    STT_SAMPLE_RATE,
    AudioChunk,
    SpeechToText,
    TextToSpeech,
    Transcript,
    VoiceActivityDetector,
)
from voice_gateway.speech.vad import Endpointer, SpeechStarted, UtteranceEnded
from voice_gateway.voice_settings import VoiceSettings

logger = logging.getLogger(__name__)

OUTBOUND_CHUNK_S = 0.4
HOOK_TIMEOUT_S = 5.0


class CallTransport(Protocol):
    """What a channel offers a call: audio out, playback control, transfer and hang-up."""

    channel: str
    """Either "phone" for telephony and AudioSocket, "browser" for browser voice (goes to Rasa as input_channel)."""
    sample_rate: int
    """Sample rate of the PCM16 audio ``send_audio`` takes."""

    async def send_audio(self, pcm: bytes) -> None:
        """Queue PCM16 audio for playback to the caller."""

    async def send_mark(self, name: str) -> None:
        """Ask to be told (``CallSession.on_mark``) when playback reaches this point; may do nothing."""

    async def clear_audio(self) -> None:
        """Drop audio queued for playback (barge-in)."""

    async def transfer(self, instruction: dict[str, Any]) -> None:
        """Tell the telephony side to put the call through to a person."""

    async def hangup(self) -> None:
        """End the call from our side."""

    async def notify(self, event: dict[str, Any]) -> None:
        """Show the caller what was heard and answered (browser voice); phones ignore it."""


class PromptAudio(Protocol):
    """Cached audio of fixed prompts."""

    async def get(self, text: str) -> AudioChunk:
        """The audio of a fixed prompt, synthesised once."""
        ...


@dataclass
class VoiceServices:
    """What all calls of one gateway share: engines, Rasa connection, settings, metrics."""

    stt: SpeechToText
    tts: TextToSpeech
    prompts: PromptAudio
    vad: VoiceActivityDetector
    settings: VoiceSettings
    metrics: VoiceMetrics
    rasa_url: str
    rasa_session: aiohttp.ClientSession
    rasa_timeout_s: float = 30.0
    rasa_token: str = ""
    """The gateway's credential at Rasa's REST channel (without it Rasa ignores the caller's number)."""
    active_calls: set[CallSession] = field(default_factory=set)
    turn_recorder: TurnRecorder | None = None
    """Stores each answered turn's latency for the staff console (``muni_voice_turns``); None = not stored."""


class TurnRecorder(Protocol):
    """Where the latency and recogniser confidence of answered phone turns go (the console's database)."""

    async def record(self, turn: dict[str, Any]) -> None:
        """Store one turn; must not raise (a call never fails because its figures could not be stored)."""
        ...


@dataclass
class TurnTimes:
    """Timestamps of one caller turn (time.monotonic), for latency figures."""

    speech_end: float
    transcript: float = 0.0
    reply: float = 0.0
    first_audio: float = 0.0
    turn_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    """Travels to Rasa as metadata ``voice.turn_id`` and keys the turn's row in ``muni_voice_turns``."""


class CallSession:
    """The state and tasks of one call."""

    def __init__(
        self,
        *,
        call_id: str,
        transport: CallTransport,
        services: VoiceServices,
        municipality: str | None = None,
        municipality_name: str = "",
        caller: str | None = None,
        client_address: str | None = None,
    ) -> None:
        self.call_id = call_id
        self.transport = transport
        self.services = services
        self.settings = services.settings
        self.municipality = municipality
        self.municipality_name = municipality_name
        self.caller = caller
        self.client_address = client_address
        """The citizen's hashed network address (browser calls; ``rasa_client.client_address_for``)."""
        self.channel = transport.channel
        self.endpointer = Endpointer(services.vad, self.settings.vad)
        self.dtmf = DtmfCollector(timeout_s=self.settings.dtmf_timeout_s)
        self.last_reply: SpokenReply | None = None
        self.turns = 0
        self.misheard_in_row = 0
        self.silence_reprompts = 0
        self.closed = False
        self.transferred = False
        self._playback_until = 0.0
        self._last_activity = time.monotonic()
        self._turn_task: asyncio.Task[None] | None = None
        self._queued_turn: Callable[[], Awaitable[None]] | None = None
        self._playback_task: asyncio.Future[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._marks = 0
        self._inbound_audio_s = 0.0
        self._started_at = 0.0

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self, greet: bool = True) -> None:
        """Greet the caller (unless the conversation continues from a chat) and start watching for silence."""
        self._started_at = time.monotonic()
        self.services.active_calls.add(self)
        self.services.metrics.calls_total.labels(channel=self.channel).inc()
        self.services.metrics.calls_active.labels(channel=self.channel).inc()
        logger.info("call %s started (channel %s, municipality %s)", self.call_id, self.channel, self.municipality)
        greeting = self.settings.prompts.greeting_for(self.municipality_name)
        menu = [
            Choice(label=label, payload=payload, digit=str(number))
            for number, (label, payload) in enumerate(self.settings.prompts.menu, start=1)
        ]
        if greet:
            self.last_reply = SpokenReply(text=greeting, choices=menu, expects_yes_no=False)
            self._spawn(self._play_prompt(greeting), "greeting")
        self._spawn(self._watch_silence(), "watchdog")

    async def close(self, reason: str = "hangup") -> None:
        """End the call: stop every task of it and release its resources (idempotent)."""
        if self.closed:
            return
        self.closed = True
        if self.endpointer.flush() is not None:
            logger.info("call %s: caller hung up mid-utterance; the partial utterance is dropped", self.call_id)
        hooks = [t for t in self._tasks if t.get_name().endswith("-handoff-hook") and not t.done()]
        if hooks:  # the transfer instruction must reach the hook even when the line ends right after it
            await asyncio.wait(hooks, timeout=HOOK_TIMEOUT_S + 1)
        tasks = [t for t in (*self._tasks, self._turn_task, self._playback_task) if t and not t.done()]
        current = asyncio.current_task()
        for task in tasks:
            if task is not current:
                task.cancel()
        for task in tasks:
            if task is not current:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._tasks.clear()
        self.services.active_calls.discard(self)
        self.services.metrics.calls_active.labels(channel=self.channel).dec()
        logger.info("call %s ended (%s) after %.1f s, %d turns", self.call_id, reason, self.duration_s, self.turns)

    @property
    def duration_s(self) -> float:
        """Seconds since the call started."""
        return time.monotonic() - self._started_at if self._started_at else 0.0

    @property
    def speaking(self) -> bool:
        """True while the assistant's audio is (probably) still playing to the caller."""
        return time.monotonic() < self._playback_until

    @property
    def busy(self) -> bool:
        """True while a caller turn is being understood or answered."""
        return self._turn_task is not None and not self._turn_task.done()

    # --- inbound ---------------------------------------------------------------------------------

    async def on_audio(self, pcm: bytes, sample_rate: int) -> None:
        """Inbound caller audio (PCM16 at ``sample_rate``)."""
        if self.closed:
            return
        duration = len(pcm) / 2 / sample_rate
        if self._flooding(duration):
            self.services.metrics.frames_dropped.labels(reason="too_fast").inc()
            return
        for event in self.endpointer.feed(resample(pcm, sample_rate, STT_SAMPLE_RATE)):
            if isinstance(event, SpeechStarted):
                self._last_activity = time.monotonic()
                if self.speaking or (self._playback_task and not self._playback_task.done()):
                    await self._barge_in()
            elif isinstance(event, UtteranceEnded):
                self._last_activity = time.monotonic()
                if event.reason == "max_length":
                    logger.info("call %s: utterance cut at %.0f s", self.call_id, event.duration_s)
                self._schedule_turn(partial(self._speech_turn, event))

    async def on_dtmf(self, digit: str) -> None:
        """A keypad digit from the caller."""
        if self.closed:
            return
        self._last_activity = time.monotonic()
        if self.speaking:
            await self._barge_in()
        text = self.dtmf.press(digit, self.last_reply)
        if text is not None:
            self._schedule_turn(partial(self._text_turn, text, source="dtmf"))

    async def on_text(self, text: str) -> None:
        """Typed text in the call (browser voice): handled like a recognised utterance."""
        if self.closed or not text.strip():
            return
        self._last_activity = time.monotonic()
        if self.speaking:
            await self._barge_in()
        typed = text.strip()
        self._schedule_turn(partial(self._text_turn, typed, source="text"))

    def on_mark(self, name: str) -> None:
        """Playback reached a mark we sent; the last mark means the caller has heard everything."""
        if name == f"reply-{self._marks}":
            self._playback_until = time.monotonic()
            self._last_activity = time.monotonic()

    def _flooding(self, duration: float) -> bool:
        """True when inbound audio runs further ahead of the wall clock than allowed."""
        self._inbound_audio_s += duration
        return self._inbound_audio_s - self.duration_s > self.settings.max_inbound_audio_ahead_s

    # --- turns -----------------------------------------------------------------------------------

    def _schedule_turn(self, turn: Callable[[], Awaitable[None]]) -> None:
        """Run a turn now, or after the one in progress (only the newest waiting turn is kept)."""
        if self.busy:
            self._queued_turn = turn
            return
        self._turn_task = self._spawn(self._run_turns(turn), "turn")

    async def _run_turns(self, turn: Callable[[], Awaitable[None]]) -> None:
        next_turn: Callable[[], Awaitable[None]] | None = turn
        while next_turn is not None and not self.closed:
            try:
                await next_turn()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("call %s: turn failed", self.call_id)
                self.services.metrics.call_errors.labels(channel=self.channel, kind="turn").inc()
                await self._play_prompt(self.settings.prompts.empty_reply)
            next_turn, self._queued_turn = self._queued_turn, None

    async def _speech_turn(self, utterance: UtteranceEnded) -> None:
        # Voice-to-voice counts from the end of the caller's speech, so it includes the endpointing wait.
        times = TurnTimes(speech_end=time.monotonic() - utterance.trailing_silence_s)
        thinking = self._spawn(self._say_thinking_after(times), "thinking")
        try:
            transcript = await self.services.stt.transcribe(utterance.pcm)
            times.transcript = time.monotonic()
            self.services.metrics.observe_stage(self.channel, "stt", times.transcript - times.speech_end)
            if not transcript.understood:
                thinking.cancel()
                await self._misheard(transcript)
                return
            self.misheard_in_row = 0
            await self.transport.notify({"type": "transcript", "text": transcript.text})
            text = self._interpret(transcript.text)
            await self._dialogue_turn(text, times, thinking, transcript=transcript, source="speech")
        finally:
            thinking.cancel()

    async def _text_turn(self, text: str, source: str) -> None:
        times = TurnTimes(speech_end=time.monotonic(), transcript=time.monotonic())
        thinking = self._spawn(self._say_thinking_after(times), "thinking")
        try:
            await self._dialogue_turn(text, times, thinking, transcript=None, source=source)
        finally:
            thinking.cancel()

    def _interpret(self, heard: str) -> str:
        """What to send to Rasa for what was heard: a chosen button's payload, ja/nej, or the words."""
        reply = self.last_reply
        if reply is not None and reply.choices:
            choice = match_choice(heard, reply.choices)
            if choice is not None:
                return choice.payload
        if reply is not None and reply.expects_yes_no:
            answer = yes_no(heard)
            if answer is not None:
                return "ja" if answer else "nej"
        return heard

    async def _dialogue_turn(
        self,
        text: str,
        times: TurnTimes,
        thinking: asyncio.Task[None],
        *,
        transcript: Transcript | None,
        source: str,
    ) -> None:
        self.turns += 1
        metadata: dict[str, Any] = {"voice": self._turn_metadata(times, transcript, source)}
        if self.caller:
            metadata["caller"] = self.caller
        try:
            reply = await send_message(
                self.services.rasa_session,
                self.services.rasa_url,
                self.call_id,
                text,
                municipality=self.municipality,
                input_channel=self.channel,
                timeout_s=self.services.rasa_timeout_s,
                metadata=metadata,
                gateway_token=self.services.rasa_token,
                client_address=self.client_address,
            )
        except RasaUnavailable as error:
            logger.error("call %s: Rasa unavailable: %s", self.call_id, error)
            self.services.metrics.call_errors.labels(channel=self.channel, kind="rasa_unavailable").inc()
            self.services.metrics.turns_total.labels(channel=self.channel, outcome="rasa_unavailable").inc()
            thinking.cancel()
            await self._play_prompt(self.settings.prompts.technical_error)
            await self._transfer({"reason": "technical_error", "conversation_id": self.call_id})
            return
        times.reply = time.monotonic()
        self.services.metrics.observe_stage(self.channel, "dialogue", times.reply - times.transcript)
        spoken = render_for_phone(reply.messages) if reply.messages else None
        if spoken is None or not spoken.text.strip():
            spoken = SpokenReply(text=self.settings.prompts.empty_reply, choices=[], expects_yes_no=False)
        self.last_reply = spoken
        await self.transport.notify({"type": "reply", "text": spoken.text, "messages": reply.messages})
        thinking.cancel()
        await self._speak(spoken.text, times)
        outcome = "handoff" if reply.handoff else "answered"
        self.services.metrics.turns_total.labels(channel=self.channel, outcome=outcome).inc()
        self._log_turn(times, transcript, source, outcome)
        if reply.handoff:
            await self._handoff(reply)

    async def _misheard(self, transcript: Transcript) -> None:
        """Ask again, differently the second time; after too many misses, go to a person."""
        self.misheard_in_row += 1
        self.services.metrics.transcripts_rejected.labels(reason=transcript.rejected or "empty").inc()
        self.services.metrics.turns_total.labels(channel=self.channel, outcome="not_heard").inc()
        logger.info(
            "call %s: utterance not understood (%s, %.1f s audio)",
            self.call_id,
            transcript.rejected,
            transcript.audio_s,
        )
        if self.misheard_in_row >= self.settings.max_misheard:
            self.misheard_in_row = 0
            await self._text_turn(HANDOFF_REQUEST, source="not_heard")
            return
        prompts = self.settings.prompts
        await self._play_prompt(prompts.not_heard if self.misheard_in_row == 1 else prompts.not_heard_again)

    @staticmethod
    def _turn_metadata(times: TurnTimes, transcript: Transcript | None, source: str) -> dict[str, Any]:
        """What the conversation keeps about how a phone turn was heard (shown in the staff console)."""
        return {
            "turn_id": times.turn_id,
            "source": source,
            "confidence": round(transcript.confidence, 3) if transcript else None,
            "stt_ms": round((times.transcript - times.speech_end) * 1000, 1) if transcript else None,
        }

    def _log_turn(self, times: TurnTimes, transcript: Transcript | None, source: str, outcome: str) -> None:
        """Latency of the turn in the log (no citizen text) and in the metrics."""
        if not times.first_audio:
            return
        stt_s = round(times.transcript - times.speech_end, 3)
        dialogue_s = round(times.reply - times.transcript, 3)
        tts_first_audio_s = round(times.first_audio - times.reply, 3)
        voice_to_voice_s = round(times.first_audio - times.speech_end, 3)
        confidence = round(transcript.confidence, 3) if transcript else None
        figures = {
            "stt_s": stt_s,
            "dialogue_s": dialogue_s,
            "tts_first_audio_s": tts_first_audio_s,
            "voice_to_voice_s": voice_to_voice_s,
            "stt_confidence": confidence,
            "source": source,
            "outcome": outcome,
        }
        self.services.metrics.observe_stage(self.channel, "tts_first_audio", tts_first_audio_s)
        self.services.metrics.observe_stage(self.channel, "voice_to_voice", voice_to_voice_s)
        logger.info("call %s turn %d latency %s", self.call_id, self.turns, figures)
        if self.services.turn_recorder is not None:
            row = {
                "turn_id": times.turn_id,
                "conversation_id": self.call_id,
                "outcome": outcome,
                "transcript_confidence": confidence,
                "stt_ms": stt_s * 1000 if transcript else None,
                "dialogue_ms": dialogue_s * 1000,
                "tts_first_ms": tts_first_audio_s * 1000,
                "voice_to_voice_ms": voice_to_voice_s * 1000,
            }
            self._spawn(self.services.turn_recorder.record(row), "record-turn")

    # --- speaking --------------------------------------------------------------------------------

    async def _speak(self, text: str, times: TurnTimes | None = None) -> None:
        """Synthesise ``text`` sentence by sentence and send each as soon as it is ready."""
        await self._run_playback(self._stream_tts(text, times))

    async def _stream_tts(self, text: str, times: TurnTimes | None) -> None:
        async with contextlib.aclosing(self.services.tts.synthesize(text)) as chunks:
            async for chunk in chunks:
                if times is not None and not times.first_audio:
                    times.first_audio = time.monotonic()
                await self._send_audio(chunk)
        await self._send_mark()

    async def _play_prompt(self, text: str) -> None:
        """Play a fixed prompt from the audio cache."""

        async def play() -> None:
            await self._send_audio(await self.services.prompts.get(text))
            await self._send_mark()

        await self._run_playback(play())

    async def _run_playback(self, playback: Awaitable[None]) -> None:
        """Run one playback as a task that barge-in can cancel; wait for it."""
        if self.closed:
            if asyncio.iscoroutine(playback):
                playback.close()
            return
        task = asyncio.ensure_future(playback)
        self._playback_task = task
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self.closed or (current is not None and current.cancelling()):
                raise
            # Only the playback was cancelled (barge-in): the turn goes on without the rest of the audio.

    async def _send_audio(self, chunk: AudioChunk) -> None:
        pcm = resample(chunk.pcm, chunk.sample_rate, self.transport.sample_rate)
        step = int(self.transport.sample_rate * OUTBOUND_CHUNK_S) * 2
        for offset in range(0, len(pcm), step):
            piece = pcm[offset : offset + step]
            now = time.monotonic()
            self._playback_until = max(self._playback_until, now) + len(piece) / 2 / self.transport.sample_rate
            await self.transport.send_audio(piece)

    async def _send_mark(self) -> None:
        self._marks += 1
        await self.transport.send_mark(f"reply-{self._marks}")

    async def _barge_in(self) -> None:
        """The caller speaks over the assistant: stop playback at once."""
        if self._playback_task and not self._playback_task.done():
            self._playback_task.cancel()
        self._playback_until = time.monotonic()
        await self.transport.clear_audio()
        logger.info("call %s: barge-in, playback cleared", self.call_id)

    async def _say_thinking_after(self, times: TurnTimes) -> None:
        """Say "Et øjeblik" when the answer is slow, once per turn."""
        await asyncio.sleep(self.settings.thinking_after_s)
        if not times.first_audio and not self.closed:
            await self._send_audio(await self.services.prompts.get(self.settings.prompts.thinking))

    # --- silence, handoff, hang-up ---------------------------------------------------------------

    async def _watch_silence(self) -> None:
        """Send numbers typed without '#', reprompt after silence, then say goodbye and hang up."""
        while not self.closed:
            await asyncio.sleep(0.25)
            typed = self.dtmf.poll()
            if typed is not None:  # a number typed without '#': the inter-digit timeout has passed
                self._schedule_turn(partial(self._text_turn, typed, source="dtmf"))
                continue
            if self.busy or self.speaking or self.endpointer.in_speech or self.transferred:
                continue
            quiet_since = max(self._last_activity, self._playback_until)  # also when marks never come back
            if time.monotonic() - quiet_since < self.settings.silence_reprompt_s:
                continue
            if self.silence_reprompts < self.settings.silence_reprompts:
                self.silence_reprompts += 1
                await self._play_prompt(self.settings.prompts.silence)
                self._last_activity = time.monotonic()
                continue
            logger.info("call %s: silence, saying goodbye", self.call_id)
            await self._play_prompt(self.settings.prompts.goodbye)
            await self._wait_playback(10.0)
            await self.transport.hangup()
            self._spawn(self.close("silence"), "close")
            return

    async def _handoff(self, reply: BotReply) -> None:
        handoff = dict(reply.handoff or {})
        await self._transfer(handoff)

    async def _transfer(self, handoff: dict[str, Any]) -> None:
        """Let the assistant finish speaking, then ask the telephony side to transfer the call."""
        if self.transferred:
            return
        self.transferred = True
        await self._wait_playback(15.0)
        instruction = {
            "conversation_id": self.call_id,
            "municipality": self.municipality,
            "caller": self.caller,
            "reason": handoff.get("reason", "citizen_request"),
            "summary": handoff.get("summary", ""),
            "handoff": handoff,
        }
        logger.info("call %s: transfer to a person (%s)", self.call_id, instruction["reason"])
        await self.transport.transfer(instruction)
        if self.settings.handoff_hook_url:
            self._spawn(self._post_hook(instruction), "handoff-hook")

    async def _post_hook(self, instruction: dict[str, Any]) -> None:
        try:
            async with self.services.rasa_session.post(
                self.settings.handoff_hook_url, json=instruction, timeout=aiohttp.ClientTimeout(total=HOOK_TIMEOUT_S)
            ) as response:
                if response.status >= 400:
                    logger.error("call %s: handoff hook answered HTTP %d", self.call_id, response.status)
        except (TimeoutError, aiohttp.ClientError) as error:
            logger.error("call %s: handoff hook failed: %s", self.call_id, error)

    async def _wait_playback(self, limit_s: float) -> None:
        deadline = time.monotonic() + limit_s
        while self.speaking and time.monotonic() < deadline and not self.closed:
            await asyncio.sleep(0.05)

    def _spawn(self, coroutine: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        """A task of this call: logged if it fails, cancelled when the call ends."""
        task = asyncio.ensure_future(coroutine)
        task.set_name(f"call-{self.call_id}-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("call %s: task %s failed: %r", self.call_id, task.get_name(), task.exception())
            self.services.metrics.call_errors.labels(channel=self.channel, kind="task").inc()
