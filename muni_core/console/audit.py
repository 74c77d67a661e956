"""The console's audit log (``muni_audit_log``): who logged in, opened, exported or corrected what, and when."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa

from muni_core.console.common import PAGE_SIZE
from muni_core.conversations.schema import audit_log


def write_audit(
    engine: sa.engine.Engine,
    username: str,
    action: str,
    conversation_id: str | None = None,
    detail: str | None = None,
    now: float | None = None,
) -> None:
    """Append a row to the audit log."""
    with engine.begin() as connection:
        connection.execute(
            sa.insert(audit_log).values(
                at=time.time() if now is None else now,
                username=username[:64],
                action=action[:32],
                conversation_id=conversation_id[:255] if conversation_id else None,
                detail=detail[:1000] if detail else None,
            )
        )


def list_audit(
    engine: sa.engine.Engine, username: str | None = None, before: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[dict[str, Any]], int | None]:
    """Audit rows newest first (optionally of one user) and the ``before`` id of the next page (or None)."""
    statement = sa.select(audit_log)
    if username:
        statement = statement.where(audit_log.c.username == username[:64])
    if before is not None:
        statement = statement.where(audit_log.c.id < before)
    statement = statement.order_by(audit_log.c.id.desc()).limit(limit + 1)
    with engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(statement)]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1]["id"] if more and rows else None)


def audit_usernames(engine: sa.engine.Engine) -> list[str]:
    """Users that occur in the audit log."""
    statement = sa.select(audit_log.c.username).distinct().order_by(audit_log.c.username)
    with engine.connect() as connection:
        return [value for (value,) in connection.execute(statement)]
