"""The redacting tracker store on Rasa's real SQL store: nothing personal in the database, bookings still work."""

from __future__ import annotations

import json
import logging
import stat
import uuid

import pytest
import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from muni_rasa.tracker_store import ENCRYPTED_PREFIX, EventRedactor, RedactingSQLTrackerStore, data_key
from tests.support.events import action, slot

DOMAIN = Domain.from_dict(
    {
        "slots": {
            name: {"type": "text", "influence_conversation": False, "mappings": [{"type": "custom"}]}
            for name in ("citizen_phone", "citizen_name", "caller_number", "municipality", "citizen_rating_comment")
        }
    }
)
CPR = "010384-1234"
PHONE = "20 30 40 50"
EMAIL = "jens.hansen@example.dk"


@pytest.fixture(autouse=True)
def isolated_key(tmp_path, monkeypatch):
    monkeypatch.delenv("MUNI_DATA_KEY", raising=False)
    monkeypatch.setenv("MUNI_VAR_DIR", str(tmp_path / "var"))


def booking_conversation(sender: str) -> DialogueStateTracker:
    events = [
        ActionExecuted("action_listen", timestamp=1000.0),
        UserUttered(
            f"mit cpr er {CPR} og ring på {PHONE} eller skriv til {EMAIL}",
            {"name": "inform", "confidence": 0.91},
            entities=[{"entity": "digit_string", "value": "20304050", "start": 0, "end": 8}],
            input_channel="phone",
            metadata={"municipality": "frederikshavn", "caller": "+4520304050", "voice": {"turn_id": uuid.uuid4().hex}},
            parse_data={
                "text": f"mit cpr er {CPR} og ring på {PHONE} eller skriv til {EMAIL}",
                "intent": {"name": "inform", "confidence": 0.91},
                "entities": [{"entity": "digit_string", "value": "20304050", "start": 0, "end": 8}],
            },
            timestamp=1001.0,
        ),
        UserUttered("jens hansen", {"name": "inform", "confidence": 0.5}, timestamp=1001.5),
        SlotSet("municipality", "frederikshavn", timestamp=1002.0),
        SlotSet("citizen_phone", "20304050", timestamp=1002.0),
        SlotSet("citizen_name", "Jens Hansen", timestamp=1002.0),
        SlotSet("caller_number", "+4520304050", timestamp=1002.0),
        BotUttered(
            "Jeg har noteret Jens Hansen, 20 30 40 50. Borgerservice har telefon 98 45 50 00.",
            {"buttons": [{"title": "Ja", "payload": "/affirm"}]},
            timestamp=1003.0,
        ),
        ActionExecuted("action_handoff", timestamp=1004.0),
    ]
    return DialogueStateTracker.from_events(sender, events, slots=DOMAIN.slots)


def raw_rows(url: str) -> list[str]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = [row[0] for row in connection.execute(sa.text("SELECT data FROM events ORDER BY id"))]
    engine.dispose()
    return rows


async def check_store(store: RedactingSQLTrackerStore, url: str) -> None:
    await store.save(booking_conversation("call-1"))
    stored = "\n".join(raw_rows(url))
    for secret in (CPR, "0103841234", PHONE, "20304050", "4520304050", EMAIL, "Jens Hansen"):
        assert secret not in stored, secret
    for secret in ("jens hansen",):
        assert secret not in stored.lower(), secret
    assert "[CPR-nummer]" in stored and "[telefonnummer]" in stored and "[e-mail]" in stored
    assert "noteret [navn], [telefonnummer]" in stored
    assert "98 45 50 00" in stored  # the municipality's own public number stays in the bot's answer
    assert ENCRYPTED_PREFIX in stored
    loaded = await store.retrieve("call-1")
    assert loaded is not None
    # An ongoing booking still has the number and name it needs; the texts stay redacted.
    assert loaded.get_slot("citizen_phone") == "20304050"
    assert loaded.get_slot("citizen_name") == "Jens Hansen"
    assert loaded.get_slot("caller_number") == "+4520304050"
    assert loaded.get_slot("municipality") == "frederikshavn"
    assert CPR not in loaded.latest_message.text
    # Saving the loaded tracker again adds nothing and re-encrypts nothing twice.
    await store.save(loaded)
    assert len(raw_rows(url)) == len(booking_conversation("x").events)
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        row = connection.execute(sa.text("SELECT * FROM muni_conversations WHERE conversation_id = 'call-1'")).one()
        intents = connection.execute(
            sa.text("SELECT intent FROM muni_conversation_intents WHERE conversation_id = 'call-1'")
        ).all()
    engine.dispose()
    assert row.channel == "phone" and row.municipality == "frederikshavn"
    assert row.handed_over and row.user_turns == 2
    assert CPR not in row.transcript and "[CPR-nummer]" in row.transcript
    assert [intent for (intent,) in intents] == ["inform"]


async def test_sqlite_store_keeps_nothing_personal_in_clear(tmp_path) -> None:
    path = tmp_path / "tracker.db"
    store = RedactingSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(path))
    await check_store(store, f"sqlite:///{path}")


async def test_postgresql_store_keeps_nothing_personal_in_clear(postgres_database) -> None:
    store = RedactingSQLTrackerStore(
        DOMAIN, dialect="postgresql", host="127.0.0.1", port=5432, db=postgres_database, username="postgres"
    )
    try:
        await check_store(store, f"postgresql://postgres@127.0.0.1:5432/{postgres_database}")
    finally:
        store.engine.dispose()


def test_data_key_is_created_once_and_private(tmp_path) -> None:
    key = data_key(tmp_path)
    assert data_key(tmp_path) == key
    assert stat.S_IMODE((tmp_path / "data_key").stat().st_mode) == 0o600


def test_data_key_from_the_environment(monkeypatch, tmp_path) -> None:
    key = data_key(tmp_path / "elsewhere")
    monkeypatch.setenv("MUNI_DATA_KEY", key.decode())
    assert data_key(tmp_path / "unused") == key
    assert not (tmp_path / "unused").exists()


def test_a_changed_key_empties_the_slot_instead_of_failing(tmp_path) -> None:
    old = EventRedactor(data_key(tmp_path / "a"))
    new = EventRedactor(data_key(tmp_path / "b"))
    stored = old.event(slot("citizen_phone", "20304050", 1.0))
    assert new.restore(stored)["value"] is None
    assert old.restore(stored)["value"] == "20304050"


def test_rating_comment_and_unknown_events_are_redacted(tmp_path) -> None:
    redactor = EventRedactor(data_key(tmp_path))
    comment = redactor.event(slot("citizen_rating_comment", f"ring {PHONE}", 1.0))
    assert comment["value"] == "ring [telefonnummer]"
    unknown = redactor.event({"event": "entities", "entities": [{"entity": "x", "value": CPR}], "timestamp": 1.0})
    assert CPR not in json.dumps(unknown)
    listen = action("action_listen", 12345678.0)
    assert redactor.event(listen) == listen


async def test_log_records_of_the_rasa_process_are_redacted(tmp_path, caplog) -> None:
    original = logging.getLogRecordFactory()
    try:
        RedactingSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))
        with caplog.at_level(logging.INFO):
            logging.getLogger("rasa.core.processor").info("Received user message '%s'", f"mit cpr er {CPR}")
        assert CPR not in caplog.text and "[CPR-nummer]" in caplog.text
    finally:
        logging.setLogRecordFactory(original)


class CollectingBroker(EventBroker):
    def __init__(self) -> None:
        self.published: list[dict] = []

    def publish(self, event: dict) -> None:
        self.published.append(event)

    def is_ready(self) -> bool:
        return True


async def test_events_for_the_event_broker_are_redacted_too(tmp_path) -> None:
    broker = CollectingBroker()
    store = RedactingSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"), event_broker=broker)
    await store.save(booking_conversation("call-2"))
    published = json.dumps(broker.published, ensure_ascii=False)
    assert broker.published and all(event["sender_id"] == "call-2" for event in broker.published)
    for secret in (CPR, PHONE, "20304050", EMAIL, "Jens Hansen", "jens hansen"):
        assert secret not in published, secret


async def test_the_index_can_be_rebuilt_from_the_events(tmp_path) -> None:
    from muni_core.conversations.index import rebuild

    path = tmp_path / "tracker.db"
    url = f"sqlite:///{path}"
    store = RedactingSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(path))
    await store.save(booking_conversation("call-3"))
    engine = sa.create_engine(url)
    query = "SELECT conversation_id, channel, municipality, user_turns, handed_over, transcript FROM muni_conversations"
    with engine.connect() as connection:
        written = connection.execute(sa.text(query)).all()
    assert rebuild(url) == 1
    with engine.connect() as connection:
        rebuilt = connection.execute(sa.text(query)).all()
        found = connection.execute(
            sa.text("SELECT count(*) FROM muni_conversation_search WHERE muni_conversation_search MATCH 'noteret'")
        ).scalar_one()
    engine.dispose()
    assert rebuilt == written and found == 1


MODEL_ID = "00072c12345678efa6e2b1a0c9d8e7f6"  # Rasa's model_id with an eight-digit run in it
ASSISTANT_ID = "muni-20304050"


def identified_conversation(sender: str) -> tuple[DialogueStateTracker, dict[str, str]]:
    """Events as Rasa 3.6 writes them, with ids that look like numbers; and the message ids used."""
    metadata = {"model_id": MODEL_ID, "assistant_id": ASSISTANT_ID}
    ids = {"first": uuid.uuid4().hex, "second": "20304050" + uuid.uuid4().hex[8:]}
    events = [
        ActionExecuted("action_listen", timestamp=1765000586.123456, metadata=metadata),
        UserUttered(
            "mit cpr er 010384/1234, ring 20 30 40 50",
            {"name": "inform_20304050", "confidence": 0.91},
            entities=[{"entity": "digit_string", "value": "20304050", "start": 0, "end": 8, "extractor": "Regex"}],
            input_channel="web",
            message_id=ids["first"],
            metadata={**metadata, "municipality": "frederikshavn"},
            timestamp=1765000587.5,
        ),
        UserUttered(
            "０１０３８４＿１２３４", {"name": "inform", "confidence": 0.5}, message_id=ids["second"], metadata=metadata
        ),
        SlotSet("municipality", "frederikshavn", timestamp=1765000588.0, metadata=metadata),
        BotUttered("Jeg ringer på 20 30 40 50.", {}, metadata={**metadata, "utter_action": "utter_20304050"}),
        ActionExecuted("action_20304050", timestamp=1765000589.0, metadata=metadata),
    ]
    return DialogueStateTracker.from_events(sender, events, slots=DOMAIN.slots), ids


async def test_identifiers_timestamps_and_names_are_stored_unchanged(tmp_path) -> None:
    path = tmp_path / "tracker.db"
    store = RedactingSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(path))
    tracker, ids = identified_conversation("web-20304050")
    await store.save(tracker)
    rows = [json.loads(row) for row in raw_rows(f"sqlite:///{path}")]
    stored = json.dumps(rows, ensure_ascii=False)
    for secret in ("010384/1234", "20 30 40 50", "０１０３８４＿１２３４"):
        assert secret not in stored, secret
    assert [event["timestamp"] for event in rows] == [event.timestamp for event in tracker.events]
    assert rows[0]["timestamp"] == 1765000586.123456
    for event in rows:
        assert event["metadata"]["model_id"] == MODEL_ID, event
        assert event["metadata"]["assistant_id"] == ASSISTANT_ID, event
    first, second = rows[1], rows[2]
    assert first["text"] == "mit cpr er [CPR-nummer], ring [telefonnummer]"
    assert second["text"] == "[CPR-nummer]"
    assert (first["message_id"], second["message_id"]) == (ids["first"], ids["second"])
    assert first["parse_data"]["message_id"] == ids["first"]
    assert first["parse_data"]["metadata"]["model_id"] == MODEL_ID
    assert first["parse_data"]["intent"]["name"] == "inform_20304050"
    assert first["parse_data"]["entities"][0] == {
        "entity": "digit_string",
        "value": "[telefonnummer]",
        "start": 0,
        "end": 8,
        "extractor": "Regex",
    }
    assert first["metadata"]["municipality"] == "frederikshavn"
    assert rows[4]["metadata"]["utter_action"] == "utter_20304050"
    assert rows[4]["text"] == "Jeg ringer på [telefonnummer]."
    assert rows[5]["name"] == "action_20304050"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        senders = {sender for (sender,) in connection.execute(sa.text("SELECT sender_id FROM events"))}
    engine.dispose()
    assert senders == {"web-20304050"}
