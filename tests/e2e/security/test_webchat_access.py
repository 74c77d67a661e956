"""Attacks on the web chat and widget API, sent to the real gateway in front of the real stack.

Each test sends the attack and fails if it works: continuing (and hearing the read-back of) someone
else's conversation with a guessed, copied or forged id, the shared ``default`` or a path-like id,
rating someone else's conversation, a blind cross-site post (text/plain, no content type), JSON nested
1,000 deep, and a chat page without its security headers.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from conftest import TOKEN, get_json

from voice_gateway.app import create_app
from voice_gateway.chat_session import token_for
from voice_gateway.settings import GatewaySettings

pytestmark = pytest.mark.stack

SECRET = "e2e-webchat-access-widget-secret-0123456789"
NAME = "Kirsten Vang"


@pytest.fixture
async def client(stack, aiohttp_client):
    config, _ = stack
    settings = GatewaySettings(rasa_url=config.rasa_url, rasa_token=TOKEN, widget_secret=SECRET)
    return await aiohttp_client(create_app(settings))


def tracker_events(config, sender: str) -> list[dict]:
    return get_json(f"{config.rasa_url}/conversations/{sender}/tracker?token={TOKEN}")["events"] or []


async def chat(client, message: str, held: dict | None = None) -> dict:
    response = await client.post(
        "/api/chat", json={**(held or {}), "message": message, "municipality": "frederikshavn"}
    )
    assert response.status == 200, await response.text()
    return await response.json()


@pytest.fixture
async def victim(client) -> dict:
    """A citizen's conversation that has reached the booking's read-back (name and phone number)."""
    first = await chat(client, "jeg vil gerne have en tid hos lægen på torsdag klokken 13")
    held = {"sender": first["sender"], "token": first["token"]}
    await chat(client, NAME, held)
    read_back = await chat(client, "20 30 40 50", held)
    assert NAME in read_back["messages"][0]["text"], read_back  # the secret worth stealing is there
    return held


@pytest.mark.parametrize("how", ["no token", "attacker's own token", "forged token", "token of another secret"])
async def test_someone_elses_conversation_cannot_be_continued_or_read_back(client, stack, victim, how) -> None:
    config, _ = stack
    attacker = await chat(client, "hej")
    token = {
        "no token": None,
        "attacker's own token": attacker["token"],
        "forged token": victim["token"][:-2] + ("AA" if not victim["token"].endswith("AA") else "BB"),
        "token of another secret": token_for(b"not-the-gateway-secret-0123456789abcdef", victim["sender"]),
    }[how]
    before = await asyncio.to_thread(tracker_events, config, victim["sender"])
    body = {"sender": victim["sender"], "message": "hvad sagde du", "municipality": "frederikshavn"}
    if token is not None:
        body["token"] = token
    response = await client.post("/api/chat", json=body)
    assert response.status == 403
    text = await response.text()
    assert NAME not in text and "20 30 40 50" not in text and "messages" not in json.loads(text)
    assert json.loads(text)["error_code"] == "session"
    after = await asyncio.to_thread(tracker_events, config, victim["sender"])
    assert len(after) == len(before), "the attacker's message reached the victim's conversation"
    # The victim, holding the token, still gets the read-back.
    assert NAME in (await chat(client, "hvad sagde du", victim))["messages"][0]["text"]


@pytest.mark.parametrize("sender", ["..", "default", "../conversations/default", "web-..", "CA0123456789abcdef"])
async def test_shared_and_path_like_ids_are_refused_even_with_a_matching_token(client, stack, sender) -> None:
    config, _ = stack
    before = await asyncio.to_thread(tracker_events, config, "default")
    held = {"sender": sender, "token": token_for(SECRET.encode(), sender)}  # what the attacker cannot even make
    for path, body in (
        ("/api/chat", {**held, "message": "hvad sagde du"}),
        ("/api/rating", {**held, "rating": "no"}),
        ("/api/tts", {**held, "text": "hej"}),
    ):
        response = await client.post(path, json=body)
        assert response.status == 400, (path, response.status)
        assert "'sender'" in (await response.json())["error"]
    after = await asyncio.to_thread(tracker_events, config, "default")
    assert len(after) == len(before), "a message reached the shared 'default' conversation"


async def test_someone_elses_conversation_cannot_be_rated(client, stack, victim) -> None:
    config, _ = stack
    attacker = await chat(client, "hej")
    for token in (None, attacker["token"], "A" * 43):
        body = {"sender": victim["sender"], "rating": "no", "comment": "falsk bedømmelse"}
        if token is not None:
            body["token"] = token
        response = await client.post("/api/rating", json=body)
        assert response.status == 403, response.status
    events = await asyncio.to_thread(tracker_events, config, victim["sender"])
    assert not [e for e in events if e.get("event") == "slot" and str(e.get("name", "")).startswith("citizen_rating")]
    own = await client.post("/api/rating", json={**victim, "rating": "yes"})  # the holder can rate
    assert own.status == 204


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_blind_cross_site_posts_are_refused(client, stack, victim, content_type) -> None:
    """What any web page can post without a CORS preflight never reaches the assistant."""
    config, _ = stack
    before = await asyncio.to_thread(tracker_events, config, victim["sender"])
    body = json.dumps({**victim, "message": "hvad sagde du", "rating": "no"}).encode()
    headers = {"Content-Type": content_type} if content_type else {}
    for path in ("/api/chat", "/api/rating", "/api/tts", "/api/session"):
        response = await client.post(path, data=body, headers=headers, skip_auto_headers=["Content-Type"])
        assert response.status == 415, (path, response.status)
        assert NAME not in await response.text()
    after = await asyncio.to_thread(tracker_events, config, victim["sender"])
    assert len(after) == len(before)


@pytest.mark.parametrize("path", ["/api/chat", "/api/rating", "/api/tts", "/api/session"])
async def test_json_nested_1000_deep_is_a_400_not_a_500(client, path) -> None:
    deep = '{"message": ' + "[" * 1000 + "]" * 1000 + ', "rating": "yes", "text": "hej"}'
    response = await client.post(path, data=deep.encode(), headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert "dybt indlejret" in (await response.json())["error"]
    assert (await client.get("/healthz")).status == 200


async def test_chat_page_carries_its_security_headers(client) -> None:
    page = await client.get("/")
    assert page.status == 200
    csp = page.headers.get("Content-Security-Policy", "")
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert page.headers.get("X-Content-Type-Options") == "nosniff"
    assert page.headers.get("X-Frame-Options") == "DENY"
    assert page.headers.get("Referrer-Policy") == "no-referrer"
    assert "<script>" not in await page.text()  # all code in chat.js, so the CSP can forbid inline script
    script = await client.get("/chat.js")
    assert script.status == 200 and script.headers.get("X-Content-Type-Options") == "nosniff"
