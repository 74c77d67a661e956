"""CPR numbers in odd shapes sent to the real running stack: never stored, shown or found by the console's search.

Issue 13: ``ddmmyy/xxxx``, ``ddmmyy_xxxx``, ``ddmmyy.xxxx``, ``ddmmyy\\xxxx``, ``ddmm yyxxxx`` and full-width
digits were stored in clear and found by the console's search, while the redactor rewrote Rasa's own ids
(``model_id``, ``message_id``). Each shape is sent through Rasa's REST channel (Rasa + action server +
trained model); the test then reads the tracker database the running Rasa wrote, the console's
conversation view and its free-text search (``muni_core.console``) on that database. All numbers are
synthetic.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
import uuid

import pytest
import sqlalchemy as sa
from conftest import TOKEN, get_json, post_json

from muni_core.console.conversation import load_conversation
from muni_core.console.listing import ConversationFilter, list_conversations
from muni_core.paths import REPO_ROOT

pytestmark = pytest.mark.stack

CPR_NOTICE = "Du behøver ikke at oplyse dit CPR-nummer her"
# (what the citizen types, the CPR number's ten digits); every number has its own date and serial.
SHAPES = [
    ("020385/4712", "0203854712"),
    ("030486_5823", "0304865823"),
    ("040587.6934", "0405876934"),
    ("050688\\7045", "0506887045"),
    ("0607 898156", "0607898156"),
    ("０７０８９０－９２６７", "0708909267"),
    ("０８０９９１／１３７８", "0809911378"),
    ("09\u00a010\u00a092\u00a02489", "0910922489"),  # no-break spaces
    ("101193\u20093591", "1011933591"),  # thin space
    ("11 12 94 4602", "1112944602"),
    ("12-01-95-5713", "1201955713"),
    ("١٣٠٢٩٦-٦٨٢٤", "1302966824"),  # Arabic-Indic digits
]
HEX_ID = re.compile(r"^[0-9a-f]{32}$")
ASSISTANT_ID = re.search(r"(?m)^assistant_id:\s*(\S+)", (REPO_ROOT / "bot" / "config.yml").read_text())[1]


def ascii_digits(text: str) -> str:
    """Every Unicode digit as its ASCII digit (the other characters as they are)."""
    return "".join(str(d) if (d := unicodedata.decimal(char, None)) is not None else char for char in text)


def strings(value: object) -> list[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings(item)]
    return []


def leaked(value: object, digits: str) -> list[str]:
    """The strings in ``value`` that hold the CPR number or its date part, in any script and with any separators."""
    found = []
    for text in strings(value):
        plain = re.sub(r"[^0-9]", "", ascii_digits(text))
        if digits in plain or digits[:6] in plain:
            found.append(text)
    return found


def say(config, sender: str, text: str) -> list[dict]:
    body = {"sender": sender, "message": text, "metadata": {"municipality": "frederikshavn"}, "input_channel": "web"}
    status, reply = post_json(f"{config.rasa_url}/webhooks/rest/webhook", body)
    assert status == 200, reply
    return reply


def stored_events(tracker_db, sender: str) -> list[dict]:
    with sqlite3.connect(tracker_db) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)).fetchall()
    return [json.loads(data) for (data,) in rows]


@pytest.fixture(scope="module")
def sent(stack) -> dict[str, tuple[str, str, list[dict]]]:
    """One conversation per shape: sender -> (what was typed, its digits, the replies)."""
    config, _ = stack
    conversations = {}
    for typed, digits in SHAPES:
        sender = f"e2e-redact-{uuid.uuid4().hex[:10]}"
        reply = say(
            config, sender, f"Hej, mit cpr er {typed} og jeg har brug for hjælp til mit pas. markør{digits[6:]}"
        )
        conversations[sender] = (typed, digits, reply)
    return conversations


def test_every_shape_gets_the_notice_and_is_stored_redacted(stack, sent) -> None:
    _, tracker_db = stack
    for sender, (typed, digits, reply) in sent.items():
        assert reply and reply[0]["text"].startswith(CPR_NOTICE), (typed, reply)
        events = stored_events(tracker_db, sender)
        (user,) = [event for event in events if event["event"] == "user"]
        assert user["text"] == f"Hej, mit cpr er [CPR-nummer] og jeg har brug for hjælp til mit pas. markør{digits[6:]}"
        assert user["parse_data"]["text"] == user["text"]
        everything = json.dumps(events, ensure_ascii=False)
        assert typed not in everything, typed
        for event in events:
            for key in ("text", "parse_data", "metadata", "value", "data"):
                if key in event:
                    assert not leaked(event[key], digits), (typed, event)


def test_console_view_and_search_never_show_or_find_the_number(stack, sent) -> None:
    _, tracker_db = stack
    engine = sa.create_engine(f"sqlite:///{tracker_db}")
    try:
        for sender, (typed, digits, _) in sent.items():
            shown = json.loads(json.dumps(load_conversation(engine, sender), ensure_ascii=False, default=str))
            assert "[CPR-nummer]" in json.dumps(shown, ensure_ascii=False), typed
            assert not leaked(shown, digits), (typed, leaked(shown, digits))
            # The search works on this database: the marker word of the same message finds the conversation ...
            found, _ = list_conversations(engine, ConversationFilter(query=f"markør{digits[6:]}"), None)
            assert sender in [row["conversation_id"] for row in found], typed
            # ... but no form of the CPR number does.
            for query in (typed, digits, digits[:6], f"{digits[:6]}-{digits[6:]}", ascii_digits(typed)):
                rows, _ = list_conversations(engine, ConversationFilter(query=query), None)
                assert sender not in [row["conversation_id"] for row in rows], (typed, query)
    finally:
        engine.dispose()


def test_rasa_ids_in_stored_events_are_unchanged(stack, sent) -> None:
    config, tracker_db = stack
    model_id = get_json(f"{config.rasa_url}/status?token={TOKEN}")["model_id"]
    assert model_id
    checked = 0
    for sender in sent:
        for event in stored_events(tracker_db, sender):
            metadata = event.get("metadata") or {}
            if "model_id" in metadata:
                assert metadata["model_id"] == model_id, event
                assert metadata["assistant_id"] == ASSISTANT_ID, event
                checked += 1
            if event["event"] == "user":
                assert HEX_ID.match(event["message_id"]), event
                assert event["parse_data"]["message_id"] == event["message_id"]
    assert checked >= 3 * len(sent)  # user, bot and action events of every conversation carry it
