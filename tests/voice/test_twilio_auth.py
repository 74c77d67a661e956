"""Who may open a telephony media stream: the signed per-stream token, the start timeout, the caller's number.

The handler runs for real (aiohttp WebSocket, call driver, call session) with fakes for the speech
engines; Rasa is a tiny aiohttp server that records what it gets, headers included.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from speech_fakes import FakePrompts, FakeStt, FakeTts, wait_until

from muni_core.channel_trust import GATEWAY_HEADER
from voice_gateway.call import VoiceServices
from voice_gateway.channels.common import DIRECTORY, STREAM_AUTH, VOICE_SERVICES
from voice_gateway.channels.stream_token import StreamAuth, mint_token, telephony_secret
from voice_gateway.channels.twilio import handle_media_stream
from voice_gateway.directory import MunicipalityDirectory, MunicipalityLine
from voice_gateway.keys import SETTINGS
from voice_gateway.metrics import VoiceMetrics
from voice_gateway.settings import GatewaySettings
from voice_gateway.speech.vad import SileroVad
from voice_gateway.voice_settings import VoiceSettings

SECRET = "telephony-test-secret-0123456789"
RASA_TOKEN = "gateway-rasa-token"
CALLER, DIALLED = "+4520304050", "+4570102030"


class FakeRasa:
    """Rasa's REST webhook: answers "Hej" and records each message with its gateway header."""

    def __init__(self) -> None:
        self.url = ""
        self.messages: list[dict] = []
        self.headers: list[str | None] = []

    async def webhook(self, request: web.Request) -> web.Response:
        self.messages.append(await request.json())
        self.headers.append(request.headers.get(GATEWAY_HEADER))
        return web.json_response([{"text": "Hej"}])


@pytest.fixture
async def rasa(aiohttp_server) -> FakeRasa:
    fake = FakeRasa()
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", fake.webhook)
    fake.url = str((await aiohttp_server(app)).make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def services(rasa: FakeRasa, vad: SileroVad) -> AsyncIterator[VoiceServices]:
    async with aiohttp.ClientSession() as session:
        services = VoiceServices(
            stt=FakeStt(),
            tts=FakeTts(),
            prompts=FakePrompts(),
            vad=vad,
            settings=VoiceSettings(telephony_secret=SECRET, start_timeout_s=10.0),
            metrics=VoiceMetrics.create(),
            rasa_url=rasa.url,
            rasa_session=session,
            rasa_timeout_s=5.0,
            rasa_token=RASA_TOKEN,
        )
        yield services
        for call in list(services.active_calls):
            await call.close("test_end")


@pytest.fixture
async def client(aiohttp_client, services: VoiceServices):
    app = web.Application()
    app[VOICE_SERVICES] = services
    app[DIRECTORY] = MunicipalityDirectory([MunicipalityLine("testby", "Testby", "70 10 20 30", ())])
    app[SETTINGS] = GatewaySettings(default_municipality="testby", voice=services.settings, rasa_token=RASA_TOKEN)
    app[STREAM_AUTH] = StreamAuth(SECRET)
    app.router.add_get("/voice/twilio", handle_media_stream)
    return await aiohttp_client(app)


def start_message(call_sid: str, token: str | None, caller: str = CALLER, dialled: str = DIALLED) -> dict:
    parameters = {"from": caller, "to": dialled}
    if token is not None:
        parameters["token"] = token
    return {
        "event": "start",
        "streamSid": "MZ1",
        "start": {
            "streamSid": "MZ1",
            "callSid": call_sid,
            "customParameters": parameters,
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        },
    }


def valid_token(call_sid: str, caller: str = CALLER, dialled: str = DIALLED, ttl_s: int = 300) -> str:
    return mint_token(SECRET, call_sid, caller, dialled, int(time.time()) + ttl_s)


def errors(services: VoiceServices, kind: str) -> float:
    labels = {"channel": "phone", "kind": kind}
    return services.metrics.registry.get_sample_value("muni_voice_call_errors_total", labels) or 0.0


def calls_started(services: VoiceServices) -> float:
    return services.metrics.registry.get_sample_value("muni_voice_calls_total", {"channel": "phone"}) or 0.0


async def refused(client, services: VoiceServices, message: dict) -> aiohttp.ClientWebSocketResponse:
    """Send a start that must be refused; return the closed socket."""
    ws = await client.ws_connect("/voice/twilio")
    await ws.send_json({"event": "connected"})
    await ws.send_json(message)
    closing = await asyncio.wait_for(ws.receive(), 5)
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), closing
    assert ws.close_code == 1008
    assert calls_started(services) == 0 and not services.active_calls
    return ws


async def test_a_signed_stream_is_admitted_with_its_caller_and_rasa_gets_the_credential(
    client, services: VoiceServices, rasa: FakeRasa
) -> None:
    sid = f"CA{uuid.uuid4().hex}"
    ws = await client.ws_connect("/voice/twilio")
    await ws.send_json(start_message(sid, valid_token(sid)))
    await wait_until(lambda: calls_started(services) == 1)
    (call,) = services.active_calls
    assert (call.call_id, call.caller, call.municipality) == (sid, CALLER, "testby")
    await asyncio.sleep(0.3)  # the (fake) greeting is under way
    await ws.send_json({"event": "dtmf", "dtmf": {"digit": "2"}})  # keypad menu: opening hours
    await wait_until(lambda: rasa.messages)
    assert rasa.headers[0] == RASA_TOKEN
    assert rasa.messages[0]["metadata"]["caller"] == CALLER
    assert rasa.messages[0]["input_channel"] == "phone"
    await ws.send_json({"event": "stop"})
    await ws.close()
    await wait_until(lambda: not services.active_calls)


@pytest.mark.parametrize(
    ("make_token", "kind"),
    [
        (lambda sid: None, "missing"),
        (lambda sid: "", "missing"),
        (lambda sid: "let-me-in", "malformed"),
        (
            lambda sid: mint_token("a-guessed-secret-of-some-length", sid, CALLER, DIALLED, int(time.time()) + 60),
            "forged",
        ),
        (lambda sid: valid_token(sid, caller="+4511111111"), "for another caller"),
        (lambda sid: valid_token(sid, dialled="+4598455000"), "for another line"),
        (lambda sid: valid_token("CAsomeoneelse"), "for another call"),
        (lambda sid: valid_token(sid, ttl_s=-5), "expired"),
        (lambda sid: valid_token(sid, ttl_s=30 * 24 * 3600), "valid for a month"),
        (lambda sid: valid_token(sid)[:-1] + ("0" if valid_token(sid)[-1] != "0" else "1"), "one digit changed"),
    ],
)
async def test_a_stream_without_a_valid_token_is_refused_before_any_call(
    client, services: VoiceServices, rasa: FakeRasa, make_token, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    sid = f"CA{uuid.uuid4().hex}"
    token = make_token(sid)
    await refused(client, services, start_message(sid, token))
    assert errors(services, "auth") == 1.0, kind
    assert not rasa.messages
    assert "media stream refused" in caplog.text
    assert CALLER not in caplog.text and (not token or token not in caplog.text)  # no citizen data in the log


async def test_a_token_cannot_be_replayed(client, services: VoiceServices) -> None:
    sid = f"CA{uuid.uuid4().hex}"
    token = valid_token(sid)
    first = await client.ws_connect("/voice/twilio")
    await first.send_json(start_message(sid, token))
    await wait_until(lambda: calls_started(services) == 1)
    await refused_again(client, services, start_message(sid, token))
    await first.close()


async def refused_again(client, services: VoiceServices, message: dict) -> None:
    ws = await client.ws_connect("/voice/twilio")
    await ws.send_json(message)
    closing = await asyncio.wait_for(ws.receive(), 5)
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert ws.close_code == 1008
    assert calls_started(services) == 1 and errors(services, "auth") == 1.0


async def test_a_socket_that_never_starts_is_closed_after_the_timeout(client, services: VoiceServices) -> None:
    services.settings = replace(services.settings, start_timeout_s=0.5)
    ws = await client.ws_connect("/voice/twilio")
    opened = time.monotonic()
    await ws.send_json({"event": "connected"})
    await ws.send_json({"event": "media", "media": {"payload": "/w=="}})  # chatter is no start
    closing = await asyncio.wait_for(ws.receive(), 5)
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert 0.4 < time.monotonic() - opened < 3
    assert ws.close_code == 1008
    assert errors(services, "no_start") == 1.0 and calls_started(services) == 0


async def test_without_a_configured_checker_every_stream_is_refused(aiohttp_client, services: VoiceServices) -> None:
    app = web.Application()
    app[VOICE_SERVICES] = services
    app[SETTINGS] = GatewaySettings(voice=services.settings)
    app.router.add_get("/voice/twilio", handle_media_stream)
    client = await aiohttp_client(app)
    sid = f"CA{uuid.uuid4().hex}"
    await refused(client, services, start_message(sid, valid_token(sid)))


def test_token_round_trip_and_clock() -> None:
    now = 1_800_000_000.0
    auth = StreamAuth(SECRET, clock=lambda: now)
    token = mint_token(SECRET, "CA1", CALLER, DIALLED, int(now) + 60)
    assert token.startswith("v1.1800000060.") and len(token.split(".")[2]) == 64
    assert auth.refusal("CA1", CALLER, DIALLED, token) is None
    assert auth.refusal("CA1", CALLER, DIALLED, token) == "replayed"
    later = StreamAuth(SECRET, clock=lambda: now + 61)
    assert later.refusal("CA1", CALLER, DIALLED, token) == "expired"
    with pytest.raises(ValueError):
        mint_token("", "CA1", CALLER, DIALLED, 1)
    with pytest.raises(ValueError):
        StreamAuth("")


def test_the_secret_is_generated_once_with_mode_600(tmp_path: Path) -> None:
    secret = telephony_secret("", tmp_path / "var")
    assert len(secret) >= 40
    assert (tmp_path / "var" / "telephony_secret").stat().st_mode & 0o077 == 0
    assert telephony_secret("", tmp_path / "var") == secret
    assert telephony_secret(SECRET, tmp_path / "var") == SECRET
    with pytest.raises(ValueError, match="mindst"):
        telephony_secret("short", tmp_path / "var")


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUNI_TELEPHONY_SECRET", SECRET)
    monkeypatch.setenv("MUNI_AUDIOSOCKET_ALLOW", "10.0.0.5, 192.168.1.0/24")
    monkeypatch.setenv("MUNI_VOICE_START_TIMEOUT_S", "4")
    monkeypatch.setenv("MUNI_TRUSTED_PROXIES", "10.0.0.1")
    voice = VoiceSettings()
    assert (voice.telephony_secret, voice.audiosocket_allow, voice.start_timeout_s) == (
        SECRET,
        ("10.0.0.5", "192.168.1.0/24"),
        4.0,
    )
    assert GatewaySettings().trusted_proxies == ("10.0.0.1",)
    monkeypatch.setenv("MUNI_VOICE_START_TIMEOUT_S", "soon")
    with pytest.raises(ValueError, match="MUNI_VOICE_START_TIMEOUT_S"):
        VoiceSettings()


def test_muni_voice_token_mints_what_the_gateway_admits(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from muni.cli import main

    monkeypatch.setenv("MUNI_RASA_TOKEN", RASA_TOKEN)  # no var/rasa_token made by the config loader
    monkeypatch.setenv("MUNI_TELEPHONY_SECRET", SECRET)
    assert main(["voice", "token", "--call-sid", "CA42", "--from", CALLER, "--to", DIALLED, "--ttl", "60"]) == 0
    token = capsys.readouterr().out.strip()
    assert StreamAuth(SECRET).refusal("CA42", CALLER, DIALLED, token) is None
    assert StreamAuth(SECRET).refusal("CA42", "+4511111111", DIALLED, token) == "invalid"
    assert main(["voice", "token", "--call-sid", "CA42", "--from", CALLER, "--to", DIALLED, "--ttl", "99999"]) == 2
    monkeypatch.setenv("MUNI_TELEPHONY_SECRET", "too-short")
    assert main(["voice", "token", "--call-sid", "CA42", "--from", CALLER, "--to", DIALLED]) == 2
    assert "mindst 16 tegn" in capsys.readouterr().err
