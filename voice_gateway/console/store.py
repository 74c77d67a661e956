"""The console's queries on the conversation database (SQLAlchemy Core, synchronous: call them off the loop).

Everything here reads Rasa's ``events`` table and the ``muni_*`` tables of
:mod:`muni_core.conversations.schema`. User input only ever reaches SQL as bound parameters.

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
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from muni_core.conversations.index import recognised_intent, summarize
from muni_core.conversations.schema import (
    SQLITE_SEARCH_TABLE,
    audit_log,
    conversation_intents,
    conversations,
    rasa_events,
    voice_turns,
)
from muni_core.stats import percentile

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
CHANNELS = {"web": "Chat", "phone": "Telefon", "kiosk": "Kiosk", "browser": "Browser-tale", "rest": "API"}
"""Input channels as stored by Rasa, with the label the console shows."""
VOICE_CHANNELS = frozenset({"phone", "browser"})
RATINGS = {"yes": "yes", "ja": "yes", "no": "no", "nej": "no", "none": "none", "ingen": "none"}
"""Accepted rating filter values (English as stored, Danish as in the form) -> normalised value."""
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 16
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
INTENTS_PER_ROW = 3
WINDOW = 2000
"""SQLite: newest rows tried first for the intent and search filters (see :func:`list_conversations`)."""
SPARSE_WINDOW = 20
"""SQLite: a window whose ids spread over more than this many windows' worth is not worth searching in."""
COMMON_MATCHES = 5000
"""PostgreSQL: a search with at least this many matches is checked row by row (see :func:`list_conversations`)."""
ENCRYPTED_PREFIX = "enc:v1:"
HIDDEN = "[skjult]"
HIDDEN_ACTIONS = frozenset({"action_listen"})
_WORD = re.compile(r"[^\W_]+")
_CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_.:@+-]{1,255}$")
_LIST_COLUMNS = (
    conversations.c.id,
    conversations.c.conversation_id,
    conversations.c.municipality,
    conversations.c.channel,
    conversations.c.started_at,
    conversations.c.last_at,
    conversations.c.user_turns,
    conversations.c.fallback,
    conversations.c.handed_over,
    conversations.c.rating,
    conversations.c.first_message,
)


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


def day_start(day: date) -> float:
    """Unix time of midnight at the start of ``day`` in Europe/Copenhagen."""
    return datetime(day.year, day.month, day.day, tzinfo=COPENHAGEN).timestamp()


def local_time(timestamp: float | None) -> datetime | None:
    """A Unix time as an aware Europe/Copenhagen datetime."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(float(timestamp), COPENHAGEN)


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
    statement = (
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
) -> sa.ColumnElement[bool]:
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
) -> list[sa.ColumnElement[bool]]:
    """The intent and search conditions: per row (``windowed``) or driven by their own index."""
    selective: list[sa.ColumnElement[bool]] = []
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


def _fetch(connection: sa.Connection, conditions: Sequence[sa.ColumnElement[bool]], limit: int) -> list[dict]:
    statement = sa.select(*_LIST_COLUMNS).where(*conditions).order_by(*_ORDER).limit(limit)
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


# --- one conversation --------------------------------------------------------------------------------


def show_value(value: Any, limit: int = 200) -> str:
    """A slot value for display: encrypted values as ``[skjult]``, others compact and cut to ``limit``."""
    if isinstance(value, str):
        text = HIDDEN if value.startswith(ENCRYPTED_PREFIX) else value
    elif value is None:
        text = "–"
    else:
        text = json.dumps(hide_encrypted(value), ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def hide_encrypted(value: Any) -> Any:
    """``value`` with every encrypted string (``enc:v1:…``) replaced by ``[skjult]``, recursively."""
    if isinstance(value, str):
        return HIDDEN if value.startswith(ENCRYPTED_PREFIX) else value
    if isinstance(value, Mapping):
        return {key: hide_encrypted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [hide_encrypted(item) for item in value]
    return value


def conversation_summary(engine: sa.engine.Engine, conversation_id: str) -> dict[str, Any] | None:
    """The conversation's row of ``muni_conversations`` (without the transcript), or None."""
    statement = sa.select(*_LIST_COLUMNS).where(conversations.c.conversation_id == conversation_id)
    with engine.connect() as connection:
        row = connection.execute(statement).first()
    return dict(row._mapping) if row is not None else None


def conversation_events(engine: sa.engine.Engine, conversation_id: str) -> list[dict[str, Any]]:
    """The conversation's events in order: ``{"id": events.id, "event": <Rasa's event dict>}``."""
    statement = (
        sa.select(rasa_events.c.id, rasa_events.c.data)
        .where(rasa_events.c.sender_id == conversation_id)
        .order_by(rasa_events.c.id)
    )
    with engine.connect() as connection:
        try:
            rows = connection.execute(statement).all()
        except (sa.exc.OperationalError, sa.exc.ProgrammingError):  # no Rasa events table (yet)
            return []
    events = []
    for event_id, data in rows:
        try:
            event = json.loads(data) if data else {}
        except ValueError:
            event = {}
        events.append({"id": event_id, "event": event if isinstance(event, dict) else {}})
    return events


def voice_turns_of(engine: sa.engine.Engine, turn_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Rows of ``muni_voice_turns`` by turn id."""
    wanted = sorted({str(turn_id) for turn_id in turn_ids if turn_id})
    if not wanted:
        return {}
    with engine.connect() as connection:
        rows = connection.execute(sa.select(voice_turns).where(voice_turns.c.turn_id.in_(wanted)))
        return {row.turn_id: dict(row._mapping) for row in rows}


def _voice_of(event: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = event.get("metadata")
    voice = metadata.get("voice") if isinstance(metadata, Mapping) else None
    return voice if isinstance(voice, Mapping) else {}


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _user_turn(event_id: int, event: Mapping[str, Any], voice_rows: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    parse_data = event.get("parse_data") if isinstance(event.get("parse_data"), Mapping) else {}
    intent_data = parse_data.get("intent") if isinstance(parse_data.get("intent"), Mapping) else {}
    intent = recognised_intent(parse_data)
    base = intent_data.get("name")
    selector = (parse_data.get("response_selector") or {}).get(base) if base else None
    response = (selector or {}).get("response") if isinstance(selector, Mapping) else None
    entities = [
        {"entity": str(item.get("entity")), "value": show_value(item.get("value"), 100)}
        for item in parse_data.get("entities") or []
        if isinstance(item, Mapping)
    ]
    turn: dict[str, Any] = {
        "event_id": event_id,
        "timestamp": _number(event.get("timestamp")),
        "text": str(event.get("text") or ""),
        "channel": event.get("input_channel"),
        "intent": intent,
        "intent_base": base,
        "confidence": _number(intent_data.get("confidence")),
        "selector_confidence": _number((response or {}).get("confidence")) if isinstance(response, Mapping) else None,
        "entities": entities,
        "voice": None,
        "actions": [],
        "answers": [],
        "slots": [],
        "other": [],
    }
    voice = _voice_of(event)
    if voice and event.get("input_channel") in VOICE_CHANNELS:
        row = voice_rows.get(str(voice.get("turn_id"))) or {}
        turn["voice"] = {
            "turn_id": voice.get("turn_id"),
            "confidence": _number(voice.get("confidence")) or _number(row.get("transcript_confidence")),
            "voice_to_voice_ms": _number(row.get("voice_to_voice_ms")),
            "stt_ms": _number(row.get("stt_ms")) or _number(voice.get("stt_ms")),
            "dialogue_ms": _number(row.get("dialogue_ms")),
            "tts_first_ms": _number(row.get("tts_first_ms")),
        }
    return turn


def conversation_turns(
    events: Sequence[Mapping[str, Any]], voice_rows: Mapping[str, Mapping[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The events grouped into turns: each citizen message with what the assistant did after it.

    The first turn has ``event_id`` None when the assistant acted before the citizen said anything.
    """
    voice_rows = voice_rows or {}
    turns: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for item in events:
        event_id, event = item["id"], item["event"]
        kind = event.get("event")
        if kind == "user":
            current = _user_turn(event_id, event, voice_rows)
            current["number"] = sum(1 for turn in turns if turn["event_id"] is not None) + 1
            turns.append(current)
            continue
        if current is None:
            current = {
                "event_id": None,
                "number": 0,
                "text": None,
                "actions": [],
                "answers": [],
                "slots": [],
                "other": [],
            }
            turns.append(current)
        if kind == "action":
            name = str(event.get("name") or "")
            if name and name not in HIDDEN_ACTIONS:
                current["actions"].append(name)
        elif kind == "bot":
            data = event.get("data") if isinstance(event.get("data"), Mapping) else {}
            buttons = [
                {"title": str(button.get("title") or ""), "payload": str(button.get("payload") or "")}
                for button in data.get("buttons") or []
                if isinstance(button, Mapping)
            ]
            current["answers"].append({"text": str(event.get("text") or ""), "buttons": buttons})
        elif kind == "slot":
            current["slots"].append({"name": str(event.get("name") or ""), "value": show_value(event.get("value"))})
        elif kind == "active_loop":
            current["other"].append(f"skema: {event.get('name') or 'slut'}")
        elif kind in {"session_started", "restart", "user_featurization", "action_execution_rejected"}:
            current["other"].append(str(kind))
    return turns


def _summary_from_events(conversation_id: str, events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The header of a conversation whose events have no index row yet, folded as the index would be."""
    summary, _ = summarize(conversation_id, [item["event"] for item in events])
    return {"id": None, **{column.name: summary[column.name] for column in _LIST_COLUMNS if column.name != "id"}}


def load_conversation(engine: sa.engine.Engine, conversation_id: str) -> dict[str, Any] | None:
    """Summary, events and turns of a conversation (None if it is unknown)."""
    summary = conversation_summary(engine, conversation_id)
    events = conversation_events(engine, conversation_id)
    if summary is None and not events:
        return None
    if summary is None:  # events stored, index not (yet) written: the header comes from the events
        summary = _summary_from_events(conversation_id, events)
    turn_ids = [_voice_of(item["event"]).get("turn_id") for item in events if item["event"].get("event") == "user"]
    voice_rows = voice_turns_of(engine, [str(turn_id) for turn_id in turn_ids if turn_id])
    return {
        "conversation_id": conversation_id,
        "summary": summary,
        "events": events,
        "turns": conversation_turns(events, voice_rows),
        "voice_turns": voice_rows,
    }


def export_document(conversation: Mapping[str, Any]) -> dict[str, Any]:
    """The conversation as a JSON-able document (encrypted slot values hidden)."""
    summary = dict(conversation.get("summary") or {})
    for key in ("fallback", "handed_over"):
        if key in summary:
            summary[key] = bool(summary[key])
    summary.pop("id", None)
    return {
        "conversation_id": conversation["conversation_id"],
        "exported_at": time.time(),
        "summary": summary,
        "events": [{"id": item["id"], **hide_encrypted(item["event"])} for item in conversation["events"]],
        "voice_turns": [
            {key: value for key, value in row.items() if key != "id"}
            for row in conversation.get("voice_turns", {}).values()
        ],
    }


def user_event(engine: sa.engine.Engine, conversation_id: str, event_id: int) -> dict[str, Any] | None:
    """A citizen message of the conversation by ``events.id``: text and recognised intent (None if not there)."""
    statement = sa.select(rasa_events.c.data).where(
        rasa_events.c.id == event_id, rasa_events.c.sender_id == conversation_id
    )
    with engine.connect() as connection:
        try:
            row = connection.execute(statement).first()
        except (sa.exc.OperationalError, sa.exc.ProgrammingError):
            return None
    if row is None:
        return None
    try:
        event = json.loads(row[0] or "{}")
    except ValueError:
        return None
    if not isinstance(event, dict) or event.get("event") != "user":
        return None
    return {
        "event_id": event_id,
        "text": str(event.get("text") or ""),
        "intent": recognised_intent(event.get("parse_data")),
    }


# --- audit log ---------------------------------------------------------------------------------------


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


# --- dashboard ---------------------------------------------------------------------------------------


PERCENTILES = (("p50", 0.5), ("p90", 0.9), ("p95", 0.95))


def _latency(connection: sa.Connection, column: sa.Column, since: float, dialect: str) -> dict[str, Any]:
    where = (voice_turns.c.created_at >= since, column.is_not(None))
    if dialect == "postgresql":
        aggregates = [sa.func.count(column)] + [
            sa.func.percentile_cont(fraction).within_group(column) for _, fraction in PERCENTILES
        ]
        row = connection.execute(sa.select(*aggregates).where(*where)).one()
        result: dict[str, Any] = {"count": int(row[0] or 0)}
        for (name, _), value in zip(PERCENTILES, row[1:], strict=True):
            result[name] = float(value) if value is not None else None
        return result
    values = [float(value) for (value,) in connection.execute(sa.select(column).where(*where).order_by(column))]
    result = {"count": len(values)}
    for name, fraction in PERCENTILES:
        result[name] = percentile(values, fraction)
    return result


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def dashboard_stats(engine: sa.engine.Engine, days: int, now: float | None = None) -> dict[str, Any]:
    """Figures of the last ``days`` days (today included, Europe/Copenhagen), by conversation start.

    Keys: days (list of dates), channels, per_day ({channel: [count per day]}), total, handed_over,
    fallback, containment and fallback_rate (fractions or None), top_intents and top_faq
    (lists of (intent, conversations)), voice and stt (count, p50, p90, p95 in ms).
    """
    now = time.time() if now is None else now
    today = datetime.fromtimestamp(now, COPENHAGEN).date()
    first_day = today - timedelta(days=days - 1)
    day_list = [first_day + timedelta(days=offset) for offset in range(days)]
    since = day_start(first_day)
    dialect = engine.dialect.name
    hours = (conversations.c.started_at - since) / 3600.0
    bucket = sa.func.floor(hours) if dialect == "postgresql" else sa.cast(hours, sa.Integer)
    in_period = conversations.c.started_at >= since
    per_day: dict[str, list[int]] = {}
    index_of = {day: position for position, day in enumerate(day_list)}
    handed = sa.func.sum(sa.case((conversations.c.handed_over == sa.true(), 1), else_=0))
    fell_back = sa.func.sum(sa.case((conversations.c.fallback == sa.true(), 1), else_=0))
    total = handed_over = fallback = 0
    with engine.connect() as connection:
        buckets = connection.execute(
            sa.select(bucket.label("bucket"), conversations.c.channel, sa.func.count(), handed, fell_back)
            .where(in_period)
            .group_by(sa.literal_column("bucket"), conversations.c.channel)
        )
        for hour, channel, count, bucket_handed, bucket_fallback in buckets:
            total += int(count)
            handed_over += int(bucket_handed or 0)
            fallback += int(bucket_fallback or 0)
            day = datetime.fromtimestamp(since + int(hour) * 3600, COPENHAGEN).date()
            if day in index_of:
                series = per_day.setdefault(channel or "ukendt", [0] * days)
                series[index_of[day]] += int(count)
        count = sa.func.count().label("n")
        statement = sa.select(conversation_intents.c.intent, count).group_by(conversation_intents.c.intent)
        oldest = connection.execute(sa.select(sa.func.min(conversations.c.started_at))).scalar()
        if oldest is not None and oldest < since:  # only then is the join needed
            statement = statement.select_from(
                conversation_intents.join(
                    conversations, conversations.c.conversation_id == conversation_intents.c.conversation_id
                )
            ).where(in_period)
        ranked = sorted(((intent, int(n)) for intent, n in connection.execute(statement)), key=lambda x: (-x[1], x[0]))
        top_intents = [item for item in ranked if not item[0].startswith("faq/")][:10]
        top_faq = [item for item in ranked if item[0].startswith("faq/")][:10]
        voice = _latency(connection, voice_turns.c.voice_to_voice_ms, since, dialect)
        stt = _latency(connection, voice_turns.c.stt_ms, since, dialect)
    order = [channel for channel in CHANNELS if channel in per_day] + sorted(set(per_day) - set(CHANNELS))
    return {
        "days": day_list,
        "since": since,
        "channels": order,
        "per_day": {channel: per_day[channel] for channel in order},
        "total": total,
        "handed_over": handed_over,
        "fallback": fallback,
        "containment": _share(total - handed_over, total),
        "fallback_rate": _share(fallback, total),
        "top_intents": top_intents,
        "top_faq": top_faq,
        "voice": voice,
        "stt": stt,
    }
