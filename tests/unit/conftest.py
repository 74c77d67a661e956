"""Fixtures for testing actions: trackers, dispatcher, fixed clock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def user_event(text: str, intent: str, **parse: Any) -> dict[str, Any]:
    """A tracker 'user' event as Rasa sends it to the action server."""
    parse_data = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [], **parse}
    return {"event": "user", "text": text, "parse_data": parse_data, "metadata": parse.get("metadata") or {}}


def bot_event(text: str, buttons: list | None = None) -> dict[str, Any]:
    """A tracker 'bot' event."""
    return {"event": "bot", "text": text, "data": {"buttons": buttons} if buttons else {}}


def action_event(name: str) -> dict[str, Any]:
    """A tracker 'action' event."""
    return {"event": "action", "name": name}


def make_tracker(
    events: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    sender: str = "test-conversation",
) -> Tracker:
    """A tracker whose latest message is the last user event in ``events``."""
    events = events or []
    latest = next((e for e in reversed(events) if e["event"] == "user"), None)
    latest_message = {}
    if latest:
        latest_message = {**latest["parse_data"], "metadata": latest.get("metadata") or {}}
    return Tracker(
        sender_id=sender,
        slots=slots or {},
        latest_message=latest_message,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch):
    """Set the assistant's clock (Europe/Copenhagen) for one test."""

    def set_now(iso: str) -> None:
        monkeypatch.setenv("MUNI_NOW", iso)

    return set_now


@pytest.fixture(autouse=True)
def no_default_municipality(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MUNI_DEFAULT_MUNICIPALITY", raising=False)
    monkeypatch.delenv("MUNI_NOW", raising=False)


@pytest.fixture
def booking_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """A fresh SQLite booking store and the clock at Tuesday 1 December 2026, 09:00."""
    monkeypatch.setenv("MUNI_BOOKING_DB_URL", f"sqlite:///{tmp_path / 'bookings.db'}")
    monkeypatch.setenv("MUNI_NOW", "2026-12-01T09:00:00")


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database on the local server (trust auth), dropped afterwards."""
    name = f"muni_unit_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine("postgresql://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield name
    finally:
        with admin.connect() as connection:
            connection.execute(
                sa.text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")  # noqa: S608
            )
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
