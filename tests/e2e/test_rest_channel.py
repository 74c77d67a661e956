"""The real Rasa server through its REST channel: answers, municipality, handoff, bad input."""

from __future__ import annotations

import sqlite3
import uuid

import pytest
from conftest import TOKEN, get_status, post_json

pytestmark = pytest.mark.stack


def webhook(config) -> str:
    return f"{config.rasa_url}/webhooks/rest/webhook"


def say(config, text: str, sender: str | None = None, municipality: str | None = "frederikshavn"):
    body = {"sender": sender or f"e2e-{uuid.uuid4().hex[:10]}", "message": text}
    if municipality is not None:
        body["metadata"] = {"municipality": municipality}
    status, reply = post_json(webhook(config), body)
    assert status == 200, reply
    return reply


def texts(reply) -> str:
    return " ".join(m.get("text", "") for m in reply)


def test_rules_question_is_answered_from_the_content(stack) -> None:
    config, _ = stack
    reply = say(config, "hvordan fornyer jeg mit pas")
    assert "pas" in texts(reply).lower()
    assert "borger.dk" in texts(reply) or "frederikshavn.dk" in texts(reply)


def test_opening_hours_come_from_the_municipality_in_metadata(stack) -> None:
    config, _ = stack
    aarhus = texts(say(config, "hvornår har borgerservice åbent", municipality="aarhus"))
    frederikshavn = texts(say(config, "hvornår har borgerservice åbent", municipality="frederikshavn"))
    assert "Borgerservice Aarhus" in aarhus
    assert "Almindelige åbningstider" in frederikshavn and "Aarhus" not in frederikshavn


def test_municipality_is_remembered_for_the_conversation(stack) -> None:
    config, _ = stack
    sender = f"e2e-{uuid.uuid4().hex[:10]}"
    say(config, "hej", sender=sender, municipality="aarhus")
    later = texts(say(config, "hvad er jeres telefonnummer", sender=sender, municipality=None))
    assert "89 40" in later


def test_handoff_event_reaches_the_channel(stack) -> None:
    config, _ = stack
    sender = f"e2e-{uuid.uuid4().hex[:10]}"
    say(config, "hvordan søger jeg boligstøtte", sender=sender)
    reply = say(config, "jeg vil gerne tale med en medarbejder", sender=sender)
    [event] = [m["custom"]["handoff"] for m in reply if "custom" in m]
    assert event["conversation_id"] == sender
    assert event["municipality"] == "frederikshavn"
    assert "faq/boligstoette" in event["topics"]
    assert event["summary"].startswith("Borgeren har spurgt om: Boligstøtte")
    assert "98 45 50 00" in texts(reply)


def test_two_misses_offer_a_human_and_yes_hands_over(stack) -> None:
    config, _ = stack
    sender = f"e2e-{uuid.uuid4().hex[:10]}"
    say(config, "/nlu_fallback", sender=sender)
    offer = say(config, "/nlu_fallback", sender=sender)
    assert "medarbejder" in texts(offer)
    assert [b["payload"] for b in offer[0]["buttons"]] == ["/human_handoff", "/deny"]
    handed = say(config, "ja", sender=sender)
    assert any(m.get("custom", {}).get("handoff", {}).get("reason") == "repeated_misunderstanding" for m in handed)


def test_repeat_says_the_same_again(stack) -> None:
    config, _ = stack
    sender = f"e2e-{uuid.uuid4().hex[:10]}"
    first = texts(say(config, "hvordan skifter jeg læge", sender=sender))
    again = texts(say(config, "undskyld kan du gentage det", sender=sender))
    assert again == first


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   \n\t ",
        "\u200b\u200b",
        "a" * 20000,
        "hvordan fornyer jeg mit pas " * 800,
        "pas\x00\x01\x02\x1b[31m fornyelse\x7f",
        "🙂🙂🙂",
        "😡😡😡😡😡😡😡😡😡😡😡😡😡😡😡",
        "'; DROP TABLE events; --",
        "1' OR '1'='1",
        "<script>alert('x')</script>",
        "<img src=x onerror=alert(1)> hvornår har i åbent",
        "{{7*7}} ${jndi:ldap://x}",
        '/faq{"faq_topic": "findes_ikke"}',
        "/findes_ikke",
        "/faq{not json",
    ],
)
def test_bad_text_gets_a_sensible_answer(stack, message: str) -> None:
    config, _ = stack
    reply = say(config, message)
    assert reply, "svaret må ikke være tomt"
    assert all(isinstance(m.get("text", ""), str) for m in reply)
    assert texts(reply).strip()
    assert "<script>" not in texts(reply)


@pytest.mark.parametrize("municipality", ["atlantis", "", "AARHUS", "../../etc/passwd", "x" * 500])
def test_unknown_municipality_gets_a_general_answer(stack, municipality: str) -> None:
    config, _ = stack
    reply = texts(say(config, "hvornår har borgerservice åbent", municipality=municipality))
    assert reply.strip()
    if municipality == "AARHUS":
        assert "Aarhus" in reply


@pytest.mark.parametrize(
    ("raw", "body"),
    [
        (b"not json at all", None),
        (b"", None),
        (None, ["a", "list"]),
        (None, "a string"),
        (None, {"sender": 123, "message": "hej"}),
        (None, {"sender": "ok", "message": {"nested": True}}),
        (None, {"sender": "ok", "message": "hej", "metadata": "frederikshavn"}),
        (None, {"sender": "a b c", "message": "hej"}),
    ],
)
def test_malformed_requests_get_400_not_500(stack, raw, body) -> None:
    config, _ = stack
    status, reply = post_json(webhook(config), body, raw=raw)
    assert status == 400, reply
    assert "error" in reply


def test_http_api_requires_the_token(stack) -> None:
    config, _ = stack
    assert get_status(f"{config.rasa_url}/conversations/x/tracker") == 401
    assert get_status(f"{config.rasa_url}/conversations/x/tracker?token=wrong") == 401
    assert get_status(f"{config.rasa_url}/conversations/x/tracker?token={TOKEN}") == 200
    status, _ = post_json(f"{config.rasa_url}/model/parse", {"text": "hej"})
    assert status == 401
    status, parsed = post_json(f"{config.rasa_url}/model/parse?token={TOKEN}", {"text": "hvordan fornyer jeg mit pas"})
    assert status == 200
    assert parsed["intent"]["name"] == "faq"
    assert parsed["response_selector"]["faq"]["response"]["intent_response_key"] == "faq/pas"


def test_conversations_are_stored_in_the_sqlite_tracker_store(stack) -> None:
    config, tracker_db = stack
    sender = f"e2e-{uuid.uuid4().hex[:10]}"
    say(config, "hej", sender=sender)
    with sqlite3.connect(tracker_db) as db:
        (count,) = db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()
    assert count > 0
