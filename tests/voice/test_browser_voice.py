"""Browser voice: message parsing, the WebSocket call and the page.

The WebSocket tests run the real handler with fakes for speech engines (speech-to-text,
text-to-speech and prompt audio); the real engines are covered by the end-to-end tests. The VAD is
the real Silero model (cheap), and Rasa is a tiny aiohttp server answering "Hej".
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType, web
from audio_fixtures import espeak_utterance, silence
from speech_fakes import FakePrompts, FakeStt, FakeTts, wait_until

from muni_core.channel_trust import GATEWAY_HEADER, client_address_id
from voice_gateway.call import CallSession, VoiceServices
from voice_gateway.channels.browser import (
    CONVERSATION_PATTERN,
    BrowserStart,
    Dtmf,
    Mark,
    ProtocolError,
    Stop,
    Text,
    check_audio,
    handle_browser_voice,
    new_conversation_id,
    parse_client_message,
    voice_page,
)
from voice_gateway.channels.common import DIRECTORY, VOICE_SERVICES
from voice_gateway.chat_session import WIDGET_SECRET, token_for
from voice_gateway.directory import MunicipalityDirectory, MunicipalityLine
from voice_gateway.keys import SETTINGS
from voice_gateway.metrics import VoiceMetrics
from voice_gateway.settings import GatewaySettings
from voice_gateway.speech.vad import SileroVad
from voice_gateway.voice_settings import VoiceSettings

CONVERSATION = "web-" + "a1B2_c3D4-e5F6g7H8iJ9k"  # the shape /api/chat issues (22 characters)

RASA_TOKEN = "gateway-rasa-token"
WIDGET_TEST_SECRET = b"w" * 32
SOME_TOKEN = "a-session-token"


# --- parsing ----------------------------------------------------------------------------------------


def test_parse_start() -> None:
    assert parse_client_message('{"type": "start"}') == BrowserStart()
    assert parse_client_message(
        json.dumps({"type": "start", "municipality": "aarhus", "conversation_id": CONVERSATION, "token": SOME_TOKEN})
    ) == BrowserStart(municipality="aarhus", conversation_id=CONVERSATION, token=SOME_TOKEN)
    assert parse_client_message('{"type": "start", "municipality": ""}') == BrowserStart()


def test_parse_other_messages() -> None:
    assert parse_client_message('{"type": "dtmf", "digit": "#"}') == Dtmf("#")
    assert parse_client_message('{"type": "mark", "name": "reply-3"}') == Mark("reply-3")
    assert parse_client_message('{"type": "stop"}') == Stop()
    assert parse_client_message('{"type": "text", "text": "  pas  "}') == Text("pas")


@pytest.mark.parametrize(
    "raw",
    [
        "ikke json",
        "[1, 2]",
        '{"kind": "start"}',
        '{"type": "fly"}',
        '{"type": "start", "municipality": "Aarhus Kommune"}',
        '{"type": "start", "municipality": 7}',
        '{"type": "start", "conversation_id": "40325ec2-5efd-4bd3-805f-53576e581d13"}',
        '{"type": "start", "conversation_id": "web-kort"}',
        '{"type": "dtmf", "digit": "12"}',
        '{"type": "dtmf", "digit": "A"}',
        '{"type": "dtmf"}',
        '{"type": "mark", "name": ""}',
        '{"type": "text", "text": 5}',
    ],
)
def test_parse_refuses(raw: str) -> None:
    with pytest.raises(ProtocolError) as error:
        parse_client_message(raw)
    assert str(error.value)  # a Danish message for the page


def test_audio_checks() -> None:
    assert check_audio(b"\x00\x01" * 320) == b"\x00\x01" * 320
    with pytest.raises(ProtocolError):
        check_audio(b"\x00" * 641)
    with pytest.raises(ProtocolError):
        check_audio(bytes(64 * 1024 + 2))


def test_new_conversation_ids_are_valid_and_fresh() -> None:
    ids = {new_conversation_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(CONVERSATION_PATTERN.match(i) for i in ids)


# --- the WebSocket call (fakes for speech engines) ----------------------------------------------------


@pytest.fixture
async def rasa_messages(aiohttp_server) -> tuple[str, list[dict[str, Any]]]:
    messages: list[dict[str, Any]] = []

    async def webhook(request: web.Request) -> web.Response:
        messages.append(await request.json() | {"_gateway_header": request.headers.get(GATEWAY_HEADER)})
        return web.json_response([{"text": "Hej"}])

    rasa = web.Application()
    rasa.router.add_post("/webhooks/rest/webhook", webhook)
    server = await aiohttp_server(rasa)
    return str(server.make_url("")).rstrip("/"), messages


@pytest.fixture
async def services(rasa_messages, vad: SileroVad) -> AsyncIterator[VoiceServices]:
    async with aiohttp.ClientSession() as session:
        yield VoiceServices(
            stt=FakeStt(),
            tts=FakeTts(),
            prompts=FakePrompts(),
            vad=vad,
            settings=VoiceSettings(),
            metrics=VoiceMetrics.create(),
            rasa_url=rasa_messages[0],
            rasa_session=session,
            rasa_timeout_s=5.0,
            rasa_token=RASA_TOKEN,
        )


@pytest.fixture
async def client(aiohttp_client, services: VoiceServices):
    app = web.Application()
    app[VOICE_SERVICES] = services
    app[DIRECTORY] = MunicipalityDirectory(
        [
            MunicipalityLine("testby", "Testby", "70 10 20 30", ()),
            MunicipalityLine("aarhus", "Aarhus", "89 40 20 00", ()),
        ]
    )
    app[SETTINGS] = GatewaySettings(default_municipality="testby", voice=services.settings, rasa_token=RASA_TOKEN)
    app[WIDGET_SECRET] = WIDGET_TEST_SECRET
    app.router.add_get("/voice/browser", handle_browser_voice)
    app.router.add_get("/ring", voice_page)
    client = await aiohttp_client(app)
    yield client
    for call in list(services.active_calls):
        await call.close("test_end")


async def next_event(ws: aiohttp.ClientWebSocketResponse, kind: str, timeout: float = 5.0) -> dict[str, Any]:
    """The next JSON event of this type (audio and other events are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        message = await ws.receive(timeout=max(0.01, deadline - time.monotonic()))
        if message.type == WSMsgType.TEXT:
            event = json.loads(message.data)
            if event.get("type") == kind:
                return event
        elif message.type != WSMsgType.BINARY:
            raise AssertionError(f"socket ended ({message.type}) while waiting for {kind!r}")


async def next_audio(ws: aiohttp.ClientWebSocketResponse, timeout: float = 5.0) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        message = await ws.receive(timeout=max(0.01, deadline - time.monotonic()))
        if message.type == WSMsgType.BINARY:
            return message.data
        if message.type != WSMsgType.TEXT:
            raise AssertionError(f"socket ended ({message.type}) while waiting for audio")


async def test_start_gives_ready_and_the_greeting(client, services: VoiceServices) -> None:
    async with client.ws_connect("/voice/browser") as ws:
        await ws.send_json({"type": "start"})
        ready = await next_event(ws, "ready")
        assert CONVERSATION_PATTERN.match(ready["conversation_id"])
        greeting = await next_audio(ws)
        assert len(greeting) == 6400  # 200 ms of 16 kHz PCM16, sent at the browser's rate
        (call,) = services.active_calls
        assert call.channel == "browser"
        assert call.municipality == "testby"
        assert call.call_id == ready["conversation_id"]
        await ws.send_json({"type": "stop"})
        while (await ws.receive(timeout=5)).type in (WSMsgType.TEXT, WSMsgType.BINARY):
            pass  # the server closes the socket after "stop"
    await wait_until(lambda: not services.active_calls)
    assert call.closed
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith(f"call-{call.call_id}")]


async def test_start_with_conversation_id_and_municipality(client, services: VoiceServices) -> None:
    async with client.ws_connect("/voice/browser?municipality=testby") as ws:
        token = token_for(WIDGET_TEST_SECRET, CONVERSATION)
        await ws.send_json({"type": "start", "municipality": "aarhus", "conversation_id": CONVERSATION, "token": token})
        assert (await next_event(ws, "ready"))["conversation_id"] == CONVERSATION
        (call,) = services.active_calls
        assert call.municipality == "aarhus"
        assert call.municipality_name == "Aarhus"
        with pytest.raises(TimeoutError):  # a chat continued by voice gets no phone greeting
            await next_audio(ws, timeout=0.5)


@pytest.mark.parametrize("token", [None, "", "forged", "token-of-another-conversation"])
async def test_a_conversation_is_continued_by_voice_only_with_its_token(
    client, services: VoiceServices, rasa_messages, token: str | None
) -> None:
    if token == "token-of-another-conversation":
        token = token_for(WIDGET_TEST_SECRET, "web-" + "b" * 22)
    async with client.ws_connect("/voice/browser") as ws:
        start = {"type": "start", "conversation_id": CONVERSATION}
        if token is not None:
            start["token"] = token
        await ws.send_json(start)
        error = await next_event(ws, "error")
        assert "samtalen kunne ikke genkendes" in error["message"].lower()
        assert (await next_event(ws, "hangup"))["type"] == "hangup"
        await ws.send_json({"type": "text", "text": "hvad sagde du"})
    assert not services.active_calls
    assert all(sent["sender"] != CONVERSATION for sent in rasa_messages[1])


async def test_query_municipality_is_used(client, services: VoiceServices) -> None:
    async with client.ws_connect("/voice/browser?municipality=aarhus") as ws:
        await ws.send_json({"type": "start"})
        await next_event(ws, "ready")
        (call,) = services.active_calls
        assert call.municipality == "aarhus"


async def test_malformed_query_municipality_is_refused(client) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as error:
        await client.ws_connect("/voice/browser?municipality=Aarhus%20Kommune")
    assert error.value.status == 400


async def test_binary_audio_before_start_starts_the_call(client, services: VoiceServices) -> None:
    async with client.ws_connect("/voice/browser") as ws:
        await ws.send_bytes(bytes(1280))  # 40 ms of silence
        await next_event(ws, "ready")
        for _ in range(25):
            await ws.send_bytes(bytes(1280))
        await next_audio(ws)
        (call,) = services.active_calls
        assert not call.closed


async def test_malformed_messages_get_an_error_and_the_socket_stays_open(client, services: VoiceServices) -> None:
    async with client.ws_connect("/voice/browser") as ws:
        await ws.send_str("{ikke json")
        error = await next_event(ws, "error")
        assert "JSON" in error["message"]
        await ws.send_json({"type": "dtmf", "digit": "1"})
        assert "ikke startet" in (await next_event(ws, "error"))["message"]
        await ws.send_json({"type": "start"})
        await next_event(ws, "ready")
        await ws.send_json({"type": "fly"})
        assert "Ukendt" in (await next_event(ws, "error"))["message"]
        await ws.send_bytes(bytes(641))  # odd length: dropped
        assert "PCM" in (await next_event(ws, "error"))["message"]
        await ws.send_json({"type": "start"})
        assert "allerede" in (await next_event(ws, "error"))["message"]
        await ws.send_json({"type": "text", "text": "pas"})  # typed text is a turn of the call
        assert (await next_event(ws, "reply"))["text"]
        assert not ws.closed
        (call,) = services.active_calls
        assert not call.closed
    labels = {"channel": "browser", "kind": "protocol"}
    assert services.metrics.registry.get_sample_value("muni_voice_call_errors_total", labels) == 3


async def test_dtmf_and_marks_reach_the_call(
    client, services: VoiceServices, rasa_messages, monkeypatch: pytest.MonkeyPatch
) -> None:
    marks: list[str] = []
    original = CallSession.on_mark

    def on_mark(self: CallSession, name: str) -> None:
        marks.append(name)
        original(self, name)

    monkeypatch.setattr(CallSession, "on_mark", on_mark)
    async with client.ws_connect("/voice/browser") as ws:
        await ws.send_json({"type": "start"})
        ready = await next_event(ws, "ready")
        mark = await next_event(ws, "mark")  # after the greeting
        await ws.send_json({"type": "mark", "name": mark["name"]})
        await wait_until(lambda: marks == [mark["name"]])
        for digit in "42#":
            await ws.send_json({"type": "dtmf", "digit": digit})
        reply = await next_event(ws, "reply")
        assert reply["text"].startswith("Hej")  # as spoken (phone_text may add a full stop)
        assert reply["messages"] == [{"text": "Hej"}]
        assert rasa_messages[1][0]["message"] == "42"
        assert rasa_messages[1][0]["sender"] == ready["conversation_id"]
        assert rasa_messages[1][0]["input_channel"] == "browser"


async def test_speech_is_heard_answered_and_interrupts_playback(client, services: VoiceServices, rasa_messages) -> None:
    services.prompts.seconds = 5.0  # a long greeting, so that speaking interrupts it
    speech = espeak_utterance("Hvornår har borgerservice åbent", rate=16_000) + silence(1.5)
    async with client.ws_connect("/voice/browser") as ws:
        await ws.send_json({"type": "start"})
        await next_event(ws, "ready")
        await next_audio(ws)  # the greeting is playing
        for offset in range(0, len(speech), 1280):  # 40 ms frames, as the page sends them
            await ws.send_bytes(speech[offset : offset + 1280])
        await next_event(ws, "clear")  # barge-in: the page stops the greeting
        assert (await next_event(ws, "transcript"))["text"] == "hvornår har I åbent"
        assert (await next_event(ws, "reply"))["text"].startswith("Hej")
        assert rasa_messages[1][0]["message"] == "hvornår har I åbent"


async def test_client_disconnect_closes_the_call(client, services: VoiceServices) -> None:
    ws = await client.ws_connect("/voice/browser")
    await ws.send_json({"type": "start"})
    await next_event(ws, "ready")
    (call,) = services.active_calls
    await ws.close()
    await wait_until(lambda: call.closed and not services.active_calls)


async def test_voice_page_is_served_with_a_strict_policy(client) -> None:
    response = await client.get("/ring")
    assert response.status == 200
    assert response.content_type == "text/html"
    html = await response.text()
    assert "Ring til kommunen fra din computer" in html
    assert "Ring op" in html
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "unsafe-inline" not in policy
    for tag in ("script", "style"):
        (body,) = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.DOTALL)
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert "http://" not in html and "https://" not in html  # no external resources


async def test_too_busy_tells_the_caller_and_hangs_up(client, services: VoiceServices) -> None:
    services.settings = replace(services.settings, max_calls=0)
    async with client.ws_connect("/voice/browser") as ws:
        await ws.send_json({"type": "start"})
        await next_audio(ws)  # "alle linjer er optaget"
        transfer = await next_event(ws, "transfer")
        assert transfer["transfer"]["reason"] == "too_busy"
        await next_event(ws, "hangup")
        assert (await ws.receive(timeout=5)).type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
    assert not services.active_calls


async def test_a_browser_call_never_has_a_caller_and_sends_only_a_hashed_address(client, rasa_messages) -> None:
    async with client.ws_connect("/voice/browser") as ws:
        # A page that claims a phone number: the browser is not a phone line, so it is ignored.
        await ws.send_json({"type": "start", "caller": "+4520304050", "from": "+4520304050"})
        await next_event(ws, "ready")
        await ws.send_json({"type": "text", "text": "hej"})
        await next_event(ws, "reply")
    (message,) = rasa_messages[1]
    assert message["_gateway_header"] == RASA_TOKEN  # the gateway vouches for what it sends
    assert "caller" not in message["metadata"]
    assert message["metadata"]["client_address"] == client_address_id(RASA_TOKEN, "127.0.0.1")
    assert "127.0.0.1" not in json.dumps(message)
