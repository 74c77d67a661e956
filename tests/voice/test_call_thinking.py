"""'Et øjeblik' when the answer is slow, silence when it is quick, with the real gateway and speech engines.

Rasa is replaced by a small aiohttp server that answers after a chosen delay (a stand-in: the real
Rasa cannot be made slow on purpose); the gateway, the browser voice channel, Whisper, the VAD and
espeak-ng are real.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from aiohttp import WSMsgType, web

from voice_gateway.app import create_app
from voice_gateway.paths import DEFAULT_STT_MODEL_DIR
from voice_gateway.settings import GatewaySettings
from voice_gateway.voice_settings import VoiceSettings

pytestmark = pytest.mark.skipif(
    not (DEFAULT_STT_MODEL_DIR / "model.bin").exists(), reason="talemodellen mangler: kør 'muni models install'"
)


async def gateway_with_rasa_delay(aiohttp_client, aiohttp_server, delay_s: float):
    async def webhook(request: web.Request) -> web.Response:
        await request.json()
        await asyncio.sleep(delay_s)
        return web.json_response([{"text": "Et pas koster 763 kroner for voksne."}])

    rasa = web.Application()
    rasa.router.add_post("/webhooks/rest/webhook", webhook)
    server = await aiohttp_server(rasa)
    voice = VoiceSettings(thinking_after_s=0.5, silence_reprompt_s=60)
    settings = GatewaySettings(rasa_url=str(server.make_url("")).rstrip("/"), voice=voice)
    return await aiohttp_client(create_app(settings))


async def audio_before_reply(client) -> tuple[int, float]:
    """Type a question in a browser call after the greeting; count audio bytes that arrive before the reply event."""
    async with client.ws_connect("/voice/browser") as ws:
        await ws.send_json({"type": "start"})
        while True:  # the greeting: wait for its mark, and echo it as the page does
            message = await ws.receive(timeout=20)
            if message.type == WSMsgType.TEXT and json.loads(message.data).get("type") == "mark":
                await ws.send_json({"type": "mark", "name": json.loads(message.data)["name"]})
                break
        sent = time.monotonic()
        await ws.send_json({"type": "text", "text": "hvad koster et pas"})
        before = 0
        while True:
            message = await ws.receive(timeout=20)
            if message.type == WSMsgType.BINARY:
                before += len(message.data)
            elif message.type == WSMsgType.TEXT and json.loads(message.data).get("type") == "reply":
                return before, time.monotonic() - sent


async def test_slow_answer_gets_et_oejeblik_first(aiohttp_client, aiohttp_server):
    client = await gateway_with_rasa_delay(aiohttp_client, aiohttp_server, delay_s=2.0)
    before, waited = await audio_before_reply(client)
    assert waited >= 2.0
    assert before > 16000 * 2 * 0.3, "some 'et øjeblik' audio (16 kHz PCM16) came before the slow answer"


async def test_quick_answer_gets_no_filler(aiohttp_client, aiohttp_server):
    client = await gateway_with_rasa_delay(aiohttp_client, aiohttp_server, delay_s=0.0)
    before, _ = await audio_before_reply(client)
    assert before == 0
