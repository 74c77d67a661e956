"""Attacks on the channels' trust, sent to the real stack (Rasa + action server + trained model, real gateway).

Each test sends the attack and fails if it works: a caller number posted by anyone but the gateway,
a forged or missing media stream token, a socket that never starts, a blind text/plain post, a
sender that names the shared or a path-like conversation.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import uuid

import aiohttp
import pytest
from conftest import TOKEN, get_json, post_json

from muni_core.channel_trust import GATEWAY_HEADER
from voice_gateway.app import create_app
from voice_gateway.channels.common import VOICE_SERVICES
from voice_gateway.channels.stream_token import mint_token
from voice_gateway.paths import DEFAULT_STT_MODEL_DIR
from voice_gateway.settings import GatewaySettings
from voice_gateway.voice_settings import VoiceSettings

pytestmark = pytest.mark.stack

CALLER = "+4561626364"
PHONE_SECRET = "e2e-trust-telephony-secret-0123456789"


def webhook(config) -> str:
    return f"{config.rasa_url}/webhooks/rest/webhook"


def tracker(config, sender: str) -> dict:
    return get_json(f"{config.rasa_url}/conversations/{sender}/tracker?token={TOKEN}")


def stored_rows(tracker_db, sender: str) -> int:
    with sqlite3.connect(tracker_db) as db:
        (count,) = db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()
    return count


def book_on_the_phone(config, headers: dict[str, str]) -> tuple[str, str]:
    """A booking conversation that claims to be a phone call from CALLER; returns (sender, the phone question)."""
    sender = f"e2e-trust-{uuid.uuid4().hex[:10]}"
    metadata = {"municipality": "frederikshavn", "caller": CALLER}
    question = ""
    for text in ("jeg skal have en tid ved jobcentret i morgen klokken halv elleve", "Signe Vestergaard"):
        body = {"sender": sender, "message": text, "metadata": metadata, "input_channel": "phone"}
        status, reply = post_json(webhook(config), body, headers=headers)
        assert status == 200, reply
        question = " ".join(m.get("text", "") for m in reply)
    return sender, question


@pytest.mark.parametrize("headers", [{}, {GATEWAY_HEADER: "guessed-token"}, {GATEWAY_HEADER: TOKEN + "x"}])
def test_a_caller_number_from_anyone_but_the_gateway_is_neither_stored_nor_offered(stack, headers) -> None:
    config, _ = stack
    sender, question = book_on_the_phone(config, headers)
    assert "nummer, du ringer fra" not in question, question  # the read-back does not offer the posted number
    assert "63 64" not in question
    events = tracker(config, sender)
    assert events["slots"].get("caller_number") is None
    users = [e for e in events["events"] if e.get("event") == "user"]
    assert users and all("caller" not in (e.get("metadata") or {}) for e in users)
    assert all(e["input_channel"] == "web" for e in users)  # nor may it claim to be a phone line


def test_the_gateway_credential_is_what_makes_the_caller_trusted(stack) -> None:
    config, _ = stack  # the control: the same conversation from the gateway does get its caller offered
    sender, question = book_on_the_phone(config, {GATEWAY_HEADER: TOKEN})
    assert "nummer, du ringer fra" in question
    assert tracker(config, sender)["slots"].get("caller_number")


def test_a_client_cannot_choose_its_client_address(stack) -> None:
    config, _ = stack
    sender = f"e2e-trust-{uuid.uuid4().hex[:10]}"
    forged = "addr1-" + "0" * 32  # e.g. another citizen's, to use up their booking lookups
    body = {"sender": sender, "message": "hej", "metadata": {"client_address": forged}}
    assert post_json(webhook(config), body)[0] == 200
    (user,) = [e for e in tracker(config, sender)["events"] if e.get("event") == "user"]
    address = user["metadata"]["client_address"]
    assert address != forged and address.startswith("addr1-")
    assert "127.0.0.1" not in str(user["metadata"])  # never an address in clear


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_blind_cross_site_post_gets_415(stack, content_type: str | None) -> None:
    import urllib.error
    import urllib.request

    config, tracker_db = stack
    sender = f"e2e-trust-{uuid.uuid4().hex[:10]}"
    request = urllib.request.Request(webhook(config), data=f'{{"sender": "{sender}", "message": "hej"}}'.encode())
    if content_type:
        request.add_header("Content-Type", content_type)
    else:
        request.remove_header("Content-type")  # urllib would add the form type itself
    request.add_header("Origin", "https://evil.example")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 415
    assert "application/json" in json.loads(refused.value.read())["error"]
    assert stored_rows(tracker_db, sender) == 0


@pytest.mark.parametrize("sender", ["..", ".", "default", "Default", "../tracker", None])
def test_shared_or_path_like_senders_get_400(stack, sender: str | None) -> None:
    config, tracker_db = stack
    body = {"message": "mit telefonnummer er 20304050"} | ({"sender": sender} if sender is not None else {})
    status, reply = post_json(webhook(config), body)
    assert status == 400, reply
    assert "'sender'" in reply["error"]
    assert stored_rows(tracker_db, "default") == 0


# --- the telephony media stream ---------------------------------------------------------------------------


@pytest.fixture
async def gateway(aiohttp_client, stack):
    if not (DEFAULT_STT_MODEL_DIR / "model.bin").exists():
        pytest.fail("Talemodellen mangler i models/stt: kør 'muni models install' (make install gør det).")
    voice = VoiceSettings(
        thinking_after_s=60.0, silence_reprompt_s=60.0, telephony_secret=PHONE_SECRET, start_timeout_s=2.0
    )
    settings = GatewaySettings(
        rasa_url=stack[0].rasa_url, default_municipality="frederikshavn", voice=voice, rasa_token=TOKEN
    )
    return await aiohttp_client(create_app(settings))


def start(call_sid: str, token: str | None) -> dict:
    parameters = {"from": CALLER, "to": "+4598455000"} | ({"token": token} if token is not None else {})
    return {
        "event": "start",
        "streamSid": "MZtrust",
        "start": {
            "streamSid": "MZtrust",
            "callSid": call_sid,
            "customParameters": parameters,
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        },
    }


async def closed_by_gateway(ws: aiohttp.ClientWebSocketResponse, within_s: float) -> list[aiohttp.WSMessage]:
    """Everything received until the gateway closes the socket; fails if it stays open longer than ``within_s``."""
    received = []
    while True:
        message = await asyncio.wait_for(ws.receive(), within_s)
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
            return received
        received.append(message)


def forged_token(kind: str, call_sid: str) -> str | None:
    if kind == "missing":
        return None
    if kind == "garbage":
        return "v1.9999999999." + "0" * 64
    if kind == "wrong secret":
        return mint_token("a-guessed-secret-of-some-length", call_sid, CALLER, "+4598455000", int(time.time()) + 300)
    # the right secret, but signed for another caller: the number in the start is not the one signed
    return mint_token(PHONE_SECRET, call_sid, "+4511223344", "+4598455000", int(time.time()) + 300)


@pytest.mark.parametrize("kind", ["missing", "garbage", "wrong secret", "other caller"])
async def test_a_media_stream_without_a_valid_token_gets_no_call(gateway, stack, kind: str) -> None:
    _, tracker_db = stack
    call_sid = f"CA{uuid.uuid4().hex[:16]}"
    token = forged_token(kind, call_sid)
    ws = await gateway.ws_connect("/voice/twilio")
    await ws.send_json({"event": "connected"})
    await ws.send_json(start(call_sid, token))
    await ws.send_json({"event": "dtmf", "dtmf": {"digit": "2"}})  # would ask Rasa for the opening hours
    received = await closed_by_gateway(ws, 5)
    assert ws.close_code == 1008
    assert not [m for m in received if m.type == aiohttp.WSMsgType.TEXT and '"media"' in m.data]  # no greeting
    assert not gateway.app[VOICE_SERVICES].active_calls
    await asyncio.sleep(0.5)
    assert stored_rows(tracker_db, call_sid) == 0  # no conversation was created
    metrics = await (await gateway.get("/metrics")).text()
    assert 'muni_voice_call_errors_total{channel="phone",kind="auth"}' in metrics


async def test_a_signed_stream_is_a_call_whose_caller_reaches_rasa(gateway, stack) -> None:
    config, _ = stack  # the control: the same start, signed, is a call
    call_sid = f"CA{uuid.uuid4().hex[:16]}"
    ws = await gateway.ws_connect("/voice/twilio")
    await ws.send_json(
        start(call_sid, mint_token(PHONE_SECRET, call_sid, CALLER, "+4598455000", int(time.time()) + 60))
    )
    message = await asyncio.wait_for(ws.receive(), 30)
    assert message.type == aiohttp.WSMsgType.TEXT and '"media"' in message.data  # the greeting
    await ws.send_json({"event": "dtmf", "dtmf": {"digit": "2"}})
    for _ in range(100):
        users = [e for e in tracker(config, call_sid)["events"] if e.get("event") == "user"]
        if users:
            break
        await asyncio.sleep(0.2)
    assert users and users[0]["input_channel"] == "phone"
    assert users[0]["metadata"]["caller"] == "[telefonnummer]"  # trusted, and stored redacted
    await ws.close()


async def test_a_socket_that_never_starts_is_closed_within_the_timeout(gateway) -> None:
    ws = await gateway.ws_connect("/voice/twilio")
    opened = time.monotonic()
    await ws.send_json({"event": "connected"})
    await closed_by_gateway(ws, 6)
    assert time.monotonic() - opened < 4  # start_timeout_s is 2 s
    assert ws.close_code == 1008
    assert not gateway.app[VOICE_SERVICES].active_calls
