"""Retention purge on the real Rasa SQL tracker store, on SQLite and on PostgreSQL."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from muni_core.conversations.retention import purge

DAY = 86400.0
NOW = 1_800_000_000.0  # a fixed "now" (2027-01-15)


def conversation(sender: str, *ages_in_days: float) -> DialogueStateTracker:
    """A tracker whose user/bot events happened ``ages_in_days`` before NOW."""
    events = []
    for age in ages_in_days:
        stamp = NOW - age * DAY
        events += [
            ActionExecuted("action_listen", timestamp=stamp),
            UserUttered("hvad koster et pas", {"name": "faq", "confidence": 0.9}, timestamp=stamp),
            BotUttered("Et pas koster …", timestamp=stamp + 1),
        ]
    return DialogueStateTracker.from_events(sender, events)


async def fill(store: SQLTrackerStore) -> None:
    await store.save(conversation("old", 200, 120))
    await store.save(conversation("recent", 5))
    await store.save(conversation("old-but-active", 300, 10))  # began long ago, still in use: kept whole
    await store.save(conversation("just-over", 90.01))


async def check_purge(store: SQLTrackerStore, url: str) -> None:
    await fill(store)
    dry = purge(url, 90, now=NOW, dry_run=True)
    assert (dry.conversations, dry.events, dry.dry_run) == (2, 9, True)
    assert await store.retrieve("old") is not None  # a dry run deletes nothing
    result = purge(url, 90, now=NOW)
    assert (result.conversations, result.events) == (2, 9)
    assert await store.retrieve("old") is None
    assert await store.retrieve("just-over") is None
    kept = await store.retrieve("old-but-active")
    assert kept is not None and len([e for e in kept.events if isinstance(e, UserUttered)]) == 2
    assert await store.retrieve("recent") is not None
    assert purge(url, 90, now=NOW).conversations == 0  # idempotent


async def test_purge_on_sqlite(tmp_path) -> None:
    path = tmp_path / "tracker.db"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    await check_purge(store, f"sqlite:///{path}")


def test_purge_without_a_tracker_database_yet(tmp_path) -> None:
    result = purge(f"sqlite:///{tmp_path / 'empty.db'}", 90)
    assert (result.conversations, result.events) == (0, 0)


def test_retention_must_be_positive(tmp_path) -> None:
    with pytest.raises(ValueError):
        purge(f"sqlite:///{tmp_path / 'x.db'}", 0)


async def test_purge_on_postgresql(postgres_database) -> None:
    store = SQLTrackerStore(
        Domain.empty(), dialect="postgresql", host="127.0.0.1", port=5432, db=postgres_database, username="postgres"
    )
    await check_purge(store, f"postgresql://postgres@127.0.0.1:5432/{postgres_database}")
    store.engine.dispose()


def test_cutoff_follows_the_clock() -> None:
    before = time.time()
    result = purge("sqlite://", 1)
    assert before - DAY - 1 <= result.cutoff <= time.time() - DAY


async def test_purge_removes_the_console_rows_of_a_conversation(tmp_path, monkeypatch) -> None:
    from muni_rasa.tracker_store import RedactingSQLTrackerStore

    monkeypatch.setenv("MUNI_VAR_DIR", str(tmp_path / "var"))
    path = tmp_path / "tracker.db"
    store = RedactingSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    await fill(store)
    url = f"sqlite:///{path}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO muni_voice_turns (turn_id, conversation_id, created_at, outcome) "
                "VALUES ('t1', 'old', 1, 'answered'), ('t2', 'recent', 1, 'answered')"
            )
        )
    purge(url, 90, now=NOW)
    with engine.connect() as connection:
        indexed = {row[0] for row in connection.execute(sa.text("SELECT conversation_id FROM muni_conversations"))}
        turns = {row[0] for row in connection.execute(sa.text("SELECT conversation_id FROM muni_voice_turns"))}
        found = connection.execute(
            sa.text("SELECT count(*) FROM muni_conversation_search WHERE muni_conversation_search MATCH 'pas'")
        ).scalar_one()
    engine.dispose()
    assert indexed == {"recent", "old-but-active"}
    assert turns == {"recent"}
    assert found == 2  # the search index follows (FTS5 triggers)
