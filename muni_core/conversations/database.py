"""Opening the tracker database from the gateway (console, phone-turn figures) and the tools."""

from __future__ import annotations

import importlib.util
from typing import Any

import sqlalchemy as sa

SQLITE_BUSY_TIMEOUT_MS = 10_000


def url_with_driver(database_url: str) -> sa.engine.URL:
    """The URL, with psycopg2 as PostgreSQL driver when none is named and psycopg (3) is not installed.

    SQLAlchemy 2.1 picks psycopg 3 for a bare ``postgresql://``; Muni ships psycopg2-binary
    (the same driver Rasa's tracker store uses).
    """
    url = sa.engine.make_url(database_url)
    if url.drivername == "postgresql" and importlib.util.find_spec("psycopg") is None:
        url = url.set(drivername="postgresql+psycopg2")
    return url


def open_engine(database_url: str) -> sa.engine.Engine:
    """An engine for the tracker database; SQLite gets WAL (Rasa writes while the console reads) and a busy timeout."""
    url = url_with_driver(database_url)
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    engine = sa.create_engine(url, connect_args={"check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    return engine
