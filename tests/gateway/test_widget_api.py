"""The gateway's API for the chat widget and kiosk: files, CORS, read-aloud, rating, kiosk CSP.

Rating storage is checked here against a small aiohttp server standing in for Rasa's HTTP API (to
see exactly what is sent and to make it fail on purpose); the browser tests store a rating in the
real Rasa tracker.
"""

from __future__ import annotations

import io
import wave

import pytest
from aiohttp import web

from voice_gateway.app import create_app
from voice_gateway.paths import DEFAULT_STT_MODEL_DIR
from voice_gateway.settings import GatewaySettings
from voice_gateway.voice_settings import VoiceSettings


@pytest.fixture
async def fake_rasa(aiohttp_server):
    received: list[tuple[str, dict, list]] = []
    state = {"status": 200}

    async def events(request: web.Request) -> web.Response:
        received.append((request.match_info["sender"], dict(request.query), await request.json()))
        return web.json_response({}, status=state["status"])

    app = web.Application()
    app.router.add_post("/conversations/{sender}/tracker/events", events)
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/"), received, state


async def client_for(aiohttp_client, rasa_url="http://127.0.0.1:9", **settings):
    return await aiohttp_client(create_app(GatewaySettings(rasa_url=rasa_url, rasa_token="tok", **settings)))  # noqa: S106


async def test_widget_files_are_served_with_types_and_cache(aiohttp_client):
    client = await client_for(aiohttp_client)
    script = await client.get("/widget/muni-widget.js")
    assert script.status == 200 and script.content_type == "application/javascript"
    assert "max-age" in script.headers["Cache-Control"]
    style = await client.get("/widget/muni-widget.css")
    assert style.status == 200 and style.content_type == "text/css"
    assert (await client.get("/widget/../app.py")).status == 404
    assert (await client.get("/widget/secret.py")).status == 404


async def test_cors_preflight_and_allowed_origins(aiohttp_client):
    client = await client_for(aiohttp_client, widget_origins=("https://www.frederikshavn.dk",))
    allowed = await client.options(
        "/api/chat", headers={"Origin": "https://www.frederikshavn.dk", "Access-Control-Request-Method": "POST"}
    )
    assert allowed.status == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://www.frederikshavn.dk"
    other = await client.options("/api/chat", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    any_client = await client_for(aiohttp_client)
    response = await any_client.get("/api/widget-config", headers={"Origin": "https://x.dk"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


async def test_widget_config_says_whether_voice_is_on(aiohttp_client):
    client = await client_for(aiohttp_client)
    assert await (await client.get("/api/widget-config")).json() == {"voice": False}


async def test_read_aloud_without_voice_is_503_in_danish(aiohttp_client):
    client = await client_for(aiohttp_client)
    response = await client.post("/api/tts", json={"text": "Hej"})
    assert response.status == 503
    assert "Oplæsning" in (await response.json())["error"]


@pytest.mark.skipif(not (DEFAULT_STT_MODEL_DIR / "model.bin").exists(), reason="talemodellen mangler")
async def test_read_aloud_gives_wav_and_refuses_bad_input(aiohttp_client):
    client = await client_for(aiohttp_client, voice=VoiceSettings())
    assert await (await client.get("/api/widget-config")).json() == {"voice": True}
    response = await client.post("/api/tts", json={"text": "Borgerservice har åbent til kl. 15."})
    assert response.status == 200 and response.content_type == "audio/wav"
    with wave.open(io.BytesIO(await response.read())) as wav:
        assert wav.getnchannels() == 1 and wav.getnframes() > wav.getframerate() // 2
    for body, status in (({"text": ""}, 400), ({"text": 5}, 400), ({"text": "x" * 1001}, 413), ([1], 400)):
        assert (await client.post("/api/tts", json=body)).status == status
    assert (await client.post("/api/tts", data=b"{not json")).status == 400


async def test_rating_is_stored_as_slot_events_in_the_conversation(aiohttp_client, fake_rasa):
    rasa_url, received, _ = fake_rasa
    client = await client_for(aiohttp_client, rasa_url=rasa_url)
    response = await client.post("/api/rating", json={"sender": "web-abc", "rating": "no", "comment": "For langt svar"})
    assert response.status == 204
    sender, query, events = received[0]
    assert sender == "web-abc" and query["token"] == "tok"
    assert events == [
        {"event": "slot", "name": "citizen_rating", "value": "no"},
        {"event": "slot", "name": "citizen_rating_comment", "value": "For langt svar"},
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"rating": "yes"},
        {"sender": "../../x", "rating": "yes"},
        {"sender": "web-a", "rating": "maybe"},
        {"sender": "web-a", "rating": "yes", "comment": "x" * 501},
        {"sender": "web-a", "rating": "yes", "comment": 3},
        ["web-a"],
    ],
)
async def test_bad_ratings_are_refused_with_a_reason(aiohttp_client, fake_rasa, body):
    rasa_url, received, _ = fake_rasa
    client = await client_for(aiohttp_client, rasa_url=rasa_url)
    response = await client.post("/api/rating", json=body)
    assert response.status == 400 and (await response.json())["error"]
    assert received == []


async def test_rating_when_rasa_fails_is_503_not_500(aiohttp_client, fake_rasa):
    rasa_url, _, state = fake_rasa
    state["status"] = 500
    client = await client_for(aiohttp_client, rasa_url=rasa_url)
    response = await client.post("/api/rating", json={"sender": "web-a", "rating": "yes"})
    assert response.status == 503 and "Tak" in (await response.json())["error"]
    down = await client_for(aiohttp_client)
    assert (await down.post("/api/rating", json={"sender": "web-a", "rating": "yes"})).status == 503


async def test_kiosk_page_has_a_strict_csp(aiohttp_client):
    client = await client_for(aiohttp_client)
    response = await client.get("/kiosk?municipality=frederikshavn")
    assert response.status == 200
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
