"""Scratch PostgreSQL databases for tests and benchmarks: made fresh, dropped afterwards."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import sqlalchemy as sa

from muni_core.conversations.database import url_with_driver

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
"""The developer and CI machines' PostgreSQL (trust auth)."""


class ScratchDatabaseError(Exception):
    """A scratch database cannot be made (Danish message)."""


def create_postgres_database(admin_url: str, prefix: str = "muni_test") -> tuple[sa.engine.Engine, Callable[[], None]]:
    """A fresh database ``<prefix>_<random>`` on the server of ``admin_url``; and how to drop it again.

    Raises :class:`ScratchDatabaseError` (Danish) when the server cannot be used.
    """
    admin = sa.create_engine(
        url_with_driver(admin_url), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    name = f"{prefix}_{secrets.token_hex(4)}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.DBAPIError as error:
        admin.dispose()
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()
        raise ScratchDatabaseError(
            f"PostgreSQL på {url_with_driver(admin_url).render_as_string(hide_password=True)} kan ikke bruges: "
            f"{reason[0] if reason else error}. Brug --db sqlite eller en anden --pg-url."
        ) from error
    engine = sa.create_engine(url_with_driver(admin_url).set(database=name))

    def drop() -> None:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return engine, drop
