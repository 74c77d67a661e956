"""Asterisk AudioSocket channel: the codec and parser, the paced transport, and whole connections.

The connection tests run a real AudioSocket server on a loopback port with fakes for speech engines
(speech-to-text, text-to-speech and prompt audio); the real engines are covered by the end-to-end tests.
The VAD is the real Silero model (cheap), and Rasa is a tiny aiohttp server answering "Hej".
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import pytest
from aiohttp import web
from audio_fixtures import espeak_utterance, silence
from speech_fakes import FakePrompts, FakeStt, FakeTts, wait_until

from voice_gateway.call import CallSession, VoiceServices
from voice_gateway.channels import audiosocket
from voice_gateway.channels.audiosocket import (
    FRAME_BYTES,
    KIND_AUDIO,
    KIND_DTMF,
    KIND_ERROR,
    KIND_HANGUP,
    KIND_UUID,
    MAX_AUDIO_BYTES,
    Audio,
    AudioSocketParser,
    AudioSocketTransport,
    CallId,
    Dtmf,
    Error,
    Frame,
    Hangup,
    ProtocolError,
    Unknown,
    encode_frame,
    parse_frame,
    serve_audiosocket,
    uuid_frame,
)
from voice_gateway.channels.common import DIRECTORY, VOICE_SERVICES
from voice_gateway.directory import MunicipalityDirectory, MunicipalityLine
from voice_gateway.keys import SETTINGS
from voice_gateway.metrics import VoiceMetrics
from voice_gateway.settings import GatewaySettings
from voice_gateway.speech.vad import SileroVad
from voice_gateway.voice_settings import VoiceSettings

CALL_ID = "40325ec2-5efd-4bd3-805f-53576e581d13"
SILENCE_20MS = b"\x00\x00" * 160


# --- codec and parser -------------------------------------------------------------------------------


SAMPLE_FRAMES = [
    Frame(KIND_UUID, uuid.UUID(CALL_ID).bytes),
    Frame(KIND_AUDIO, bytes(range(256)) + bytes(64)),
    Frame(KIND_DTMF, b"5"),
    Frame(KIND_AUDIO, b""),
    Frame(0x42, b"\x01\x02\x03"),
    Frame(KIND_ERROR, b"\x02"),
    Frame(KIND_HANGUP, b""),
]


def test_encode_frame_layout() -> None:
    assert encode_frame(KIND_HANGUP) == b"\x00\x00\x00"
    assert encode_frame(KIND_AUDIO, b"\x01\x02") == b"\x10\x00\x02\x01\x02"
    assert encode_frame(KIND_AUDIO, bytes(320))[:3] == b"\x10\x01\x40"
    assert uuid_frame(CALL_ID) == b"\x01\x00\x10" + uuid.UUID(CALL_ID).bytes


def test_encode_frame_refuses_what_does_not_fit() -> None:
    with pytest.raises(ValueError):
        encode_frame(0x100)
    with pytest.raises(ValueError):
        encode_frame(KIND_AUDIO, bytes(0x10000))
    assert len(encode_frame(KIND_AUDIO, bytes(0xFFFF))) == 0xFFFF + 3


def test_round_trip_in_one_read() -> None:
    stream = b"".join(encode_frame(f.kind, f.payload) for f in SAMPLE_FRAMES)
    parser = AudioSocketParser()
    assert parser.feed(stream) == SAMPLE_FRAMES
    assert parser.buffered == 0


def test_round_trip_split_at_every_byte_boundary() -> None:
    stream = b"".join(encode_frame(f.kind, f.payload) for f in SAMPLE_FRAMES)
    for cut in range(len(stream) + 1):
        parser = AudioSocketParser()
        frames = parser.feed(stream[:cut]) + parser.feed(stream[cut:])
        assert frames == SAMPLE_FRAMES, f"cut at byte {cut}"
        assert parser.buffered == 0


def test_round_trip_byte_by_byte() -> None:
    stream = b"".join(encode_frame(f.kind, f.payload) for f in SAMPLE_FRAMES)
    parser = AudioSocketParser()
    frames: list[Frame] = []
    for index in range(len(stream)):
        frames += parser.feed(stream[index : index + 1])
    assert frames == SAMPLE_FRAMES


def test_truncated_stream_stays_buffered() -> None:
    parser = AudioSocketParser()
    assert parser.feed(encode_frame(KIND_AUDIO, bytes(320))[:100]) == []
    assert parser.buffered == 100
    assert parser.feed(b"\x10") == []  # a lone type byte is not a frame either


def test_parse_frame_meanings() -> None:
    assert parse_frame(Frame(KIND_UUID, uuid.UUID(CALL_ID).bytes)) == CallId(CALL_ID)
    assert parse_frame(Frame(KIND_DTMF, b"#")) == Dtmf("#")
    assert parse_frame(Frame(KIND_AUDIO, SILENCE_20MS)) == Audio(SILENCE_20MS)
    assert parse_frame(Frame(KIND_AUDIO, bytes(MAX_AUDIO_BYTES))) == Audio(bytes(MAX_AUDIO_BYTES))
    assert parse_frame(Frame(KIND_HANGUP)) == Hangup()
    assert parse_frame(Frame(KIND_ERROR, b"\x01")) == Error(1)
    assert parse_frame(Frame(KIND_ERROR)) == Error(None)
    assert parse_frame(Frame(0x42, b"x")) == Unknown(0x42)


@pytest.mark.parametrize(
    "frame",
    [
        Frame(KIND_UUID, b"\x01" * 15),
        Frame(KIND_UUID, b""),
        Frame(KIND_AUDIO, bytes(MAX_AUDIO_BYTES + 2)),
        Frame(KIND_AUDIO, bytes(321)),
        Frame(KIND_DTMF, b"x"),
        Frame(KIND_DTMF, b"12"),
        Frame(KIND_DTMF, b""),
    ],
)
def test_parse_frame_protocol_errors(frame: Frame) -> None:
    with pytest.raises(ProtocolError):
        parse_frame(frame)


# --- the paced transport ----------------------------------------------------------------------------


class FakeWriter:
    """A StreamWriter stand-in that records when each frame was written."""

    def __init__(self) -> None:
        self.parser = AudioSocketParser()
        self.frames: list[tuple[float, Frame]] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        now = time.monotonic()
        self.frames.extend((now, frame) for frame in self.parser.feed(data))

    async def drain(self) -> None:
        await asyncio.sleep(0)

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    async def wait_closed(self) -> None:
        return None

    def get_extra_info(self, name: str, default: object = None) -> object:
        return default

    def audio(self) -> list[tuple[float, Frame]]:
        return [(t, f) for t, f in self.frames if f.kind == KIND_AUDIO]


async def test_outbound_audio_is_paced_in_real_time() -> None:
    writer = FakeWriter()
    transport = AudioSocketTransport(writer, call_id="pace")  # type: ignore[arg-type]
    try:
        start = time.monotonic()
        await transport.send_audio(bytes(16_000))  # 1 s of 8 kHz slin = 50 frames of 20 ms
        await wait_until(lambda: len(writer.audio()) == 50)
        frames = writer.audio()
        assert all(len(frame.payload) == FRAME_BYTES for _, frame in frames)
        # never more than the lead (100 ms) ahead of the wall clock, with a little scheduling slack
        for index, (sent_at, _) in enumerate(frames):
            audio_sent_s = (index + 1) * 0.02
            assert audio_sent_s <= (sent_at - start) + 0.1 + 0.03, f"frame {index} sent too early"
        elapsed = frames[-1][0] - start
        assert 0.8 <= elapsed <= 1.5, elapsed  # ~0.88 s: 1 s of audio minus the lead
    finally:
        await transport.close()


async def test_mark_reported_when_playback_reaches_it() -> None:
    writer = FakeWriter()
    transport = AudioSocketTransport(writer, call_id="mark")  # type: ignore[arg-type]
    reached: list[tuple[float, str]] = []
    transport.on_mark = lambda name: reached.append((time.monotonic(), name))
    try:
        start = time.monotonic()
        await transport.send_audio(bytes(3200))  # 200 ms
        await transport.send_mark("reply-1")
        await wait_until(lambda: bool(reached))
        assert reached[0][1] == "reply-1"
        assert reached[0][0] - start >= 0.17
    finally:
        await transport.close()


async def test_clear_empties_the_queue_at_once() -> None:
    writer = FakeWriter()
    transport = AudioSocketTransport(writer, call_id="clear")  # type: ignore[arg-type]
    marks: list[str] = []
    transport.on_mark = marks.append
    try:
        await transport.send_audio(bytes(16_000))
        await transport.send_mark("reply-1")
        await asyncio.sleep(0.1)
        await transport.clear_audio()
        assert transport.queued_s == 0
        assert marks == ["reply-1"]  # nothing is left to play before it
        sent_at_clear = len(writer.audio())
        await asyncio.sleep(0.3)
        assert len(writer.audio()) <= sent_at_clear + 1
        assert len(writer.audio()) * 0.02 <= 0.1 + 0.1 + 0.06  # elapsed + lead + slack, far from 1 s
        await transport.send_audio(bytes(640))  # audio after a clear plays again
        await wait_until(lambda: len(writer.audio()) >= sent_at_clear + 2)
    finally:
        await transport.close()


async def test_hangup_lets_queued_audio_play_then_sends_hangup() -> None:
    writer = FakeWriter()
    transport = AudioSocketTransport(writer, call_id="bye")  # type: ignore[arg-type]
    start = time.monotonic()
    await transport.send_audio(bytes(3200))  # 200 ms
    await transport.hangup()
    assert time.monotonic() - start >= 0.15
    assert [f.kind for _, f in writer.frames] == [KIND_AUDIO] * 10 + [KIND_HANGUP]
    assert writer.closing and transport.closed and transport.hung_up
    await transport.send_audio(bytes(320))  # after the end: ignored, no error
    await transport.close()


async def test_transfer_hangs_up_the_leg() -> None:
    writer = FakeWriter()
    transport = AudioSocketTransport(writer, call_id="transfer")  # type: ignore[arg-type]
    await transport.transfer({"reason": "citizen_request", "conversation_id": "transfer"})
    assert transport.transferred == {"reason": "citizen_request", "conversation_id": "transfer"}
    assert [f.kind for _, f in writer.frames] == [KIND_HANGUP]
    await transport.close()


# --- whole connections (fakes for speech engines) ------------------------------------------------------


class FakeRasa:
    """Rasa's REST webhook answering "Hej" (or a handoff), and a handoff hook that records what it gets."""

    def __init__(self) -> None:
        self.url = ""
        self.handoff = False
        self.messages: list[dict] = []
        self.hooks: list[dict] = []

    async def webhook(self, request: web.Request) -> web.Response:
        self.messages.append(await request.json())
        if self.handoff:
            handoff = {"reason": "citizen_request", "summary": "Borgeren vil tale med en medarbejder"}
            return web.json_response([{"text": "Jeg stiller dig om."}, {"custom": {"handoff": handoff}}])
        return web.json_response([{"text": "Hej"}])

    async def hook(self, request: web.Request) -> web.Response:
        await asyncio.sleep(0.3)  # a slow hook must still be delivered after the leg is gone
        self.hooks.append(await request.json())
        return web.json_response({})


@pytest.fixture
async def rasa(aiohttp_server) -> FakeRasa:
    fake = FakeRasa()
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", fake.webhook)
    app.router.add_post("/hook", fake.hook)
    server = await aiohttp_server(app)
    fake.url = str(server.make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def services(rasa: FakeRasa, vad: SileroVad) -> AsyncIterator[VoiceServices]:
    async with aiohttp.ClientSession() as session:
        yield VoiceServices(
            stt=FakeStt(),
            tts=FakeTts(),
            prompts=FakePrompts(),
            vad=vad,
            settings=VoiceSettings(handoff_hook_url=f"{rasa.url}/hook"),
            metrics=VoiceMetrics.create(),
            rasa_url=rasa.url,
            rasa_session=session,
            rasa_timeout_s=5.0,
        )


@pytest.fixture
async def port(services: VoiceServices) -> AsyncIterator[int]:
    app = web.Application()
    app[VOICE_SERVICES] = services
    app[DIRECTORY] = MunicipalityDirectory([MunicipalityLine("testby", "Testby", "70 10 20 30", ())])
    app[SETTINGS] = GatewaySettings(default_municipality="testby", voice=services.settings)
    server = await serve_audiosocket(app, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()
        for call in list(services.active_calls):
            await call.close("test_end")


def calls_started(services: VoiceServices) -> float:
    return services.metrics.registry.get_sample_value("muni_voice_calls_total", {"channel": "phone"}) or 0.0


def protocol_errors(services: VoiceServices) -> float:
    labels = {"channel": "phone", "kind": "protocol"}
    return services.metrics.registry.get_sample_value("muni_voice_call_errors_total", labels) or 0.0


async def read_to_end(reader: asyncio.StreamReader, timeout: float = 5.0) -> list[Frame]:
    """Everything the gateway sends until it closes the connection, as frames."""
    data = await asyncio.wait_for(reader.read(), timeout=timeout)
    return AudioSocketParser().feed(data)


def open_tasks() -> set[asyncio.Task]:
    return {task for task in asyncio.all_tasks() if not task.done()}


async def test_call_starts_and_ends_without_leaking_tasks(port: int, services: VoiceServices) -> None:
    baseline = open_tasks()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(uuid_frame(CALL_ID) + b"".join(encode_frame(KIND_AUDIO, SILENCE_20MS) for _ in range(10)))
    await writer.drain()
    await wait_until(lambda: calls_started(services) == 1)
    (call,) = services.active_calls
    assert call.call_id == CALL_ID
    assert call.channel == "phone"
    assert call.municipality == "testby"
    await asyncio.sleep(0.3)  # the (fake) greeting starts playing
    writer.write(encode_frame(KIND_HANGUP))
    await writer.drain()
    frames = await read_to_end(reader)
    writer.close()
    assert frames and all(f.kind == KIND_AUDIO and len(f.payload) % 2 == 0 for f in frames)
    await wait_until(lambda: not services.active_calls)
    assert call.closed
    await wait_until(lambda: open_tasks() <= baseline)


async def test_dtmf_reaches_the_call(
    port: int, services: VoiceServices, rasa: FakeRasa, monkeypatch: pytest.MonkeyPatch
) -> None:
    digits: list[str] = []
    original = CallSession.on_dtmf

    async def on_dtmf(self: CallSession, digit: str) -> None:
        digits.append(digit)
        await original(self, digit)

    monkeypatch.setattr(CallSession, "on_dtmf", on_dtmf)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(uuid_frame(CALL_ID) + encode_frame(KIND_DTMF, b"5") + encode_frame(KIND_DTMF, b"#"))
    await writer.drain()
    await wait_until(lambda: digits == ["5", "#"])
    await wait_until(lambda: len(rasa.messages) == 1)  # "5#" is a number for the assistant
    assert rasa.messages[0]["message"] == "5"
    assert rasa.messages[0]["sender"] == CALL_ID
    writer.write(encode_frame(KIND_HANGUP))
    await read_to_end(reader)
    writer.close()
    await wait_until(lambda: not services.active_calls)


async def test_no_uuid_in_time_closes(port: int, services: VoiceServices, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audiosocket, "UUID_TIMEOUT_S", 0.3)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(encode_frame(KIND_AUDIO, SILENCE_20MS))  # audio before the UUID is dropped
    started = time.monotonic()
    assert await read_to_end(reader) == []
    assert time.monotonic() - started < 3
    writer.close()
    assert calls_started(services) == 0


async def test_no_uuid_within_the_start_timeout_setting_closes(port: int, services: VoiceServices) -> None:
    services.settings = replace(services.settings, start_timeout_s=0.5)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    assert await read_to_end(reader) == []  # nothing sent: closed by the gateway, not by the test's timeout
    assert 0.4 < time.monotonic() - started < 3
    writer.close()
    assert calls_started(services) == 0
    assert services.metrics.registry.get_sample_value(
        "muni_voice_call_errors_total", {"channel": "phone", "kind": "no_start"}
    )


async def test_a_client_outside_the_allow_list_is_closed_before_a_call(port: int, services: VoiceServices) -> None:
    services.settings = replace(services.settings, audiosocket_allow=("10.0.0.0/8", "192.0.2.7"))
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(uuid_frame(CALL_ID) + encode_frame(KIND_AUDIO, SILENCE_20MS))
    await writer.drain()
    started = time.monotonic()
    try:
        assert await read_to_end(reader) == []
    except ConnectionResetError:
        pass  # closed with our frames unread: the kernel resets the connection, which is a refusal too
    assert time.monotonic() - started < 2  # at once, not after a timeout
    writer.close()
    assert calls_started(services) == 0 and not services.active_calls
    labels = {"channel": "phone", "kind": "not_allowed"}
    assert services.metrics.registry.get_sample_value("muni_voice_call_errors_total", labels) == 1.0


async def test_the_default_allow_list_is_loopback_and_takes_listed_clients(port: int, services: VoiceServices) -> None:
    assert VoiceSettings().audiosocket_allow == ("127.0.0.0/8", "::1/128")
    assert audiosocket.allowed_peer(("127.0.0.1", 5000), VoiceSettings().audiosocket_allow)
    assert audiosocket.allowed_peer(("::ffff:10.1.2.3", 5000, 0, 0), ("10.0.0.0/8",))
    assert not audiosocket.allowed_peer(("192.0.2.8", 5000), ("192.0.2.7", "not-a-network"))
    assert not audiosocket.allowed_peer(None, ("0.0.0.0/0",))
    services.settings = replace(services.settings, audiosocket_allow=("192.0.2.7", "127.0.0.1/32"))
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(uuid_frame(CALL_ID))
    await writer.drain()
    await wait_until(lambda: calls_started(services) == 1)
    writer.write(encode_frame(KIND_HANGUP))
    await read_to_end(reader)
    writer.close()
    await wait_until(lambda: not services.active_calls)


async def test_uuid_of_wrong_length_closes(port: int, services: VoiceServices) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(encode_frame(KIND_UUID, b"not-a-uuid"))
    assert await read_to_end(reader) == []
    writer.close()
    assert calls_started(services) == 0
    assert protocol_errors(services) == 1


async def test_bad_frames_are_dropped_and_the_call_goes_on(
    port: int, services: VoiceServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    digits: list[str] = []

    async def on_dtmf(self: CallSession, digit: str) -> None:
        digits.append(digit)

    monkeypatch.setattr(CallSession, "on_dtmf", on_dtmf)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        uuid_frame(CALL_ID)
        + encode_frame(0x42, b"???")  # unknown type: ignored
        + encode_frame(KIND_AUDIO, bytes(321))  # odd length: dropped
        + encode_frame(KIND_AUDIO, bytes(MAX_AUDIO_BYTES + 2))  # over 1 s: dropped
        + encode_frame(KIND_ERROR, b"\x02")  # Asterisk frame forwarding error: logged
        + encode_frame(KIND_DTMF, b"1")
    )
    await writer.drain()
    await wait_until(lambda: digits == ["1"])
    assert services.active_calls
    assert protocol_errors(services) == 2
    writer.write(encode_frame(KIND_ERROR, b"\x01"))  # the caller hung up
    await read_to_end(reader)
    writer.close()
    await wait_until(lambda: not services.active_calls)


async def test_stream_ending_inside_a_frame_is_a_hangup(port: int, services: VoiceServices) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(uuid_frame(CALL_ID) + encode_frame(KIND_AUDIO, SILENCE_20MS)[:50])
    await writer.drain()
    await wait_until(lambda: calls_started(services) == 1)
    writer.write_eof()
    await read_to_end(reader)
    writer.close()
    await wait_until(lambda: not services.active_calls)


async def test_call_ended_from_our_side_closes_the_connection(port: int, services: VoiceServices) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(uuid_frame(CALL_ID))
    await writer.drain()
    await wait_until(lambda: bool(services.active_calls))
    (call,) = services.active_calls
    await call.close("shutdown")
    frames = await read_to_end(reader)  # the handler notices within a second, hangs up and closes the socket
    writer.close()
    assert frames[-1].kind == KIND_HANGUP


async def test_one_failing_connection_does_not_affect_another(
    port: int, services: VoiceServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken_on_dtmf(self: CallSession, digit: str) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(CallSession, "on_dtmf", broken_on_dtmf)
    good_reader, good_writer = await asyncio.open_connection("127.0.0.1", port)
    good_writer.write(uuid_frame(str(uuid.uuid4())))
    await good_writer.drain()
    await wait_until(lambda: len(services.active_calls) == 1)

    bad_reader, bad_writer = await asyncio.open_connection("127.0.0.1", port)
    bad_writer.write(uuid_frame(CALL_ID) + encode_frame(KIND_DTMF, b"1"))
    await bad_writer.drain()
    await read_to_end(bad_reader)  # the failing call is closed, its socket too
    bad_writer.close()
    await wait_until(lambda: len(services.active_calls) == 1)
    (survivor,) = services.active_calls
    assert survivor.call_id != CALL_ID and not survivor.closed

    good_writer.write(encode_frame(KIND_AUDIO, SILENCE_20MS) + encode_frame(KIND_HANGUP))
    frames = await read_to_end(good_reader)
    good_writer.close()
    assert frames  # it got its greeting
    await wait_until(lambda: not services.active_calls)
    with contextlib.suppress(Exception):
        await bad_writer.wait_closed()


async def test_transfer_hangs_up_the_leg_and_posts_the_hook(port: int, services: VoiceServices, rasa: FakeRasa) -> None:
    rasa.handoff = True
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(uuid_frame(CALL_ID) + encode_frame(KIND_DTMF, b"0") + encode_frame(KIND_DTMF, b"#"))
    await writer.drain()
    frames = await read_to_end(reader, timeout=10)
    writer.close()
    assert frames[-1].kind == KIND_HANGUP  # the dialplan continues to the queue
    assert rasa.messages[0]["message"] == "Jeg vil gerne tale med en medarbejder"
    await wait_until(lambda: bool(rasa.hooks))
    assert rasa.hooks[0]["conversation_id"] == CALL_ID
    assert rasa.hooks[0]["reason"] == "citizen_request"
    await wait_until(lambda: not services.active_calls)


async def test_speech_is_heard_and_interrupts_playback(port: int, services: VoiceServices, rasa: FakeRasa) -> None:
    services.prompts.seconds = 5.0  # a long greeting, so that speaking interrupts it
    speech = espeak_utterance("Hvornår har borgerservice åbent", rate=8000) + silence(1.5, rate=8000)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(uuid_frame(CALL_ID))
    await writer.drain()
    await wait_until(lambda: bool(services.active_calls))
    (call,) = services.active_calls
    transport = call.transport
    await wait_until(lambda: transport.queued_s > 3)  # the greeting is queued and playing
    for offset in range(0, len(speech), FRAME_BYTES):
        writer.write(encode_frame(KIND_AUDIO, speech[offset : offset + FRAME_BYTES]))
    await writer.drain()
    await wait_until(lambda: len(rasa.messages) == 1)
    assert rasa.messages[0]["message"] == "hvornår har I åbent"
    assert rasa.messages[0]["input_channel"] == "phone"
    assert rasa.messages[0]["metadata"]["municipality"] == "testby"
    assert transport.queued_s < 3  # the rest of the greeting was dropped at the barge-in
    writer.write(encode_frame(KIND_HANGUP))
    await read_to_end(reader)
    writer.close()
    await wait_until(lambda: not services.active_calls)


async def test_too_busy_tells_the_caller_and_hangs_up(port: int, services: VoiceServices) -> None:
    services.settings = replace(services.settings, max_calls=0)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(uuid_frame(CALL_ID))
    await writer.drain()
    frames = await read_to_end(reader)
    writer.close()
    assert [f.kind for f in frames] == [KIND_AUDIO] * 10 + [KIND_HANGUP]  # the (200 ms) "optaget" prompt, then hang-up
    assert calls_started(services) == 0
