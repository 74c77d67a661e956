"""The gateway's API for the chat widget and kiosk: files, CORS, sessions, read-aloud, rating, JSON bodies, headers.

Rating storage is checked here against a small aiohttp server standing in for Rasa's HTTP API (to
see exactly what is sent and to make it fail on purpose); the browser tests store a rating in the
real Rasa tracker.
"""

from __future__ import annotations

import io
import json
import stat
import wave

import pytest
from aiohttp import web

from voice_gateway.app import create_app
from voice_gateway.chat_session import new_session, token_for, widget_secret
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


SECRET = "widget-secret-of-the-unit-tests-0123456789"
SENDER, TOKEN = new_session(SECRET.encode())
HELD = {"sender": SENDER, "token": TOKEN}
"""A conversation the test client holds (issued under the test gateway's secret)."""


async def client_for(aiohttp_client, rasa_url="http://127.0.0.1:9", **settings):
    settings.setdefault("widget_secret", SECRET)
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
    response = await client.post("/api/tts", json={**HELD, "text": "Hej"})
    assert response.status == 503
    assert "Oplæsning" in (await response.json())["error"]


@pytest.mark.skipif(not (DEFAULT_STT_MODEL_DIR / "model.bin").exists(), reason="talemodellen mangler")
async def test_read_aloud_gives_wav_and_refuses_bad_input(aiohttp_client):
    client = await client_for(aiohttp_client, voice=VoiceSettings())
    assert await (await client.get("/api/widget-config")).json() == {"voice": True}
    response = await client.post("/api/tts", json={**HELD, "text": "Borgerservice har åbent til kl. 15."})
    assert response.status == 200 and response.content_type == "audio/wav"
    with wave.open(io.BytesIO(await response.read())) as wav:
        assert wav.getnchannels() == 1 and wav.getnframes() > wav.getframerate() // 2
    for body, status in (
        ({**HELD, "text": ""}, 400),
        ({**HELD, "text": 5}, 400),
        ({**HELD, "text": "x" * 1001}, 413),
        ([1], 400),
        ({"text": "Hej"}, 400),  # no conversation
        ({"sender": SENDER, "token": "x" * 43, "text": "Hej"}, 403),
    ):
        assert (await client.post("/api/tts", json=body)).status == status
    not_json = await client.post("/api/tts", data=b"{not json", headers={"Content-Type": "application/json"})
    assert not_json.status == 400


async def test_rating_is_stored_as_slot_events_in_the_conversation(aiohttp_client, fake_rasa):
    rasa_url, received, _ = fake_rasa
    client = await client_for(aiohttp_client, rasa_url=rasa_url)
    response = await client.post("/api/rating", json={**HELD, "rating": "no", "comment": "For langt svar"})
    assert response.status == 204
    sender, query, events = received[0]
    assert sender == SENDER and query["token"] == "tok"
    assert events == [
        {"event": "slot", "name": "citizen_rating", "value": "no"},
        {"event": "slot", "name": "citizen_rating_comment", "value": "For langt svar"},
    ]


OTHER_SENDER, OTHER_TOKEN = new_session(b"another-installation's-secret-0123456789")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"rating": "yes"}, 400),
        ({"sender": "../../x", "rating": "yes"}, 400),
        ({"sender": "..", "token": token_for(SECRET.encode(), ".."), "rating": "yes"}, 400),
        ({"sender": "default", "token": token_for(SECRET.encode(), "default"), "rating": "yes"}, 400),
        ({"sender": "CA0123456789abcdef0123456789abcdef", "rating": "yes"}, 400),  # a phone call's conversation
        ({**HELD, "rating": "maybe"}, 400),
        ({**HELD, "rating": "yes", "comment": "x" * 501}, 400),
        ({**HELD, "rating": "yes", "comment": 3}, 400),
        (["web-a"], 400),
        ({"sender": SENDER, "rating": "yes"}, 403),  # no token
        ({"sender": SENDER, "token": TOKEN[:-1] + "A", "rating": "yes"}, 403),
        ({"sender": OTHER_SENDER, "token": TOKEN, "rating": "yes"}, 403),  # someone else's conversation
        ({"sender": OTHER_SENDER, "token": OTHER_TOKEN, "rating": "yes"}, 403),  # another secret's token
    ],
)
async def test_bad_ratings_are_refused_with_a_reason(aiohttp_client, fake_rasa, body, status):
    rasa_url, received, _ = fake_rasa
    client = await client_for(aiohttp_client, rasa_url=rasa_url)
    response = await client.post("/api/rating", json=body)
    assert response.status == status and (await response.json())["error"]
    assert received == []


async def test_rating_when_rasa_fails_is_503_not_500(aiohttp_client, fake_rasa):
    rasa_url, _, state = fake_rasa
    state["status"] = 500
    client = await client_for(aiohttp_client, rasa_url=rasa_url)
    response = await client.post("/api/rating", json={**HELD, "rating": "yes"})
    assert response.status == 503 and "Tak" in (await response.json())["error"]
    down = await client_for(aiohttp_client)
    assert (await down.post("/api/rating", json={**HELD, "rating": "yes"})).status == 503


async def test_kiosk_page_has_a_strict_csp(aiohttp_client):
    client = await client_for(aiohttp_client)
    response = await client.get("/kiosk?municipality=frederikshavn")
    assert response.status == 200
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"


# --- conversations are issued by the gateway and bound to a token ------------------------------------


@pytest.fixture
async def fake_rest(aiohttp_server):
    """Rasa's REST channel stand-in: records what the gateway forwards, answers with the sender it got."""
    forwarded: list[dict] = []

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        forwarded.append(body)
        return web.json_response([{"recipient_id": body["sender"], "text": f"Svar til {body['sender']}"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/"), forwarded


async def test_first_message_gets_an_issued_conversation_that_the_token_continues(aiohttp_client, fake_rest):
    rasa_url, forwarded = fake_rest
    client = await client_for(aiohttp_client, rasa_url=rasa_url)
    first = await client.post("/api/chat", json={"message": "hej", "sender": "", "token": "ignored"})
    assert first.status == 200
    body = await first.json()
    sender, token = body["sender"], body["token"]
    assert sender.startswith("web-") and len(sender) == 26 and token == token_for(SECRET.encode(), sender)
    assert first.headers["Cache-Control"] == "no-store"
    again = await client.post("/api/chat", json={"sender": sender, "token": token, "message": "hvad sagde du"})
    assert again.status == 200 and (await again.json())["sender"] == sender
    assert [item["sender"] for item in forwarded] == [sender, sender]
    other = await client.post("/api/chat", json={"message": "hej"})
    assert (await other.json())["sender"] != sender  # every new conversation gets its own id


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"sender": "web-AAAAAAAAAAAAAAAAAAAAAA", "message": "hvad sagde du"}, 403),  # guessed, no token
        ({"sender": "web-AAAAAAAAAAAAAAAAAAAAAA", "token": TOKEN, "message": "hvad sagde du"}, 403),
        ({"sender": OTHER_SENDER, "token": OTHER_TOKEN, "message": "hvad sagde du"}, 403),
        ({"sender": SENDER, "token": None, "message": "hvad sagde du"}, 403),
        ({"sender": "..", "token": token_for(SECRET.encode(), ".."), "message": "hej"}, 400),
        ({"sender": "default", "token": token_for(SECRET.encode(), "default"), "message": "hej"}, 400),
        ({"sender": "../../conversations/x", "message": "hej"}, 400),
        ({"sender": 5, "message": "hej"}, 400),
        ({"sender": ["web-x"], "message": "hej"}, 400),
    ],
)
async def test_a_conversation_the_caller_does_not_hold_is_refused(aiohttp_client, fake_rest, body, status):
    rasa_url, forwarded = fake_rest
    client = await client_for(aiohttp_client, rasa_url=rasa_url)
    response = await client.post("/api/chat", json=body)
    assert response.status == status
    reply = await response.json()
    assert reply["error"] and "messages" not in reply
    assert (reply.get("error_code") == "session") is (status == 403)
    assert forwarded == []


async def test_a_session_can_be_issued_without_a_message(aiohttp_client, fake_rest):
    rasa_url, forwarded = fake_rest
    client = await client_for(aiohttp_client, rasa_url=rasa_url)
    response = await client.post("/api/session", json={})
    assert response.status == 200
    issued = await response.json()
    assert issued["token"] == token_for(SECRET.encode(), issued["sender"])
    chat = await client.post("/api/chat", json={**issued, "message": "hej"})
    assert (await chat.json())["sender"] == issued["sender"] and forwarded[0]["sender"] == issued["sender"]
    assert (await client.post("/api/session", data=b"{}", headers={"Content-Type": "text/plain"})).status == 415


# --- every JSON endpoint: JSON content type, bounded size and depth -----------------------------------

JSON_ENDPOINTS = ("/api/chat", "/api/session", "/api/rating", "/api/tts")


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
async def test_deep_json_is_a_400_in_danish_not_a_500(aiohttp_client, fake_rest, path):
    rasa_url, forwarded = fake_rest
    client = await client_for(aiohttp_client, rasa_url=rasa_url)
    deep = json.dumps({**HELD, "rating": "yes"})[:-1] + ', "message": ' + "[" * 1000 + "]" * 1000 + "}"
    response = await client.post(path, data=deep.encode(), headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert "dybt indlejret" in (await response.json())["error"]
    deepest = "[" * 30000 + "]" * 30000  # as deep as the 64 KB of /api/chat allow
    response = await client.post(path, data=deepest.encode(), headers={"Content-Type": "application/json"})
    assert response.status == (400 if path == "/api/chat" else 413)
    assert forwarded == []


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None]
)
async def test_only_json_bodies_are_taken(aiohttp_client, fake_rest, path, content_type):
    """What a cross-site form can send without a preflight is refused (415) before anything happens."""
    rasa_url, forwarded = fake_rest
    client = await client_for(aiohttp_client, rasa_url=rasa_url)
    body = json.dumps({**HELD, "message": "hej", "rating": "yes", "text": "hej"}).encode()
    headers = {"Content-Type": content_type} if content_type else {}
    response = await client.post(path, data=body, headers=headers, skip_auto_headers=["Content-Type"])
    assert response.status == 415
    assert "Content-Type: application/json" in (await response.json())["error"]
    assert forwarded == []


async def test_json_with_charset_and_brackets_in_strings_is_fine(aiohttp_client, fake_rest):
    rasa_url, forwarded = fake_rest
    client = await client_for(aiohttp_client, rasa_url=rasa_url)
    message = "[" * 500 + '{\\"' + "}" * 3
    body = json.dumps({**HELD, "message": message}).encode()
    response = await client.post("/api/chat", data=body, headers={"Content-Type": "application/json; charset=utf-8"})
    assert response.status == 200 and forwarded[0]["message"] == message


@pytest.mark.parametrize(
    ("path", "limit_kb"), [("/api/chat", 64), ("/api/rating", 8), ("/api/tts", 16), ("/api/session", 4)]
)
async def test_oversized_bodies_are_413(aiohttp_client, path, limit_kb):
    client = await client_for(aiohttp_client)
    body = json.dumps({**HELD, "comment": "x" * (limit_kb * 1024)}).encode()
    response = await client.post(path, data=body, headers={"Content-Type": "application/json"})
    assert response.status == 413
    assert f"højst {limit_kb} KB" in (await response.json())["error"]


# --- security headers on every page ---------------------------------------------------------------


async def test_chat_page_has_a_strict_csp_and_no_inline_code(aiohttp_client):
    client = await client_for(aiohttp_client)
    page = await client.get("/")
    assert page.status == 200
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    html = await page.text()
    assert "<script>" not in html and "<style>" not in html and " on" not in html.replace(" one", "")
    for name, content_type in (("chat.js", "application/javascript"), ("chat.css", "text/css")):
        asset = await client.get(f"/{name}")
        assert asset.status == 200 and asset.content_type == content_type
        assert asset.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/kiosk", "/healthz", "/api/widget-config", "/widget/muni-widget.js", "/nowhere"])
async def test_every_response_has_nosniff_and_a_referrer_policy(aiohttp_client, path):
    client = await client_for(aiohttp_client)
    response = await client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    if path == "/kiosk":
        assert response.headers["X-Frame-Options"] == "DENY" and "kiosk" not in response.headers.get("Vary", "")


# --- the secret -----------------------------------------------------------------------------------


def test_widget_secret_is_made_once_private_or_taken_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("MUNI_WIDGET_SECRET", raising=False)
    made = widget_secret(var_dir=tmp_path)
    assert len(made) >= 32 and widget_secret(var_dir=tmp_path) == made
    assert stat.S_IMODE((tmp_path / "widget_secret").stat().st_mode) == 0o600
    monkeypatch.setenv("MUNI_WIDGET_SECRET", "e" * 40)
    assert widget_secret(var_dir=tmp_path) == b"e" * 40
    monkeypatch.setenv("MUNI_WIDGET_SECRET", "short")
    with pytest.raises(ValueError, match="mindst 32 tegn"):
        widget_secret(var_dir=tmp_path)
    assert widget_secret("c" * 32, var_dir=tmp_path) == b"c" * 32
