"""The conversation list: filters, free-text search and keyset paging (SQLAlchemy Core, synchronous).

Everything here reads the ``muni_*`` tables of :mod:`muni_core.conversations.schema`. User input only
ever reaches SQL as bound parameters.

The list (:func:`list_conversations`) pages by keyset on ``(last_at DESC, id DESC)`` with an opaque
cursor, so that page 2,000 costs as little as page 1 on 100,000 conversations; it never counts
all matching rows. Free text uses SQLite's FTS5 table or PostgreSQL's ``to_tsvector('danish', …)``
GIN index, with every word of the query as a prefix term.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from muni_core.console.common import CHANNELS, PAGE_SIZE, SUMMARY_COLUMNS, day_start
from muni_core.conversations.schema import SQLITE_SEARCH_TABLE, conversation_intents, conversations

RATINGS = {"yes": "yes", "ja": "yes", "no": "no", "nej": "no", "none": "none", "ingen": "none"}
"""Accepted rating filter values (English as stored, Danish as in the form) -> normalised value."""
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 16
MAX_PAGE_SIZE = 500
INTENTS_PER_ROW = 3
WINDOW = 2000
"""SQLite: newest rows tried first for the intent and search filters (see :func:`list_conversations`)."""
SPARSE_WINDOW = 20
"""SQLite: a window whose ids spread over more than this many windows' worth is not worth searching in."""
COMMON_MATCHES = 5000
"""PostgreSQL: a search with at least this many matches is checked row by row (see :func:`list_conversations`)."""
_WORD = re.compile(r"[^\W_]+")
_CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_.:@+-]{1,255}$")

Condition = sa.ColumnElement[bool] | sa.TextClause
"""A WHERE condition: an expression, or literal SQL for the search operators SQLAlchemy does not model."""


class InvalidFilter(ValueError):
    """A filter value the console does not accept (the message is Danish, for the user)."""


class InvalidCursor(InvalidFilter):
    """A paging cursor that this console did not hand out."""


@dataclass(frozen=True)
class ConversationFilter:
    """What the conversation list is narrowed to; ``None`` means "any"."""

    date_from: date | None = None
    """First day (Europe/Copenhagen) of the conversation's last activity."""
    date_to: date | None = None
    """Last day (inclusive, Europe/Copenhagen) of the conversation's last activity."""
    channel: str | None = None
    municipality: str | None = None
    intent: str | None = None
    fallback: bool | None = None
    handed_over: bool | None = None
    rating: str | None = None
    """``yes``/``ja``, ``no``/``nej`` or ``none``/``ingen`` (not rated)."""
    query: str | None = None
    """Free text (words are matched as prefixes) or a conversation id."""


# --- cursor ------------------------------------------------------------------------------------------


def encode_cursor(last_at: float, row_id: int) -> str:
    """The opaque cursor for "the rows after this one"."""
    raw = json.dumps([float(last_at), int(row_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, int]:
    """``(last_at, id)`` of a cursor from :func:`encode_cursor`; :class:`InvalidCursor` otherwise."""
    if not cursor or len(cursor) > 100:
        raise InvalidCursor("Ugyldig sidemarkør.")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        last_at, row_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as error:
        raise InvalidCursor("Ugyldig sidemarkør.") from error
    if (
        not isinstance(last_at, int | float)
        or isinstance(last_at, bool)
        or not math.isfinite(last_at)
        or not isinstance(row_id, int)
        or isinstance(row_id, bool)
        or not 0 <= row_id < 2**63
    ):
        raise InvalidCursor("Ugyldig sidemarkør.")
    return float(last_at), row_id


# --- search ------------------------------------------------------------------------------------------


def query_words(query: str) -> list[str]:
    """The words of a search (letters and digits only, at most 16), as both search engines tokenise them."""
    return [word.lower() for word in _WORD.findall(query[:MAX_QUERY_CHARS])[:MAX_QUERY_WORDS]]


def sqlite_match_expression(words: Sequence[str]) -> str:
    """An FTS5 MATCH expression: every word a quoted prefix term (``"ord"*``), all required."""
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


def postgres_tsquery(words: Sequence[str]) -> str:
    """A ``to_tsquery`` text: every word a prefix term (``ord:*``), all required."""
    return " & ".join(f"{word}:*" for word in words)


def _sqlite_search_ids(words: Sequence[str], id_range: tuple[int, int] | None) -> sa.Select:
    """``SELECT rowid FROM muni_conversation_search WHERE … MATCH :search_match`` (optionally within an id range)."""
    statement: sa.Select = (
        sa.select(sa.literal_column("rowid").label("id"))
        .select_from(sa.table(SQLITE_SEARCH_TABLE))
        .where(
            sa.text(f"{SQLITE_SEARCH_TABLE} MATCH :search_match").bindparams(
                search_match=sqlite_match_expression(words)
            )
        )
    )
    if id_range is not None:
        statement = statement.where(sa.literal_column("rowid").between(id_range[0], id_range[1]))
    return statement


_POSTGRES_MATCH = "muni_conversations.search_vector @@ to_tsquery('danish', :search_tsq)"
"""The stored ``to_tsvector('danish', transcript)`` column (GIN-indexed) of :mod:`muni_core.conversations.schema`."""


def _postgres_match(words: Sequence[str]) -> sa.TextClause:
    return sa.text(_POSTGRES_MATCH).bindparams(search_tsq=postgres_tsquery(words))


def postgres_match_count(connection: sa.Connection, query: str, cap: int) -> int:
    """How many conversations have every word of ``query`` (counted up to ``cap``, through the GIN index)."""
    words = query_words(query)
    if not words:
        return 0
    matching = sa.select(sa.literal(1)).select_from(conversations).where(_postgres_match(words)).limit(cap)
    return connection.execute(sa.select(sa.func.count()).select_from(matching.subquery())).scalar_one()


def _search_condition(
    dialect: str, query: str, id_range: tuple[int, int] | None = None, common: bool = False
) -> Condition:
    """Rows whose transcript has every word of ``query`` (as prefixes), or whose conversation id is ``query``.

    On PostgreSQL, ``common`` words are checked row by row along the list's order (a page fills up
    quickly); otherwise the GIN index finds the matching rows first (and only they are sorted).
    """
    words = query_words(query)
    stripped = query.strip()
    by_id = conversations.c.conversation_id == stripped if _CONVERSATION_ID.match(stripped) else None
    if dialect == "sqlite":
        conditions: list[sa.ColumnElement[bool]] = []
        if words:
            conditions.append(conversations.c.id.in_(_sqlite_search_ids(words, id_range)))
        if by_id is not None:
            conditions.append(by_id)
        return sa.or_(*conditions) if conditions else sa.false()
    if not words:
        return by_id if by_id is not None else sa.false()
    tsquery = postgres_tsquery(words)
    if common:
        row_by_row = sa.text(f"({_POSTGRES_MATCH}) IS TRUE").bindparams(search_tsq=tsquery)
        return sa.or_(row_by_row, by_id) if by_id is not None else row_by_row
    found = conversations.alias("found")
    found_match = sa.text(_POSTGRES_MATCH.replace("muni_conversations.", "found.")).bindparams(search_tsq=tsquery)
    condition = found_match if by_id is None else sa.or_(found_match, found.c.conversation_id == stripped)
    indexed = sa.select(found.c.id).where(condition).offset(0)  # OFFSET 0: the GIN bitmap runs once, unflattened
    return conversations.c.id.in_(indexed)


# --- list --------------------------------------------------------------------------------------------


def _plain_conditions(filters: ConversationFilter) -> list[sa.ColumnElement[bool]]:
    """Conditions on the columns of ``muni_conversations`` itself; validates every filter value."""
    plain: list[sa.ColumnElement[bool]] = []
    if filters.date_from is not None and filters.date_to is not None and filters.date_to < filters.date_from:
        raise InvalidFilter("Slutdatoen ligger før startdatoen.")
    if filters.date_from is not None:
        plain.append(conversations.c.last_at >= day_start(filters.date_from))
    if filters.date_to is not None:
        plain.append(conversations.c.last_at < day_start(filters.date_to + timedelta(days=1)))
    if filters.channel:
        if filters.channel not in CHANNELS:
            raise InvalidFilter("Ukendt kanal.")
        plain.append(conversations.c.channel == filters.channel)
    if filters.municipality:
        plain.append(conversations.c.municipality == filters.municipality[:64])
    for column, wanted in (
        (conversations.c.fallback, filters.fallback),
        (conversations.c.handed_over, filters.handed_over),
    ):
        if wanted is not None:
            plain.append(column == (sa.true() if wanted else sa.false()))
    if filters.rating:
        rating = RATINGS.get(filters.rating.lower())
        if rating is None:
            raise InvalidFilter("Ukendt vurdering (brug ja, nej eller ingen).")
        plain.append(conversations.c.rating.is_(None) if rating == "none" else conversations.c.rating == rating)
    if filters.query is not None and len(filters.query) > MAX_QUERY_CHARS:
        raise InvalidFilter(f"Søgeteksten må højst være {MAX_QUERY_CHARS} tegn.")
    return plain


def _selective_conditions(
    dialect: str,
    filters: ConversationFilter,
    *,
    windowed: bool,
    id_range: tuple[int, int] | None = None,
    common_words: bool = False,
) -> list[Condition]:
    """The intent and search conditions: per row (``windowed``) or driven by their own index."""
    selective: list[Condition] = []
    if filters.intent:
        intent = filters.intent[:128]
        if windowed:
            selective.append(
                sa.exists().where(
                    conversation_intents.c.conversation_id == conversations.c.conversation_id,
                    conversation_intents.c.intent == intent,
                )
            )
        else:
            selective.append(
                conversations.c.conversation_id.in_(
                    sa.select(conversation_intents.c.conversation_id).where(conversation_intents.c.intent == intent)
                )
            )
    if filters.query is not None and filters.query.strip():
        selective.append(_search_condition(dialect, filters.query, id_range, common_words))
    return selective


def _intents_of(connection: sa.Connection, conversation_ids: Sequence[str]) -> dict[str, list[str]]:
    if not conversation_ids:
        return {}
    rows = connection.execute(
        sa.select(conversation_intents.c.conversation_id, conversation_intents.c.intent)
        .where(conversation_intents.c.conversation_id.in_(list(conversation_ids)))
        .order_by(
            conversation_intents.c.conversation_id,
            conversation_intents.c.turns.desc(),
            conversation_intents.c.intent,
        )
    )
    found: dict[str, list[str]] = {}
    for conversation_id, intent in rows:
        found.setdefault(conversation_id, []).append(intent)
    return found


_ORDER = (conversations.c.last_at.desc(), conversations.c.id.desc())


def _fetch(connection: sa.Connection, conditions: Sequence[Condition], limit: int) -> list[dict]:
    statement = sa.select(*SUMMARY_COLUMNS).where(*conditions).order_by(*_ORDER).limit(limit)
    return [dict(row._mapping) for row in connection.execute(statement)]


def _fetch_windowed(
    connection: sa.Connection, filters: ConversationFilter, plain: list[sa.ColumnElement[bool]], limit: int
) -> list[dict] | None:
    """The page from the newest :data:`WINDOW` rows that pass ``plain``; None if the window cannot tell."""
    window = sa.select(conversations.c.id).where(*plain).order_by(*_ORDER).limit(WINDOW).subquery()
    low, high, size = connection.execute(
        sa.select(sa.func.min(window.c.id), sa.func.max(window.c.id), sa.func.count()).select_from(window)
    ).one()
    if not size:
        return []
    if filters.query and size < WINDOW and int(high) - int(low) > SPARSE_WINDOW * WINDOW:
        return None  # few rows spread over the whole table: a search over the id range would not be narrower
    selective = _selective_conditions("sqlite", filters, windowed=True, id_range=(int(low), int(high)))
    rows = _fetch(connection, [conversations.c.id.in_(sa.select(window.c.id)), *selective], limit)
    if len(rows) < limit and size >= WINDOW:
        return None  # too few matches among the newest rows: let the intent or search index drive
    return rows


def list_conversations(
    engine: sa.engine.Engine, filters: ConversationFilter, after: str | None, limit: int = PAGE_SIZE
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of conversations, newest activity first, and the cursor of the next page (None on the last).

    Each row: id, conversation_id, municipality, channel, started_at, last_at, user_turns, fallback,
    handed_over, rating, first_message (already redacted) and ``intents`` (the most frequent few).
    Raises :class:`InvalidFilter` (or :class:`InvalidCursor`) with a Danish message for bad input.

    Paging is by keyset on ``(last_at, id)``, so every page costs about the same. On SQLite the intent
    and search filters are first tried on the newest :data:`WINDOW` rows that pass the other filters
    (walking the ``last_at`` index; common words and intents are found there); only when that window
    holds too few matches does the intent or search index drive the query. On PostgreSQL the planner
    chooses for the intent filter; for search, the GIN index first counts the matches (up to
    :data:`COMMON_MATCHES`): rare words are then fetched through the index, common ones checked row by
    row along the list's order. Either way the page is exactly the first ``limit`` matching rows after
    the cursor.
    """
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    dialect = engine.dialect.name
    plain = _plain_conditions(filters)
    if after:
        last_at, row_id = decode_cursor(after)
        plain.append(sa.tuple_(conversations.c.last_at, conversations.c.id) < sa.tuple_(last_at, row_id))
    with engine.connect() as connection:
        rows: list[dict[str, Any]] | None = None
        common = (
            dialect == "postgresql"
            and bool(filters.query and filters.query.strip())
            and postgres_match_count(connection, filters.query or "", COMMON_MATCHES) >= COMMON_MATCHES
        )
        if common:  # the planner underestimates common words; walk the order's index instead of sorting
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            connection.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
        selective = _selective_conditions(dialect, filters, windowed=False, common_words=common)
        if selective and dialect == "sqlite":
            rows = _fetch_windowed(connection, filters, plain, limit + 1)
        if rows is None:
            rows = _fetch(connection, [*plain, *selective], limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        intents = _intents_of(connection, [row["conversation_id"] for row in rows])
    for row in rows:
        row["fallback"] = bool(row["fallback"])
        row["handed_over"] = bool(row["handed_over"])
        row["intents"] = intents.get(row["conversation_id"], [])[:INTENTS_PER_ROW]
    next_cursor = encode_cursor(rows[-1]["last_at"], rows[-1]["id"]) if more and rows else None
    return rows, next_cursor


def distinct_municipalities(engine: sa.engine.Engine) -> list[str]:
    """Municipalities that occur in the conversations (for the filter's select)."""
    statement = (
        sa.select(conversations.c.municipality)
        .where(conversations.c.municipality.is_not(None))
        .distinct()
        .order_by(conversations.c.municipality)
    )
    with engine.connect() as connection:
        return [value for (value,) in connection.execute(statement)]


def distinct_intents(engine: sa.engine.Engine) -> list[str]:
    """Intents that occur in the conversations (``faq/<topic>`` for rules questions)."""
    statement = sa.select(conversation_intents.c.intent).distinct().order_by(conversation_intents.c.intent)
    with engine.connect() as connection:
        return [value for (value,) in connection.execute(statement)]
