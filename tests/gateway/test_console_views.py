"""The staff console's pages, API and queries over a real (temporary) conversation database.

Conversations are written as Rasa would store them (the event dicts of ``tests.support.events``;
``insert_conversation``: the ``events`` rows and the console's index). The list, filter and search
tests run on SQLite and, when a server is reachable at postgresql://postgres@127.0.0.1:5432, also on
PostgreSQL (a throw-away database per run).
The console's clock is a fake one, fixed at Friday 20 November 2026, 12:00 in Copenhagen.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from aiohttp import web
from argon2 import PasswordHasher

from muni_core.console import accounts, conversation, dashboard, listing, review
from muni_core.console.common import COPENHAGEN
from muni_core.console.listing import ConversationFilter
from muni_core.conversations.schema import (
    conversation_intents,
    create_schema,
    rasa_events,
    rasa_metadata,
    review_corrections,
    voice_turns,
)
from muni_core.conversations.schema import conversations as conversations_table
from muni_core.conversations.store import event_row, insert_conversation
from tests.support.events import action, bot, session_start, slot, user
from tests.support.postgres import ScratchDatabaseError, create_postgres_database
from voice_gateway import app as gateway_app
from voice_gateway.app import create_app, setup_database
from voice_gateway.console.app import setup_console
from voice_gateway.console.security import STATE, ConsoleState
from voice_gateway.keys import DATABASE
from voice_gateway.settings import GatewaySettings

PASSWORD = "korrekt-hest-batteri-staple"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=COPENHAGEN).timestamp()
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


# --- building conversations --------------------------------------------------------------------------


def at(days_ago: float, hour: int = 10, minute: int = 0) -> float:
    """A Unix time ``days_ago`` days before NOW's date, at hour:minute in Copenhagen."""
    day = datetime.fromtimestamp(NOW, COPENHAGEN).date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=COPENHAGEN).timestamp()


def seed(engine: sa.engine.Engine) -> dict[str, list[dict[str, Any]]]:
    """Six conversations, one per property the list filters on (see the table in each test)."""
    t1, t2, t3, t4, t5, t6 = at(1), at(2), at(3), at(10), at(40), at(5)
    conversations = {
        "web-pas-1": [
            *session_start(t1),
            user("Hvad koster et nyt pas?", "faq", t1 + 1, confidence=0.93, faq="pas"),
            action("utter_faq", t1 + 2),
            bot("Et pas koster 673 kr. for voksne.", t1 + 2),
            slot("citizen_rating", "yes", t1 + 30),
        ],
        "phone-book-2": [
            *session_start(t2),
            user(
                "jeg vil gerne booke en tid på jobcentret",
                "book_appointment",
                t2 + 1,
                confidence=0.87,
                channel="phone",
                entities={"service": "jobcenter"},
                voice={"turn_id": "turn-a", "confidence": 0.83, "stt_ms": 420.0},
            ),
            action("booking_form", t2 + 2),
            bot("Hvilken dag passer dig?", t2 + 2, [("Mandag", '/inform{"day":"mandag"}'), ("Tirsdag", "/inform")]),
            slot("cpr_number", "enc:v1:gAAAAABkZXhhbXBsZQ==", t2 + 3),
            user(
                "tal med en medarbejder",
                "human_handoff",
                t2 + 20,
                channel="phone",
                voice={"turn_id": "turn-c", "confidence": 0.91},
            ),
            action("action_handoff", t2 + 21),
            bot("Jeg stiller dig videre til en medarbejder.", t2 + 21),
            slot("citizen_rating", "no", t2 + 40),
        ],
        "kiosk-fallback-3": [
            *session_start(t3),
            user(
                "blablabla vejen er hullet",
                "nlu_fallback",
                t3 + 1,
                confidence=0.31,
                channel="kiosk",
                municipality="aalborg",
            ),
            action("action_core_fallback", t3 + 2),
            bot("Undskyld, det forstod jeg ikke.", t3 + 2),
        ],
        "browser-flyt-4": [
            *session_start(t4),
            user(
                "Min søn skal flytte til Ærø – hvordan melder jeg flytning?",
                "faq",
                t4 + 1,
                channel="browser",
                municipality="aalborg",
                faq="flytning",
                voice={"turn_id": "turn-b", "confidence": 0.77},
            ),
            bot("Du melder flytning på borger.dk.", t4 + 2),
        ],
        "rest-xss-5": [
            *session_start(t5),
            user("<script>alert('x')</script> hej med dig", "greet", t5 + 1, channel="rest", municipality="hjoerring"),
            bot("Hej! Hvad kan jeg hjælpe med?", t5 + 2),
        ],
        "web-bolig-6": [
            *session_start(t6),
            user("kan jeg få boligstøtte til huslejen", "faq", t6 + 1, municipality="hjoerring", faq="boligstoette"),
            bot("Du kan søge boligstøtte på borger.dk.", t6 + 2),
        ],
    }
    with engine.begin() as connection:
        for conversation_id, events in conversations.items():
            insert_conversation(connection, conversation_id, events)
        connection.execute(
            sa.insert(voice_turns),
            [
                {
                    "turn_id": "turn-a",
                    "conversation_id": "phone-book-2",
                    "created_at": t2 + 1,
                    "outcome": "answered",
                    "transcript_confidence": 0.83,
                    "stt_ms": 420.0,
                    "dialogue_ms": 310.0,
                    "tts_first_ms": 190.0,
                    "voice_to_voice_ms": 1234.0,
                },
                {
                    "turn_id": "turn-b",
                    "conversation_id": "browser-flyt-4",
                    "created_at": t4 + 1,
                    "outcome": "answered",
                    "transcript_confidence": 0.77,
                    "stt_ms": 600.0,
                    "dialogue_ms": 500.0,
                    "tts_first_ms": 250.0,
                    "voice_to_voice_ms": 2000.0,
                },
            ],
        )
    return conversations


def prepare(engine: sa.engine.Engine) -> None:
    create_schema(engine)
    rasa_metadata.create_all(engine)


class Clock:
    """The console's clock in tests (move it with ``clock.now += …``)."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def console_state(app: web.Application) -> ConsoleState:
    """The console sub-application's state, found through the parent's router."""
    for resource in app.router.resources():
        info = resource.get_info()
        if info.get("prefix") == "/console" and "app" in info:
            return info["app"][STATE]
    raise AssertionError("no /console sub-application")


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


async def login(client, username: str = "anna", password: str = PASSWORD, next_path: str = ""):
    page = await client.get("/console/login")
    token = csrf_from(await page.text())
    return await client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": token, "next": next_path},
        allow_redirects=False,
    )


async def logged_in_csrf(client) -> str:
    page = await client.get("/console/review")
    assert page.status == 200
    return csrf_from(await page.text())


# --- fixtures ----------------------------------------------------------------------------------------


FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


def use_fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with the smallest parameters: the tests log in often; the real ones cost ~0.5 s a time."""
    monkeypatch.setattr(accounts, "_hasher", FAST_HASHER, raising=False)
    monkeypatch.setattr(accounts, "_dummy_hash", None, raising=False)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch) -> None:
    use_fast_hashing(monkeypatch)


@pytest.fixture(scope="module", name="template_db")
def template_db_fixture(tmp_path_factory) -> Path:
    """A seeded database with the accounts anna (reviewer) and boss (admin), copied for each test."""
    path = tmp_path_factory.mktemp("template") / "tracker.db"
    created = sa.create_engine(f"sqlite:///{path}")
    with pytest.MonkeyPatch.context() as patch:
        use_fast_hashing(patch)
        prepare(created)
        seed(created)
        accounts.add_staff(created, "anna", PASSWORD, "reviewer")
        accounts.add_staff(created, "boss", PASSWORD, "admin")
    created.dispose()
    return path


@pytest.fixture(name="db_url")
def db_url_fixture(tmp_path, template_db) -> str:
    shutil.copyfile(template_db, tmp_path / "tracker.db")
    return f"sqlite:///{tmp_path / 'tracker.db'}"


@pytest.fixture(name="engine")
def engine_fixture(db_url) -> Iterator[sa.engine.Engine]:
    created = sa.create_engine(db_url)
    yield created
    created.dispose()


@pytest.fixture(name="clock")
def clock_fixture() -> Clock:
    return Clock()


@pytest.fixture(name="client")
async def client_fixture(aiohttp_client, db_url, engine, clock):
    app = web.Application()
    setup_database(app, db_url)
    setup_console(app, cookie_secure=False)
    console_state(app).clock = clock
    return await aiohttp_client(app)


@pytest.fixture(name="reviewer")
async def reviewer_fixture(client):
    response = await login(client)
    assert response.status == 303, await response.text()
    return client


@pytest.fixture(scope="module")
def postgres_engine() -> Iterator[sa.engine.Engine]:
    try:
        created, drop = create_postgres_database(POSTGRES_ADMIN_URL, "muni_console_test")
    except ScratchDatabaseError as error:
        pytest.skip(f"PostgreSQL er ikke tilgængelig på 127.0.0.1:5432: {error}")
    try:
        prepare(created)
        seed(created)
        yield created
    finally:
        drop()


@pytest.fixture(scope="module")
def sqlite_engine(tmp_path_factory) -> Iterator[sa.engine.Engine]:
    created = sa.create_engine(f"sqlite:///{tmp_path_factory.mktemp('store') / 'tracker.db'}")
    prepare(created)
    seed(created)
    yield created
    created.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def store_engine(request) -> sa.engine.Engine:
    return request.getfixturevalue(f"{request.param}_engine")


def ids(engine: sa.engine.Engine, **filters: Any) -> list[str]:
    rows, _ = listing.list_conversations(engine, ConversationFilter(**filters), None)
    return [row["conversation_id"] for row in rows]


# --- store: filters and search (SQLite and PostgreSQL) -----------------------------------------------


def test_list_is_newest_first_with_summary_columns(store_engine) -> None:
    rows, next_cursor = listing.list_conversations(store_engine, ConversationFilter(), None)
    assert [row["conversation_id"] for row in rows] == [
        "web-pas-1",
        "phone-book-2",
        "kiosk-fallback-3",
        "web-bolig-6",
        "browser-flyt-4",
        "rest-xss-5",
    ]
    assert next_cursor is None
    phone = rows[1]
    assert phone["channel"] == "phone" and phone["municipality"] == "frederikshavn"
    assert phone["user_turns"] == 2 and phone["handed_over"] is True and phone["rating"] == "no"
    assert phone["first_message"] == "jeg vil gerne booke en tid på jobcentret"
    assert set(phone["intents"]) == {"book_appointment", "human_handoff"}
    assert rows[0]["intents"] == ["faq/pas"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"channel": "phone"}, ["phone-book-2"]),
        ({"channel": "kiosk"}, ["kiosk-fallback-3"]),
        ({"channel": "browser"}, ["browser-flyt-4"]),
        ({"channel": "rest"}, ["rest-xss-5"]),
        ({"channel": "web"}, ["web-pas-1", "web-bolig-6"]),
        ({"municipality": "aalborg"}, ["kiosk-fallback-3", "browser-flyt-4"]),
        ({"intent": "faq/pas"}, ["web-pas-1"]),
        ({"intent": "human_handoff"}, ["phone-book-2"]),
        ({"intent": "nlu_fallback"}, ["kiosk-fallback-3"]),
        ({"fallback": True}, ["kiosk-fallback-3"]),
        ({"handed_over": True}, ["phone-book-2"]),
        ({"handed_over": False, "municipality": "frederikshavn"}, ["web-pas-1"]),
        ({"rating": "ja"}, ["web-pas-1"]),
        ({"rating": "no"}, ["phone-book-2"]),
        ({"rating": "ingen", "channel": "web"}, ["web-bolig-6"]),
        ({"date_from": date(2026, 11, 17), "date_to": date(2026, 11, 18)}, ["phone-book-2", "kiosk-fallback-3"]),
        ({"date_from": date(2026, 11, 19)}, ["web-pas-1"]),
        ({"date_to": date(2026, 11, 10)}, ["browser-flyt-4", "rest-xss-5"]),
        ({"channel": "phone", "municipality": "aalborg"}, []),
    ],
)
def test_each_filter_narrows_the_list(store_engine, filters, expected) -> None:
    assert ids(store_engine, **filters) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("pas", ["web-pas-1", "phone-book-2"]),  # "pas" and "passer"
        ("koster pas", ["web-pas-1"]),
        ("boligstø", ["web-bolig-6"]),  # prefix with ø
        ("søn", ["browser-flyt-4"]),
        ("ÆRØ", ["browser-flyt-4"]),  # upper case Æ
        ("flyt", ["browser-flyt-4"]),  # prefix of "flytte" and "flytning"
        ("medarbejder", ["phone-book-2"]),  # also the assistant's answers are searched
        ("pas flytning", []),  # every word must be there
        ("kiosk-fallback-3", ["kiosk-fallback-3"]),  # a conversation id
        ("zzzqqq", []),
    ],
)
def test_search_finds_words_prefixes_and_ids(store_engine, query, expected) -> None:
    assert ids(store_engine, query=query) == expected


@pytest.mark.parametrize("window", [listing.WINDOW, 1])
def test_every_query_plan_finds_the_same(store_engine, monkeypatch, window) -> None:
    """The search and intent filters take other paths for common words (COMMON_MATCHES) or a full window."""
    queries = [{"query": "pas"}, {"query": "borger"}, {"query": "flyt"}, {"query": "web-pas-1"}, {"intent": "faq/pas"}]
    queries += [{"query": "borger", "channel": "web"}, {"intent": "faq/flytning", "query": "ærø"}]
    expected = [ids(store_engine, **filters) for filters in queries]
    monkeypatch.setattr(listing, "COMMON_MATCHES", 1)
    monkeypatch.setattr(listing, "WINDOW", window)
    assert [ids(store_engine, **filters) for filters in queries] == expected
    assert expected[1] == ["web-bolig-6", "browser-flyt-4"]


def test_search_combines_with_filters(store_engine) -> None:
    assert ids(store_engine, query="borger", municipality="hjoerring") == ["web-bolig-6"]
    assert ids(store_engine, query="borger", channel="phone") == []


@pytest.mark.parametrize("hostile", ["' OR 1=1 --", '"', "*", ")", "NEAR(", "%", '" OR "', 'pas" OR "1', "AND", "-pas"])
def test_hostile_queries_are_just_words(store_engine, hostile) -> None:
    found = ids(store_engine, query=hostile)
    assert len(found) < 6


def test_invalid_filters_raise_danish_errors(store_engine) -> None:
    with pytest.raises(listing.InvalidFilter, match="kanal"):
        ids(store_engine, channel="fax")
    with pytest.raises(listing.InvalidFilter, match="vurdering"):
        ids(store_engine, rating="måske")
    with pytest.raises(listing.InvalidCursor):
        listing.list_conversations(store_engine, ConversationFilter(), "ikke-en-markør")
    with pytest.raises(listing.InvalidFilter, match="200"):
        ids(store_engine, query="a" * 201)


def _bulk(engine: sa.engine.Engine, count: int) -> None:
    base = at(1)
    with engine.begin() as connection:
        for number in range(count):
            # every third conversation shares its last_at with the previous one: ties are broken by id
            ts = base - (number - number % 3) * 60
            insert_conversation(
                connection,
                f"bulk-{number:04d}",
                [
                    user(
                        f"spørgsmål nummer {number} om pas",
                        "faq",
                        ts,
                        faq="pas",
                        channel="phone" if number % 2 else "web",
                    ),
                    bot("svar", ts),
                ],
            )


@pytest.mark.parametrize("window", [listing.WINDOW, 7])
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_keyset_paging_returns_every_row_exactly_once(request, tmp_path, monkeypatch, backend, window) -> None:
    monkeypatch.setattr(listing, "WINDOW", window)  # 7: the intent/search index drives once the window is full
    monkeypatch.setattr(listing, "COMMON_MATCHES", 5000 if window > 7 else 3)  # PostgreSQL: both search plans
    if backend == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'paging.db'}")
        prepare(engine)
    else:
        engine = request.getfixturevalue("postgres_engine")
    _bulk(engine, 137)
    try:
        for filters, expected in (
            (ConversationFilter(), 137),
            (ConversationFilter(channel="phone", query="pas"), 68),
            (ConversationFilter(intent="faq/pas", channel="web"), 69),
        ):
            seen: list[tuple[float, int]] = []
            names: list[str] = []
            cursor = None
            pages = 0
            while True:
                rows, cursor = listing.list_conversations(engine, filters, cursor, limit=50)
                pages += 1
                seen += [(row["last_at"], row["id"]) for row in rows]
                names += [row["conversation_id"] for row in rows if row["conversation_id"].startswith("bulk-")]
                if cursor is None:
                    break
            assert len(names) == expected and len(set(names)) == expected
            assert seen == sorted(seen, reverse=True)
            assert pages == -(-len(seen) // 50)
    finally:
        if backend == "postgresql":
            with engine.begin() as connection:
                for column in (
                    conversation_intents.c.conversation_id,
                    conversations_table.c.conversation_id,
                    rasa_events.c.sender_id,
                ):
                    connection.execute(sa.delete(column.table).where(column.like("bulk-%")))


# --- one conversation --------------------------------------------------------------------------------


def test_turns_show_intents_entities_actions_answers_and_voice(sqlite_engine) -> None:
    loaded = conversation.load_conversation(sqlite_engine, "phone-book-2")
    turns = [turn for turn in loaded["turns"] if turn["event_id"]]
    first, second = turns
    assert first["intent"] == "book_appointment" and first["confidence"] == pytest.approx(0.87)
    assert first["entities"] == [{"entity": "service", "value": "jobcenter"}]
    assert first["actions"] == ["booking_form"]
    assert first["answers"][0]["buttons"][0] == {"title": "Mandag", "payload": '/inform{"day":"mandag"}'}
    assert first["slots"] == [{"name": "cpr_number", "value": "[skjult]"}]
    assert first["voice"]["confidence"] == pytest.approx(0.83)
    assert first["voice"]["voice_to_voice_ms"] == 1234.0 and first["voice"]["stt_ms"] == 420.0
    assert second["actions"] == ["action_handoff"]
    assert second["voice"]["voice_to_voice_ms"] is None  # no latency row for that turn
    assert conversation.load_conversation(sqlite_engine, "findes-ikke") is None
    faq = conversation.load_conversation(sqlite_engine, "web-pas-1")["turns"][1]
    assert faq["intent"] == "faq/pas" and faq["selector_confidence"] == pytest.approx(0.88)


def test_a_conversation_without_an_index_row_gets_its_header_from_the_events(engine) -> None:
    """A database written before the console (no ``muni_conversations`` row): the header is folded the same way."""
    events = [
        *session_start(at(2)),
        user("tal med en medarbejder", "human_handoff", at(2) + 1, channel="phone", municipality="aalborg"),
        action("action_handoff", at(2) + 2),
        slot("citizen_rating", "no", at(2) + 9),
    ]
    with engine.begin() as connection:
        connection.execute(sa.insert(rasa_events), [event_row("unindexed-1", event) for event in events])
    header = conversation.load_conversation(engine, "unindexed-1")["summary"]
    assert header["id"] is None and header["conversation_id"] == "unindexed-1"
    assert (header["channel"], header["municipality"], header["user_turns"]) == ("phone", "aalborg", 1)
    assert header["handed_over"] is True and header["fallback"] is False and header["rating"] == "no"
    assert header["first_message"] == "tal med en medarbejder" and "transcript" not in header


async def test_conversation_page_shows_each_turn(reviewer) -> None:
    response = await reviewer.get("/console/conversations/phone-book-2")
    assert response.status == 200
    html = await response.text()
    assert "jeg vil gerne booke en tid på jobcentret" in html
    assert '<code data-testid="intent">book_appointment</code>' in html and "87 % sikker" in html
    assert "service=jobcenter" in html
    assert "<code>booking_form</code>" in html and "<code>action_handoff</code>" in html
    assert "Hvilken dag passer dig?" in html and "Mandag" in html
    assert "83 % sikker" in html  # transcript confidence
    assert "stemme-til-stemme 1.234 ms" in html and "talegenkendelse 420 ms" in html
    assert "cpr_number=[skjult]" in html and "enc:v1:" not in html
    assert "Telefon" in html and "frederikshavn" in html and "Nej" in html  # header: channel, municipality, rating
    faq = await (await reviewer.get("/console/conversations/web-pas-1")).text()
    assert '<code data-testid="intent">faq/pas</code>' in faq and "93 % sikker" in faq


async def test_the_gateway_opens_one_engine_and_the_console_uses_it(aiohttp_client, db_url, monkeypatch) -> None:
    """create_app opens the tracker database once, at start-up (keys.DATABASE); the console reads through it."""
    opened: list[sa.engine.Engine] = []

    def open_engine(url: str) -> sa.engine.Engine:
        opened.append(sa.create_engine(url))
        return opened[-1]

    monkeypatch.setattr(gateway_app, "open_engine", open_engine)
    app = create_app(GatewaySettings(database_url=db_url, console_secure_cookies=False))
    assert opened == []  # nothing before the application starts
    client = await aiohttp_client(app)
    assert len(opened) == 1 and app[DATABASE] is opened[0]
    assert (await login(client)).status == 303
    assert (await client.get("/console/conversations/web-pas-1")).status == 200
    assert len(opened) == 1


async def test_unknown_conversation_is_a_danish_404(reviewer) -> None:
    response = await reviewer.get("/console/conversations/findes-ikke")
    assert response.status == 404
    html = await response.text()
    assert "Samtalen findes ikke" in html and '<html lang="da">' in html
    assert (await reviewer.get("/console/conversations/" + "x" * 300)).status == 404
    assert (await reviewer.get("/console/conversations/findes-ikke/export")).status == 404


async def test_export_is_a_json_download(reviewer) -> None:
    response = await reviewer.get("/console/conversations/phone-book-2/export")
    assert response.status == 200
    assert "attachment" in response.headers["Content-Disposition"]
    document = json.loads(await response.text())
    assert document["conversation_id"] == "phone-book-2"
    assert [event["event"] for event in document["events"]][:3] == ["action", "session_started", "user"]
    assert "enc:v1:" not in json.dumps(document)
    assert document["summary"]["handed_over"] is True


# --- list page and API -------------------------------------------------------------------------------


async def test_list_page_and_api_filter_the_same_way(reviewer) -> None:
    page = await reviewer.get("/console/conversations", params={"channel": "phone"})
    html = await page.text()
    assert page.status == 200
    assert 'data-conversation="phone-book-2"' in html and 'data-conversation="web-pas-1"' not in html
    assert "Telefon" in html and "Overdraget" in html and "Vurdering: Nej" in html
    api = await reviewer.get("/console/api/conversations", params={"channel": "phone"})
    body = await api.json()
    assert [row["conversation_id"] for row in body["conversations"]] == ["phone-book-2"]
    assert body["next"] is None
    both = await reviewer.get(
        "/console/api/conversations",
        params={"municipality": "aalborg", "fallback": "ja", "rating": "ingen", "q": "vejen", "intent": "nlu_fallback"},
    )
    assert [row["conversation_id"] for row in (await both.json())["conversations"]] == ["kiosk-fallback-3"]
    home = await (await reviewer.get("/console/")).text()
    for label in ("Chat", "Telefon", "Kiosk", "Browser-tale", "API"):
        assert f">{label}</option>" in home
    assert '<option value="aalborg">' in home and '<option value="faq/flytning">' in home


async def test_list_pages_link_to_next_and_first(reviewer, engine) -> None:
    _bulk(engine, 60)
    first = await (await reviewer.get("/console/conversations", params={"q": "nummer"})).text()
    assert "flere end 50" in first
    next_url = re.search(r'href="([^"]+)" rel="next">Næste side', first).group(1).replace("&amp;", "&")
    assert "q=nummer" in next_url and "after=" in next_url
    second = await (await reviewer.get(next_url)).text()
    assert second.count('data-testid="conversation-row"') == 10
    assert "Første side" in second and "Næste side" not in second


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "2026-13-40"}, "Ugyldig dato"),
        ({"date_to": "i går"}, "Ugyldig dato"),
        ({"date_from": "2026-11-20", "date_to": "2026-11-01"}, "før"),
        ({"channel": "fax"}, "Ukendt kanal"),
        ({"rating": "måske"}, "vurdering"),
        ({"fallback": "måske"}, "ja eller nej"),
        ({"after": "ikke-en-markør"}, "sidemarkør"),
        ({"after": "W1siYSJdXQ"}, "sidemarkør"),
        ({"after": "x" * 5000}, "sidemarkør"),
        ({"q": "ord " * 60}, "200 tegn"),
    ],
)
async def test_bad_list_input_is_a_danish_400(reviewer, params, message) -> None:
    page = await reviewer.get("/console/conversations", params=params)
    assert page.status == 400
    html = await page.text()
    assert message in html and 'role="alert"' in html
    api = await reviewer.get("/console/api/conversations", params=params)
    assert api.status == 400
    assert message in (await api.json())["error"]


async def test_bad_dashboard_and_audit_input(reviewer, client) -> None:
    assert (await reviewer.get("/console/dashboard", params={"days": "365"})).status == 400
    assert (await reviewer.get("/console/dashboard", params={"days": "abc"})).status == 400


# --- review loop -------------------------------------------------------------------------------------


def event_id_of(engine: sa.engine.Engine, conversation_id: str, text: str) -> int:
    with engine.connect() as connection:
        for event_id, data in connection.execute(
            sa.select(rasa_events.c.id, rasa_events.c.data).where(rasa_events.c.sender_id == conversation_id)
        ):
            if json.loads(data).get("text") == text:
                return event_id
    raise AssertionError(text)


async def test_marking_a_message_stores_and_updates_one_correction(reviewer, engine) -> None:
    event_id = event_id_of(engine, "kiosk-fallback-3", "blablabla vejen er hullet")
    csrf = await logged_in_csrf(reviewer)
    url = "/console/conversations/kiosk-fallback-3/corrections"
    response = await reviewer.post(
        url,
        data={"csrf_token": csrf, "event_id": str(event_id), "correct_intent": "out_of_scope"},
        allow_redirects=False,
    )
    assert response.status == 303
    assert response.headers["Location"].endswith(f"?rettet={event_id}#besked-{event_id}")
    again = await reviewer.post(url, data={"csrf_token": csrf, "event_id": str(event_id), "correct_intent": "faq/pas"})
    assert again.status == 200 and "Rettelsen er gemt." in await again.text()
    with engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(sa.select(review_corrections))]
    assert len(rows) == 1
    row = rows[0]
    assert (row["event_id"], row["text"], row["predicted_intent"], row["correct_intent"], row["reviewer"]) == (
        event_id,
        "blablabla vejen er hullet",
        "nlu_fallback",
        "faq/pas",
        "anna",
    )
    page = await (await reviewer.get("/console/conversations/kiosk-fallback-3")).text()
    assert "Rettet til <code>faq/pas</code> af anna" in page


@pytest.mark.parametrize(
    ("event", "intent", "status"),
    [
        ("abc", "faq/pas", 400),
        ("-1", "faq/pas", 400),
        ("99999999999999999999", "faq/pas", 400),
        ("999999", "faq/pas", 404),
        ("EVENT", "findes_ikke", 400),
        ("EVENT", "", 400),
        ("BOT", "faq/pas", 404),
        ("OTHER", "faq/pas", 404),
    ],
)
async def test_bad_corrections_are_refused(reviewer, engine, event, intent, status) -> None:
    own = event_id_of(engine, "kiosk-fallback-3", "blablabla vejen er hullet")
    replacements = {
        "EVENT": str(own),
        "BOT": str(event_id_of(engine, "kiosk-fallback-3", "Undskyld, det forstod jeg ikke.")),
        "OTHER": str(event_id_of(engine, "web-pas-1", "Hvad koster et nyt pas?")),
    }
    csrf = await logged_in_csrf(reviewer)
    response = await reviewer.post(
        "/console/conversations/kiosk-fallback-3/corrections",
        data={"csrf_token": csrf, "event_id": replacements.get(event, event), "correct_intent": intent},
    )
    assert response.status == status
    assert 'role="alert"' in await response.text()


def test_nlu_yaml_groups_by_intent_and_quotes_safely() -> None:
    rows = [
        {"text": 'hvad koster et "nyt" pas: #1', "correct_intent": "faq/pas"},
        {"text": "- starter med bindestreg", "correct_intent": "faq/pas"},
        {"text": 'hvad koster et "nyt" pas: #1', "correct_intent": "faq/pas"},  # duplicate
        {"text": "mit nummer er [CPR-nummer](ring) ok", "correct_intent": "inform"},
        {"text": "[CPR-nummer] [telefonnummer]", "correct_intent": "inform"},  # only placeholders: skipped
        {"text": "/greet", "correct_intent": "greet"},  # a payload: skipped
        {"text": "  hej\nmed dig  ", "correct_intent": "greet"},
        {"text": "'enkelt' og {krøllet} æøå", "correct_intent": "out_of_scope"},
        {"text": "kontrol\x07tegn", "correct_intent": "out_of_scope"},
    ]
    text = review.corrections_to_nlu_yaml(rows)
    assert text.startswith('version: "3.1"\nnlu:\n- intent: faq/pas\n  examples: |\n    - ')
    data = yaml.safe_load(text)
    assert data["version"] == "3.1"
    examples = {item["intent"]: item["examples"] for item in data["nlu"]}
    assert list(examples) == ["faq/pas", "greet", "inform", "out_of_scope"]
    assert examples["faq/pas"] == '- hvad koster et "nyt" pas: #1\n- - starter med bindestreg\n'
    assert examples["greet"] == "- hej med dig\n"
    assert examples["inform"] == "- mit nummer er [CPR-nummer] (ring) ok\n"  # not read as an entity annotation
    assert examples["out_of_scope"].startswith("- 'enkelt' og {krøllet} æøå\n- kontrol")
    assert review.corrections_to_nlu_yaml([]) == 'version: "3.1"\nnlu: []\n'


async def test_review_page_and_export_download(reviewer, engine) -> None:
    csrf = await logged_in_csrf(reviewer)
    for conversation_id, text, intent in (
        ("kiosk-fallback-3", "blablabla vejen er hullet", "out_of_scope"),
        ("web-pas-1", "Hvad koster et nyt pas?", "faq/pas"),
    ):
        event_id = event_id_of(engine, conversation_id, text)
        await reviewer.post(
            f"/console/conversations/{conversation_id}/corrections",
            data={"csrf_token": csrf, "event_id": str(event_id), "correct_intent": intent},
        )
    page = await (await reviewer.get("/console/review")).text()
    assert page.count('data-testid="correction-row"') == 2 and "2 rettelser venter" in page
    export = await reviewer.post("/console/review/export", data={"csrf_token": csrf})
    assert export.status == 200
    assert export.headers["Content-Disposition"].startswith('attachment; filename="rettelser-nlu-')
    data = yaml.safe_load(await export.text())
    assert data["nlu"] == [
        {"intent": "faq/pas", "examples": "- Hvad koster et nyt pas?\n"},
        {"intent": "out_of_scope", "examples": "- blablabla vejen er hullet\n"},
    ]
    assert review.pending_corrections(engine) == []
    assert len(review.pending_corrections(engine, include_exported=True)) == 2
    empty = await reviewer.post("/console/review/export", data={"csrf_token": csrf})
    assert empty.status == 200 and "ingen nye rettelser" in await empty.text()
    assert "0 rettelser venter" in await (await reviewer.get("/console/review")).text()


def test_mark_exported_and_pending_order(sqlite_engine) -> None:
    engine = sqlite_engine
    review.save_correction(
        engine,
        conversation_id="web-pas-1",
        event_id=900001,
        text="a",
        predicted_intent="faq",
        correct_intent="greet",
        reviewer="anna",
        now=1.0,
    )
    review.save_correction(
        engine,
        conversation_id="web-pas-1",
        event_id=900002,
        text="b",
        predicted_intent=None,
        correct_intent="deny",
        reviewer="anna",
        now=2.0,
    )
    pending = review.pending_corrections(engine)
    assert [row["text"] for row in pending] == ["a", "b"]
    assert review.mark_exported(engine, [pending[0]["id"]]) == 1
    assert [row["text"] for row in review.pending_corrections(engine)] == ["b"]
    assert [row["text"] for row in review.pending_corrections(engine, include_exported=True)] == ["b", "a"]
    review.save_correction(  # marking again makes it pending again
        engine,
        conversation_id="web-pas-1",
        event_id=900001,
        text="a",
        predicted_intent="faq",
        correct_intent="deny",
        reviewer="boss",
        now=3.0,
    )
    assert [row["correct_intent"] for row in review.pending_corrections(engine)] == ["deny", "deny"]
    assert review.mark_exported(engine, []) == 0


# --- dashboard ---------------------------------------------------------------------------------------


def test_dashboard_numbers_on_a_known_data_set(sqlite_engine) -> None:
    week = dashboard.dashboard_stats(sqlite_engine, 7, now=NOW)
    assert week["total"] == 4 and week["handed_over"] == 1 and week["fallback"] == 1
    assert week["containment"] == pytest.approx(0.75) and week["fallback_rate"] == pytest.approx(0.25)
    assert sum(sum(values) for values in week["per_day"].values()) == 4
    assert week["per_day"]["web"] == [0, 1, 0, 0, 0, 1, 0]  # 14.11 ... 20.11, oldest first
    assert week["per_day"]["phone"][4] == 1 and week["per_day"]["kiosk"][3] == 1
    assert week["days"][0] == date(2026, 11, 14) and week["days"][-1] == date(2026, 11, 20)
    assert dict(week["top_intents"]) == {"book_appointment": 1, "human_handoff": 1, "nlu_fallback": 1}
    assert dict(week["top_faq"]) == {"faq/pas": 1, "faq/boligstoette": 1}
    assert week["voice"] == {"count": 1, "p50": 1234.0, "p90": 1234.0, "p95": 1234.0}
    month = dashboard.dashboard_stats(sqlite_engine, 30, now=NOW)
    assert month["total"] == 5 and month["containment"] == pytest.approx(0.8)
    assert month["voice"]["count"] == 2
    assert month["voice"]["p50"] == pytest.approx(1617.0) and month["voice"]["p90"] == pytest.approx(1923.4)
    assert month["stt"]["p50"] == pytest.approx(510.0)
    assert dashboard.dashboard_stats(sqlite_engine, 90, now=NOW)["total"] == 6


def test_dashboard_numbers_on_postgresql(postgres_engine) -> None:
    week = dashboard.dashboard_stats(postgres_engine, 7, now=NOW)
    assert week["total"] == 4 and week["containment"] == pytest.approx(0.75)
    month = dashboard.dashboard_stats(postgres_engine, 30, now=NOW)
    assert month["voice"]["p50"] == pytest.approx(1617.0) and month["voice"]["p95"] == pytest.approx(1961.7)


async def test_dashboard_page_has_charts_with_tables(reviewer) -> None:
    response = await reviewer.get("/console/dashboard", params={"days": "7"})
    assert response.status == 200
    html = await response.text()
    assert '<span class="figure" data-testid="containment">75 %</span>' in html
    assert '<span class="figure" data-testid="fallback-rate">25 %</span>' in html
    assert html.count('role="img"') == 5 and html.count("<title id=") == 5
    assert "<table" in html and 'scope="col"' in html
    assert "1.234 ms" in html  # voice-to-voice p50
    assert 'aria-current="page">Seneste 7 dage' in html
    assert "style=" not in html and "<script" not in html
