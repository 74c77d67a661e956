"""``muni bench voice``: synthetic Danish phone calls through the real media stream WebSocket.

A fresh stack (action server + Rasa with the trained model) and the gateway with the real speech
engines are started in this process. Each synthetic call connects to ``/voice/twilio`` like a
telephony platform, waits for the greeting, then says phrases from ``bench/voice_phrases.yml``
(espeak-ng Danish, 8 kHz mu-law, streamed in real time in 20 ms frames followed by silence). For every
turn it measures voice-to-voice latency (end of the caller's speech to the first byte of the answer's
audio, so it includes the endpointer's end-of-utterance silence; "et øjeblik" is switched off so it
cannot hide a slow answer), and reads the transcript and
the recognised intent back from Rasa's tracker (HTTP API) for word error rate and intent accuracy.
It then raises the number of simultaneous calls until p95 exceeds the target.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import re
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web

from bench.stack import bench_stack
from bench.stats import percentile
from muni.config import MuniConfig
from muni.services import eprint, latest_model, train
from muni_core.paths import REPO_ROOT, REPORTS_DIR

PHRASES_FILE = REPO_ROOT / "bench" / "voice_phrases.yml"
FRAME_S = 0.02
FRAME_BYTES = 160  # 20 ms of 8 kHz mu-law
SILENCE_FRAME = b"\xff" * FRAME_BYTES


@dataclass
class TurnResult:
    """One caller turn of a synthetic call."""

    phrase: str
    expected_intent: str
    latency_s: float | None
    transcript: str = ""
    intent: str = ""


@dataclass
class LevelResult:
    """All turns at one number of simultaneous calls."""

    calls: int
    turns: list[TurnResult] = field(default_factory=list)

    def latencies(self) -> list[float]:
        """Voice-to-voice latencies of the turns that got an answer."""
        return sorted(t.latency_s for t in self.turns if t.latency_s is not None)

    def percentile(self, q: float) -> float | None:
        """A percentile of the latencies (``bench.stats``)."""
        return percentile(self.latencies(), q)


def word_error_rate(reference: str, hypothesis: str) -> tuple[int, int]:
    """(word edits, reference words) after lower-casing and dropping punctuation."""

    def words(text: str) -> list[str]:
        return "".join(c if c.isalnum() or c.isspace() else " " for c in text.lower()).split()

    ref, hyp = words(reference), words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, hyp_word in enumerate(hyp, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
        previous = current
    return previous[-1], len(ref)


def load_phrases(path: Path = PHRASES_FILE) -> list[tuple[str, str]]:
    """(phrase, expected intent) pairs for the benchmark calls."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(item["text"], item["intent"]) for item in data["phrases"]]


class SyntheticCaller:
    """One simulated telephony platform connection."""

    def __init__(self, session: aiohttp.ClientSession, gateway_url: str, audio: dict[str, bytes]) -> None:
        self.session = session
        self.gateway_url = gateway_url
        self.audio = audio
        self.call_sid = f"CAbench{uuid.uuid4().hex[:16]}"
        self.stream_sid = f"MZ{uuid.uuid4().hex[:16]}"
        self.last_audio_at = 0.0
        self.marks: asyncio.Queue[str] = asyncio.Queue()
        self.first_audio_after: float | None = None
        self.first_audio_at: float | None = None

    async def run(self, phrases: list[tuple[str, str]], rasa_url: str, token: str) -> list[TurnResult]:
        """Make the call: greeting, then each phrase in turn; return the measured turns."""
        from voice_gateway.channels.stream_token import mint_token, telephony_secret
        from voice_gateway.voice_settings import VoiceSettings

        results: list[TurnResult] = []
        caller, dialled = "+4520304050", "+4598455000"
        # Signed like the platform's call webhook does, with the gateway's own secret (docs/voice.md).
        secret = telephony_secret(VoiceSettings().telephony_secret)
        token = mint_token(secret, self.call_sid, caller, dialled, int(time.time()) + 600)
        async with self.session.ws_connect(f"{self.gateway_url}/voice/twilio") as ws:
            reader = asyncio.create_task(self._read(ws))
            await ws.send_json({"event": "connected", "protocol": "Call", "version": "1.0.0"})
            await ws.send_json(
                {
                    "event": "start",
                    "streamSid": self.stream_sid,
                    "start": {
                        "streamSid": self.stream_sid,
                        "callSid": self.call_sid,
                        "customParameters": {"from": caller, "to": dialled, "token": token},
                        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                    },
                }
            )
            await self._wait_mark(ws, timeout=30)
            for phrase, intent in phrases:
                self.first_audio_after = None
                self.first_audio_at = None
                await self._stream(ws, self.audio[phrase])
                speech_end = time.monotonic()  # the end of the phrase; silence follows while we wait
                self.first_audio_after = speech_end
                answered = await self._wait_mark(ws, timeout=30)
                latency = (self.first_audio_at - speech_end) if answered and self.first_audio_at else None
                results.append(TurnResult(phrase, intent, latency))
            await ws.send_json({"event": "stop", "streamSid": self.stream_sid})
            reader.cancel()
        await self._read_back(results, rasa_url, token)
        return results

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(message.data)
            if data.get("event") == "media":
                if self.first_audio_after is not None and self.first_audio_at is None:
                    self.first_audio_at = time.monotonic()
            elif data.get("event") == "mark":
                await self.marks.put(data["mark"]["name"])

    async def _wait_mark(self, ws: aiohttp.ClientWebSocketResponse, timeout: float) -> bool:
        """Wait for the end of the assistant's audio (its mark), sending silence meanwhile; echo the mark."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                name = await asyncio.wait_for(self.marks.get(), FRAME_S)
            except TimeoutError:
                await ws.send_json({"event": "media", "media": {"payload": base64.b64encode(SILENCE_FRAME).decode()}})
                continue
            await ws.send_json({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}})
            return True
        return False

    async def _stream(self, ws: aiohttp.ClientWebSocketResponse, mulaw: bytes) -> None:
        """Send audio in real time, 20 ms frames on a steady clock."""
        start = time.monotonic()
        for index, offset in enumerate(range(0, len(mulaw), FRAME_BYTES)):
            frame = mulaw[offset : offset + FRAME_BYTES]
            await ws.send_json({"event": "media", "media": {"payload": base64.b64encode(frame).decode()}})
            delay = start + (index + 1) * FRAME_S - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)

    async def _read_back(self, results: list[TurnResult], rasa_url: str, token: str) -> None:
        """Transcripts and intents of the call's user turns from Rasa's tracker."""
        url = f"{rasa_url}/conversations/{self.call_sid}/tracker?token={token}"
        async with self.session.get(url) as response:
            tracker = await response.json()
        user_events = [e for e in tracker.get("events", []) if e.get("event") == "user"]
        for result, event in zip(results, user_events, strict=False):
            parse = event.get("parse_data") or {}
            intent = (parse.get("intent") or {}).get("name") or ""
            retrieval = ((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}
            if intent == "faq" and retrieval.get("intent_response_key"):
                intent = retrieval["intent_response_key"]
            result.transcript = event.get("text") or ""
            result.intent = intent


async def _run_level(gateway_url: str, config: MuniConfig, calls: int, phrases, audio, turns: int) -> LevelResult:
    level = LevelResult(calls)
    rng = random.Random(calls)
    async with aiohttp.ClientSession() as session:
        callers = [SyntheticCaller(session, gateway_url, audio) for _ in range(calls)]
        plans = [rng.sample(phrases, turns) for _ in callers]
        outcomes = await asyncio.gather(
            *(
                caller.run(plan, config.rasa_url, config.rasa_token)
                for caller, plan in zip(callers, plans, strict=True)
            ),
            return_exceptions=True,
        )
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            eprint(f"  et opkald fejlede: {outcome!r}")
            continue
        level.turns.extend(outcome)
    return level


async def _bench(config: MuniConfig, levels: list[int], turns: int, target_s: float) -> dict[str, Any]:
    from voice_gateway.app import create_app
    from voice_gateway.settings import GatewaySettings
    from voice_gateway.speech.synthetic import phone_mulaw
    from voice_gateway.voice_settings import VoiceSettings

    phrases = load_phrases()
    eprint(f"Syntetiserer {len(phrases)} sætninger med espeak-ng (8 kHz mu-law) …")
    audio = {text: phone_mulaw(text) for text, _ in phrases}
    voice = VoiceSettings(
        stt_model_dir=config.stt_model_dir,
        stt_workers=config.stt_workers,
        tts_voice=config.tts_voice,
        thinking_after_s=3600.0,
        silence_reprompt_s=3600.0,
        max_calls=max(levels) + 1,
    )
    app = create_app(
        GatewaySettings(
            rasa_url=config.rasa_url, default_municipality="frederikshavn", voice=voice, rasa_token=config.rasa_token
        )
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", config.gateway_port)
    await site.start()
    gateway_url = f"http://127.0.0.1:{config.gateway_port}"
    results: list[LevelResult] = []
    accuracy = LevelResult(1)
    try:
        await _run_level(gateway_url, config, 1, phrases, audio, 1)  # warm-up
        eprint(f"== nøjagtighed: hver af de {len(phrases)} sætninger én gang (ét opkald ad gangen)")
        for start in range(0, len(phrases), turns):
            async with aiohttp.ClientSession() as session:
                caller = SyntheticCaller(session, gateway_url, audio)
                accuracy.turns.extend(
                    await caller.run(phrases[start : start + turns], config.rasa_url, config.rasa_token)
                )
        for calls in levels:
            eprint(f"== {calls} samtidige opkald × {turns} ture")
            level = await _run_level(gateway_url, config, calls, phrases, audio, turns)
            results.append(level)
            p50, p95 = level.percentile(0.5), level.percentile(0.95)
            eprint(f"   p50 {p50 and round(p50, 2)} s, p95 {p95 and round(p95, 2)} s, {len(level.latencies())} svar")
            if p95 is None or p95 > target_s:
                break
    finally:
        await runner.cleanup()
    all_turns = accuracy.turns
    edits = words = 0
    for turn in all_turns:
        e, n = word_error_rate(turn.phrase, turn.transcript)
        edits, words = edits + e, words + n
    correct = sum(1 for t in all_turns if t.intent == t.expected_intent)
    held = [level.calls for level in results if (level.percentile(0.95) or 99) <= target_s]
    single = results[0] if results else LevelResult(0)
    return {
        "turns": len(all_turns),
        "voice_to_voice_p50_s": single.percentile(0.5),
        "voice_to_voice_p95_s": single.percentile(0.95),
        "word_error_rate": round(edits / words, 3) if words else None,
        "intent_accuracy": round(correct / len(all_turns), 3) if all_turns else None,
        "max_simultaneous_calls_p95_below_target": max(held) if held else 0,
        "target_p95_s": target_s,
        "levels": [
            {
                "calls": level.calls,
                "turns": len(level.turns),
                "answered": len(level.latencies()),
                "p50_s": level.percentile(0.5),
                "p95_s": level.percentile(0.95),
            }
            for level in results
        ],
        "examples": [
            {"said": t.phrase, "heard": t.transcript, "intent": t.intent, "expected": t.expected_intent}
            for t in all_turns[:30]
        ],
    }


def run_voice_bench(
    levels: list[int], turns: int, target_s: float, config: MuniConfig, model: Path | None = None
) -> int:
    """Start a fresh stack, run the calls, print and save the figures (reports/voice-bench.json)."""
    model = model or latest_model() or train()
    stack, bench_config = bench_stack(config, "muni-bench-voice-")
    try:
        stack.start(model)
        figures = asyncio.run(_bench(bench_config, levels, turns, target_s))
        figures["model"] = Path(model).name
    finally:
        stack.stop()
    REPORTS_DIR.mkdir(exist_ok=True)
    (REPORTS_DIR / "voice-bench.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
    for example in figures["examples"][:10]:
        eprint(f"  sagt: {example['said']!r}  hørt: {example['heard']!r}  intent: {example['intent']}")
    fmt = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
    print(
        f"\nmodel: {figures['model']}\n"
        f"stemme-til-stemme (1 opkald): p50 {fmt(figures['voice_to_voice_p50_s'])} s, "
        f"p95 {fmt(figures['voice_to_voice_p95_s'])} s\n"
        f"ordfejlrate (WER): {fmt(figures['word_error_rate'])}   intent-nøjagtighed: {fmt(figures['intent_accuracy'])} "
        f"({figures['turns']} sætninger, hver én gang)\n"
        f"samtidige opkald med p95 < {target_s:g} s: {figures['max_simultaneous_calls_p95_below_target']}\n"
        + "\n".join(
            f"  {lv['calls']} opkald: p50 {fmt(lv['p50_s'])} s, p95 {fmt(lv['p95_s'])} s "
            f"({lv['answered']}/{lv['turns']} besvaret)"
            for lv in figures["levels"]
        )
    )
    return 0


HELDOUT_FILE = REPO_ROOT / "tests" / "nlu" / "heldout_da.yml"
HELDOUT_TRANSCRIPTS = REPO_ROOT / "var" / "heldout_phone_transcripts.json"
_ANNOTATION = re.compile(r"\[([^\]]+)\]\s*(?:\([^)]*\)|\{[^}]*\})")


def heldout_utterances() -> list[tuple[str, str]]:
    """(text, intent) of the independent held-out NLU set, entity annotations removed."""
    from muni.phone_augment import nlu_examples

    return [(_ANNOTATION.sub(r"\1", text), intent) for intent, text in nlu_examples(HELDOUT_FILE)]


async def _heldout_transcripts(stt_model_dir: str) -> dict[str, str]:
    """What the recogniser makes of each held-out utterance at telephone quality (cached in var/)."""
    from voice_gateway.speech.audio import resample
    from voice_gateway.speech.stt import SttSettings, WhisperSpeechToText
    from voice_gateway.speech.synthetic import phone_pcm

    cached = json.loads(HELDOUT_TRANSCRIPTS.read_text(encoding="utf-8")) if HELDOUT_TRANSCRIPTS.exists() else {}
    settings = SttSettings() if not stt_model_dir else replace(SttSettings(), model_dir=Path(stt_model_dir))
    key = str(settings.model_dir)
    transcripts = cached.get(key, {})
    missing = [text for text, _ in heldout_utterances() if text not in transcripts]
    if missing:
        eprint(f"Transskriberer {len(missing)} held-out-sætninger (espeak-ng, 8 kHz mu-law) …")
        stt = WhisperSpeechToText(settings)
        for text in missing:
            result = await stt.transcribe(resample(phone_pcm(text), 8000, 16000))
            transcripts[text] = result.text if result.understood else ""
        await stt.close()
        cached[key] = transcripts
        HELDOUT_TRANSCRIPTS.parent.mkdir(parents=True, exist_ok=True)
        HELDOUT_TRANSCRIPTS.write_text(json.dumps(cached, ensure_ascii=False, indent=1), encoding="utf-8")
    return transcripts


async def _parse_intents(rasa_url: str, token: str, texts: list[str]) -> list[str]:
    intents = []
    async with aiohttp.ClientSession() as session:
        for text in texts:
            if not text:
                intents.append("")  # not understood: the call asks again, it never reaches the NLU
                continue
            async with session.post(f"{rasa_url}/model/parse", params={"token": token}, json={"text": text}) as reply:
                parse = await reply.json()
            intent = (parse.get("intent") or {}).get("name") or ""
            retrieval = ((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}
            if intent == "faq" and retrieval.get("intent_response_key"):
                intent = retrieval["intent_response_key"]
            intents.append(intent)
    return intents


def run_heldout_phone_bench(config: MuniConfig, model: Path | None = None) -> int:
    """Intent accuracy of the held-out set spoken at telephone quality and recognised (not typed)."""
    model = model or latest_model() or train()
    pairs = heldout_utterances()
    transcripts = asyncio.run(_heldout_transcripts(config.stt_model_dir))
    stack, bench_config = bench_stack(config, "muni-bench-voice-heldout-")
    try:
        stack.start(model)
        heard = [transcripts.get(text, "") for text, _ in pairs]
        typed = asyncio.run(_parse_intents(bench_config.rasa_url, bench_config.rasa_token, [text for text, _ in pairs]))
        spoken = asyncio.run(_parse_intents(bench_config.rasa_url, bench_config.rasa_token, heard))
    finally:
        stack.stop()
    total = len(pairs)
    typed_ok = sum(1 for (_, want), got in zip(pairs, typed, strict=True) if got == want)
    spoken_ok = sum(1 for (_, want), got in zip(pairs, spoken, strict=True) if got == want)
    rejected = sum(1 for text in heard if not text)
    edits = words = 0
    for (text, _), hypothesis in zip(pairs, heard, strict=True):
        e, n = word_error_rate(text, hypothesis)
        edits, words = edits + e, words + n
    figures = {
        "model": Path(model).name,
        "utterances": total,
        "typed_intent_accuracy": round(typed_ok / total, 3),
        "spoken_intent_accuracy": round(spoken_ok / total, 3),
        "not_understood": rejected,
        "word_error_rate": round(edits / words, 3),
    }
    REPORTS_DIR.mkdir(exist_ok=True)
    (REPORTS_DIR / "voice-heldout-bench.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(
        f"\nmodel: {figures['model']}\nheld-out ({total} sætninger): skrevet intent-nøjagtighed "
        f"{figures['typed_intent_accuracy']:.3f}, talt (espeak-ng, 8 kHz, Whisper) "
        f"{figures['spoken_intent_accuracy']:.3f}; "
        f"ikke forstået {rejected}; ordfejlrate {figures['word_error_rate']:.2f}"
    )
    return 0
