"""``muni bench console``: the synthetic conversations it seeds, and the figures it reports (not their values)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench import console as bench_console
from muni_core.conversations.schema import conversation_intents, conversations, rasa_events, voice_turns
from muni_core.conversations.store import insert_conversation
from muni_core.paths import REPO_ROOT
from tests.support.postgres import DEFAULT_PG_URL, ScratchDatabaseError, create_postgres_database

REPO = REPO_ROOT
NOW = 1_790_000_000.0
PG_ADMIN_URL = DEFAULT_PG_URL


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MUNI_PROFILE", raising=False)
    monkeypatch.setenv("MUNI_CONFIG", str(tmp_path / "muni.yml"))
    monkeypatch.setenv("MUNI_RASA_TOKEN", "test-token")


def _table(engine: sa.engine.Engine, table: sa.Table, order: list[str]) -> list[tuple]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(table).order_by(*(table.c[name] for name in order)))
        return [tuple(row) for row in rows]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> sa.engine.Engine:
    engine = sa.create_engine(f"sqlite:///{tmp_path_factory.mktemp('bench') / 'console.db'}")
    figures = bench_console.seed_conversations({"sqlite": engine}, 300, now=NOW)
    assert figures["conversations"] == 300
    yield engine
    engine.dispose()


def test_seeded_conversations_have_events_index_and_voice_turns(seeded: sa.engine.Engine) -> None:
    with seeded.connect() as connection:
        index = [dict(row._mapping) for row in connection.execute(sa.select(conversations))]
        events = connection.execute(sa.select(rasa_events.c.sender_id, rasa_events.c.data)).all()
        intents = {row.intent for row in connection.execute(sa.select(conversation_intents))}
        turns = {row.turn_id: row for row in connection.execute(sa.select(voice_turns))}
    assert len(index) == 300
    assert {row["conversation_id"] for row in index} == {sender for sender, _ in events}
    assert {row["channel"] for row in index} == {"web", "phone", "kiosk", "browser"}
    assert {"aarhus", "frederikshavn"} <= {row["municipality"] for row in index}
    assert all(2 <= row["user_turns"] <= 8 + 2 for row in index)  # a booking adds "inform" turns
    assert all(NOW - 91 * 86400 <= row["started_at"] <= row["last_at"] <= NOW for row in index)
    assert any(row["fallback"] for row in index) and any(row["handed_over"] for row in index)
    assert {row["rating"] for row in index} >= {"yes", None}
    assert all(row["first_message"] and row["transcript"] for row in index)
    assert any(intent.startswith("faq/") for intent in intents) and "nlu_fallback" in intents

    parsed = [json.loads(data) for _, data in events]
    user_turns = [event for event in parsed if event["event"] == "user"]
    assert sum(row["user_turns"] for row in index) == len(user_turns)
    faq = next(event for event in user_turns if event["parse_data"]["intent"]["name"] == "faq")
    assert faq["parse_data"]["response_selector"]["faq"]["response"]["intent_response_key"].startswith("faq/")
    assert any(event["event"] == "action" and event["name"] == "action_core_fallback" for event in parsed)
    assert any(event["event"] == "action" and event["name"] == "action_handoff" for event in parsed)
    voiced = [event for event in user_turns if event["input_channel"] in ("phone", "browser")]
    assert voiced and all(event["metadata"]["municipality"] for event in user_turns)
    assert {event["metadata"]["voice"]["turn_id"] for event in voiced} == set(turns)
    for event in voiced:
        row = turns[event["metadata"]["voice"]["turn_id"]]
        assert row.transcript_confidence == event["metadata"]["voice"]["confidence"]
        assert row.stt_ms == event["metadata"]["voice"]["stt_ms"]
        assert row.voice_to_voice_ms > row.stt_ms
    assert not any("voice" in (event.get("metadata") or {}) for event in user_turns if event not in voiced)


def _compare_fast_and_plain(fast: sa.engine.Engine, plain: sa.engine.Engine) -> None:
    jobs = bench_console.batch_jobs(90, seed=3, now=NOW, batch=40)
    for engine in (fast, plain):
        bench_console.prepare_database(engine)
    with fast.begin() as connection:
        for job in jobs:
            bench_console.write_batch(connection, bench_console.make_batch(job))
    with plain.begin() as connection:
        for job in jobs:
            for conversation_id, events, turn_rows in bench_console.batch_conversations(job):
                insert_conversation(connection, conversation_id, events)
                if turn_rows:
                    connection.execute(sa.insert(voice_turns), turn_rows)
    for table, order in (
        (rasa_events, ["id"]),
        (conversations, ["id"]),
        (conversation_intents, ["conversation_id", "intent"]),
        (voice_turns, ["id"]),
    ):
        fast_rows, plain_rows = _table(fast, table, order), _table(plain, table, order)
        assert fast_rows and fast_rows == plain_rows, table.name


def test_fast_seeding_writes_exactly_what_insert_conversation_writes(tmp_path: Path) -> None:
    fast, plain = (sa.create_engine(f"sqlite:///{tmp_path / name}") for name in ("fast.db", "plain.db"))
    try:
        _compare_fast_and_plain(fast, plain)
        with fast.connect() as connection:  # the full-text index was filled by the triggers
            hits = connection.execute(
                sa.text("SELECT count(*) FROM muni_conversation_search WHERE muni_conversation_search MATCH 'kommune*'")
            ).scalar()
        assert hits > 0
    finally:
        fast.dispose()
        plain.dispose()


def test_fast_seeding_on_postgres_writes_what_insert_conversation_writes() -> None:
    try:
        fast, drop_fast = create_postgres_database(PG_ADMIN_URL, "muni_test_seed")
    except ScratchDatabaseError as error:
        pytest.skip(f"no PostgreSQL on 127.0.0.1:5432: {error}")
    plain, drop_plain = create_postgres_database(PG_ADMIN_URL, "muni_test_seed")
    try:
        _compare_fast_and_plain(fast, plain)
    finally:
        drop_fast()
        drop_plain()


def test_batches_made_in_worker_processes_are_the_same() -> None:
    inline = list(bench_console.generate_batches(120, now=NOW, batch=30, workers=0))
    pooled = list(bench_console.generate_batches(120, now=NOW, batch=30, workers=2))
    assert len(inline) == 4 and inline == pooled


def test_report_has_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    report = bench_console.run_bench(300, ["sqlite"], 2, workers=0, now=NOW)
    assert report["conversations"] == 300 and report["queries_per_kind"] == 2
    assert {"conversations", "events", "intent_rows", "voice_turns", "seed_s", "write_s", "workers"} <= set(
        report["seeding"]
    )
    sqlite = report["databases"]["sqlite"]
    assert sqlite["size_bytes"] > 0 and "write_s" in sqlite
    assert set(sqlite["queries"]) == set(bench_console.QUERY_LABELS)
    for figures in sqlite["queries"].values():
        assert {"p50_ms", "p95_ms", "rows"} <= set(figures)
        assert figures["p95_ms"] >= figures["p50_ms"] >= 0
    assert sqlite["queries"]["first_page"]["rows"] == bench_console.PAGE
    bench_console.print_report(report)
    printed = capsys.readouterr().out
    assert "SQLite p50" in printed and bench_console.QUERY_LABELS["deep_page"] in printed


def test_command_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, "-m", "muni.cli", "bench", "console", "--conversations", "150", "--db", "sqlite",
         "--queries", "2", "--json", str(out)],
        cwd=REPO, env=os.environ.copy(), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Konsol-benchmark: 150 samtaler" in done.stdout
    assert "samtaler skrevet" in done.stderr
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert set(figures["databases"]) == {"sqlite"}


def test_unreachable_postgres_is_a_clear_error() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "muni.cli", "bench", "console", "--conversations", "10", "--db", "postgres",
         "--pg-url", "postgresql://postgres@127.0.0.1:1/postgres"],
        cwd=REPO, env=os.environ.copy(), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "kan ikke bruges" in done.stderr and "Traceback" not in done.stderr
