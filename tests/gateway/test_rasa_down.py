"""The gateway when Rasa cannot be reached: a Danish apology and 503, never a 500."""

from __future__ import annotations

import socket

from voice_gateway.app import create_app
from voice_gateway.rasa_client import BotReply
from voice_gateway.settings import GatewaySettings


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_rasa_down_gives_an_apology(aiohttp_client) -> None:
    settings = GatewaySettings(rasa_url=f"http://127.0.0.1:{closed_port()}", rasa_timeout_s=2)
    client = await aiohttp_client(create_app(settings))
    response = await client.post("/api/chat", json={"message": "hej"})
    assert response.status == 503
    body = await response.json()
    assert body["error"] == "rasa_unavailable"
    assert "ikke tilgængelig" in body["messages"][0]["text"]


def test_rest_reply_is_split_into_messages_and_handoff() -> None:
    reply = BotReply.from_rest([
        {"recipient_id": "a", "text": "Hej", "buttons": [{"title": "Pas", "payload": "/faq"}]},
        {"recipient_id": "a", "custom": {"handoff": {"summary": "s"}}},
        {"recipient_id": "a", "custom": {"other": 1}},
        "garbage", {"recipient_id": "a"},
    ])  # fmt: skip
    assert reply.messages == [{"text": "Hej", "buttons": [{"title": "Pas", "payload": "/faq"}]},
                              {"custom": {"other": 1}}]  # fmt: skip
    assert reply.handoff == {"summary": "s"}


def test_non_list_reply_is_empty() -> None:
    assert BotReply.from_rest({"unexpected": True}).messages == []
