"""The console's audit log (``muni_audit_log``): who logged in, searched, opened, exported or corrected what, and when.

Searches and list requests are logged with :func:`describe_list`: staff may paste a citizen's data
into the search box, so free text is stored redacted (:func:`muni_core.redaction.redact_text`).
Login alerts (``alert``) are written by :mod:`muni_core.console.sessions`.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa

from muni_core.console.common import PAGE_SIZE
from muni_core.console.listing import ConversationFilter
from muni_core.conversations.schema import audit_log
from muni_core.redaction import redact_text

SEARCH_ACTION = "search"
"""The conversation list page with a search text."""
LIST_API_ACTION = "list_api"
"""A call of the conversation list's JSON API (``/console/api/conversations``)."""


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


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("ja" if value else "nej")


def describe_list(filters: ConversationFilter, found: int, next_page: bool = False) -> str:
    """An audit detail for a list or search request: its filters, free text redacted, and how many rows it showed."""
    parts = [f"søgning: »{redact_text(filters.query)}«"] if filters.query else []
    for label, value in (
        ("fra", filters.date_from and filters.date_from.isoformat()),
        ("til", filters.date_to and filters.date_to.isoformat()),
        ("kanal", filters.channel),
        ("kommune", filters.municipality and redact_text(filters.municipality)),
        ("intent", filters.intent and redact_text(filters.intent)),
        ("fallback", _yes_no(filters.fallback)),
        ("overdraget", _yes_no(filters.handed_over)),
        ("vurdering", filters.rating),
    ):
        if value:
            parts.append(f"{label}={value}")
    if next_page:
        parts.append("næste side")
    parts.append(f"{found} vist")
    return "; ".join(parts)


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
