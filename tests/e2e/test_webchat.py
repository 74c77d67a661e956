"""The gateway's web chat endpoint in front of the real Rasa server."""

from __future__ import annotations

import json

import pytest

from voice_gateway.app import create_app
from voice_gateway.settings import GatewaySettings

pytestmark = pytest.mark.stack


@pytest.fixture
async def client(stack, aiohttp_client):
    config, _ = stack
    return await aiohttp_client(create_app(GatewaySettings(rasa_url=config.rasa_url)))


async def test_chat_answers_and_keeps_the_conversation(client) -> None:
    response = await client.post(
        "/api/chat", json={"message": "hvordan bestiller jeg storskrald", "municipality": "aarhus"}
    )
    assert response.status == 200
    body = await response.json()
    assert body["sender"] and body["token"] and body["handoff"] is None
    assert "Kredsløb" in body["messages"][0]["text"]
    held = {"sender": body["sender"], "token": body["token"]}
    again = await client.post("/api/chat", json={**held, "message": "hvad sagde du"})
    assert (await again.json())["messages"][0]["text"] == body["messages"][0]["text"]


async def test_handoff_is_a_top_level_field(client) -> None:
    response = await client.post(
        "/api/chat", json={"message": "giv mig et rigtigt menneske", "municipality": "frederikshavn"}
    )
    body = await response.json()
    assert body["handoff"]["municipality"] == "frederikshavn"
    assert all("custom" not in m for m in body["messages"])


async def test_buttons_are_passed_on(client) -> None:
    first = await (await client.post("/api/chat", json={"message": "/nlu_fallback"})).json()
    held = {"sender": first["sender"], "token": first["token"]}
    response = await client.post("/api/chat", json={**held, "message": "/nlu_fallback"})
    buttons = (await response.json())["messages"][0]["buttons"]
    assert [b["payload"] for b in buttons] == ["/human_handoff", "/deny"]


@pytest.mark.parametrize(
    "message",
    ["", "a" * 20000, "\x00\x01\x02", "🙂", "'; DROP TABLE events; --", "<script>alert(1)</script>"],
)
async def test_bad_text_gets_an_answer(client, message: str) -> None:
    response = await client.post("/api/chat", json={"message": message, "municipality": "frederikshavn"})
    assert response.status == 200
    body = await response.json()
    assert body["messages"] and body["messages"][0]["text"].strip()


@pytest.mark.parametrize(
    ("payload", "status", "fragment"),
    [
        (b"{not json", 400, "JSON"),
        (b"[1, 2]", 400, "JSON-objekt"),
        (json.dumps({"message": 5}).encode(), 400, "'message'"),
        (json.dumps({"message": "hej", "sender": "../../x"}).encode(), 400, "'sender'"),
        (json.dumps({"message": "hej", "municipality": "Frederiks havn"}).encode(), 400, "'municipality'"),
        (json.dumps({"message": "hej", "channel": "telefax"}).encode(), 400, "'channel'"),
        (json.dumps({"message": "x" * 70000}).encode(), 413, "for stor"),
        (b"\xff\xfe\x00garbage", 400, "JSON"),
    ],
)
async def test_malformed_requests_get_clear_errors(client, payload: bytes, status: int, fragment: str) -> None:
    response = await client.post("/api/chat", data=payload, headers={"Content-Type": "application/json"})
    assert response.status == status
    assert fragment in (await response.json())["error"]


async def test_wrong_method_and_path_are_json_errors(client) -> None:
    assert (await client.get("/api/chat")).status == 405
    assert (await client.get("/healthz")).status == 200
    page = await client.get("/")
    assert page.status == 200 and "digitale assistent" in await page.text()
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
