"""Personal data on the real stack: what citizens write is stored redacted, and only with the token readable.

Citizens write their CPR number, phone number and e-mail into the chat in all sorts of ways; the
tracker database the running Rasa writes (SQLite here) must never hold them in clear, while a
booking over several turns still gets the name and number it needs.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import TOKEN, get_json, get_status
from test_booking_flow import Conversation

from voice_gateway.app import create_app
from voice_gateway.settings import GatewaySettings

pytestmark = pytest.mark.stack

MESSAGES = [
    ("mit cpr nummer er 010384-1234", ["010384-1234", "0103841234"]),
    ("cpr 0103841234 - kan I se min sag?", ["0103841234"]),
    ("Mit personnummer: 01 03 84 12 34", ["01 03 84 12 34"]),
    ("ring til mig på 20 30 40 50", ["20 30 40 50", "20304050"]),
    ("mit nummer er +45 2030 4050", ["2030 4050", "+45 2030 4050"]),
    ("skriv til jens.hansen@example.dk tak", ["jens.hansen@example.dk"]),
    ("min mail er JENS_H+kommune@post.example.com", ["JENS_H+kommune@post.example.com"]),
]


def stored_events(tracker_db, sender: str) -> str:
    with sqlite3.connect(tracker_db) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ?", (sender,)).fetchall()
    # Decoded, so that æøå are compared as written (the database holds JSON with \\u escapes).
    return "\n".join(json.dumps(json.loads(data), ensure_ascii=False) for (data,) in rows)


def test_citizen_messages_are_stored_redacted(stack) -> None:
    config, tracker_db = stack
    talk = Conversation(config)
    for text, _ in MESSAGES:
        reply = talk.say(text, channel="web")
        if "cpr" in text.lower() or "personnummer" in text.lower():
            assert reply[0]["text"].startswith("Du behøver ikke at oplyse dit CPR-nummer her"), reply
            assert len(reply) > 1, "the question is still answered after the notice"
    stored = stored_events(tracker_db, talk.sender)
    for _, secrets in MESSAGES:
        for secret in secrets:
            assert secret not in stored, secret
    assert stored.count("[CPR-nummer]") >= 3 and "[telefonnummer]" in stored and "[e-mail]" in stored
    with sqlite3.connect(tracker_db) as db:
        channel, municipality, turns, transcript = db.execute(
            "SELECT channel, municipality, user_turns, transcript FROM muni_conversations WHERE conversation_id = ?",
            (talk.sender,),
        ).fetchone()
    assert (channel, municipality, turns) == ("web", "frederikshavn", len(MESSAGES))
    assert "010384" not in transcript and "[CPR-nummer]" in transcript


def book(talk: Conversation, first: str, name: str, phone: str) -> list[str]:
    """Follow the booking form to the end, whatever other tests already booked; the texts the citizen saw."""
    seen: list[str] = []
    reply = talk.say(first)
    for _ in range(8):
        text = talk.text(reply)
        seen.append(text)
        buttons = [button for message in reply for button in message.get("buttons") or []]
        if text.startswith("Din tid er booket"):
            return seen
        if "Er det korrekt?" in text:
            reply = talk.say("ja")
        elif "fulde navn" in text:
            reply = talk.say(name)
        elif "telefonnummer" in text:
            reply = talk.say(phone)
        elif buttons:  # the wished time is taken: pick the first time offered
            reply = talk.say(buttons[0]["payload"])
        else:
            pytest.fail(f"unexpected turn in the booking: {text}")
    pytest.fail(f"the booking did not finish: {seen}")


def test_a_booking_still_works_and_keeps_name_and_number_out_of_the_texts(stack) -> None:
    config, tracker_db = stack
    talk = Conversation(config)
    seen = book(talk, "jeg vil gerne have en tid på jobcentret på fredag ved 13-tiden", "Kirsten Vang", "20 30 40 50")
    read_back = next(text for text in seen if "Er det korrekt?" in text)
    assert "Kirsten Vang" in read_back and "telefon 20 30 40 50" in read_back  # the citizen hears them
    stored = stored_events(tracker_db, talk.sender)
    for secret in ("20 30 40 50", "20304050", "Kirsten Vang"):
        assert secret not in stored, secret
    assert "til [navn]" in stored and "telefon [telefonnummer]" in stored
    assert "enc:v1:" in stored  # name and number of the ongoing booking: encrypted, not in clear


def test_conversations_are_readable_only_with_the_token(stack) -> None:
    config, _ = stack
    talk = Conversation(config)
    talk.say("hej")
    url = f"{config.rasa_url}/conversations/{talk.sender}/tracker"
    assert get_status(url) == 401
    assert get_status(f"{url}?token=wrong") == 401
    events = get_json(f"{url}?token={TOKEN}")["events"]
    assert any(event["event"] == "user" for event in events)


async def test_a_rating_comment_is_stored_redacted(stack, aiohttp_client) -> None:
    config, tracker_db = stack
    client = await aiohttp_client(create_app(GatewaySettings(rasa_url=config.rasa_url, rasa_token=TOKEN)))
    chat = await client.post("/api/chat", json={"message": "hej", "municipality": "frederikshavn"})
    assert chat.status == 200
    held = await chat.json()
    sender = held["sender"]
    response = await client.post(
        "/api/rating",
        json={
            "sender": sender,
            "token": held["token"],
            "rating": "no",
            "comment": "Ring til mig på 20304050 eller a@b.dk",
        },
    )
    assert response.status == 204, await response.text()
    stored = stored_events(tracker_db, sender)
    assert "20304050" not in stored and "a@b.dk" not in stored
    assert "Ring til mig på [telefonnummer] eller [e-mail]" in stored
    with sqlite3.connect(tracker_db) as db:
        (rating,) = db.execute("SELECT rating FROM muni_conversations WHERE conversation_id = ?", (sender,)).fetchone()
    assert rating == "no"
