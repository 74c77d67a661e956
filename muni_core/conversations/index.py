"""Keep ``muni_conversations`` and ``muni_conversation_intents`` in step with Rasa's events.

:func:`index_events` is called by the tracker store in the same transaction that stores the
(already redacted) events, so the console's list never disagrees with the conversation itself.
:func:`rebuild` indexes an existing ``events`` table from scratch
(``python -m muni_core.conversations.index --url sqlite:///var/rasa_tracker.db``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from muni_core.conversations.schema import conversation_intents, conversations, create_schema

FALLBACK_INTENTS = frozenset({"nlu_fallback"})
FALLBACK_ACTIONS = frozenset(
    {"action_core_fallback", "action_offer_handoff", "action_default_fallback", "action_clarify", "utter_rephrase"}
)
HANDOFF_ACTIONS = frozenset({"action_handoff"})
MAX_TRANSCRIPT_CHARS = 20_000
FIRST_MESSAGE_CHARS = 200


def recognised_intent(parse_data: Mapping[str, Any] | None) -> str | None:
    """The intent of a user message as the console names it (``faq/pas`` for rules questions)."""
    if not parse_data:
        return None
    intent = (parse_data.get("intent") or {}).get("name")
    if intent and "/" not in intent:
        selector = (parse_data.get("response_selector") or {}).get(intent) or {}
        full = (selector.get("response") or {}).get("intent_response_key")
        if full:
            return str(full)
    return str(intent) if intent else None


def _summary_row(connection: sa.engine.Connection, conversation_id: str) -> dict[str, Any] | None:
    row = connection.execute(sa.select(conversations).where(conversations.c.conversation_id == conversation_id)).first()
    return dict(row._mapping) if row is not None else None


def summarize(
    conversation_id: str, events: Iterable[Mapping[str, Any]], row: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, int]]:
    """Fold events into a conversation's ``muni_conversations`` row (a new one, or ``row`` so far).

    Returns the row and how many user turns each intent had among ``events``. No database involved:
    the console also uses it for the header of a conversation that has events but no index row.
    """
    events = list(events)
    if row is None:
        first_ts = float(events[0].get("timestamp") or 0.0) if events else 0.0
        summary: dict[str, Any] = {
            "conversation_id": conversation_id,
            "municipality": None,
            "channel": None,
            "started_at": first_ts,
            "last_at": first_ts,
            "user_turns": 0,
            "fallback": False,
            "handed_over": False,
            "rating": None,
            "first_message": None,
            "transcript": "",
        }
    else:
        summary = dict(row)
    texts: list[str] = []
    intent_counts: dict[str, int] = {}
    for event in events:
        kind = event.get("event")
        timestamp = event.get("timestamp")
        if isinstance(timestamp, int | float):
            summary["last_at"] = max(float(summary["last_at"]), float(timestamp))
            summary["started_at"] = min(float(summary["started_at"]), float(timestamp))
        if kind == "user":
            text = str(event.get("text") or "")
            summary["user_turns"] += 1
            if not summary["channel"] and event.get("input_channel"):
                summary["channel"] = str(event["input_channel"])[:32]
            metadata = event.get("metadata") or {}
            if not summary["municipality"] and isinstance(metadata, Mapping) and metadata.get("municipality"):
                summary["municipality"] = str(metadata["municipality"])[:64]
            if summary["first_message"] is None and text and not text.startswith("/"):
                summary["first_message"] = text[:FIRST_MESSAGE_CHARS]
            intent = recognised_intent(event.get("parse_data"))
            if intent:
                intent_counts[intent] = intent_counts.get(intent, 0) + 1
                if intent in FALLBACK_INTENTS:
                    summary["fallback"] = True
            if text:
                texts.append(text)
        elif kind == "bot":
            if event.get("text"):
                texts.append(str(event["text"]))
        elif kind == "action":
            name = event.get("name")
            if name in FALLBACK_ACTIONS:
                summary["fallback"] = True
            if name in HANDOFF_ACTIONS:
                summary["handed_over"] = True
        elif kind == "slot":
            if event.get("name") == "municipality" and event.get("value"):
                summary["municipality"] = str(event["value"])[:64]
            elif event.get("name") == "citizen_rating":
                value = event.get("value")
                summary["rating"] = str(value)[:8] if value else None
    if texts:
        joined = "\n".join([summary["transcript"], *texts]) if summary["transcript"] else "\n".join(texts)
        summary["transcript"] = joined[:MAX_TRANSCRIPT_CHARS]
    return summary, intent_counts


def index_events(connection: sa.engine.Connection, conversation_id: str, events: Iterable[Mapping[str, Any]]) -> None:
    """Fold newly stored events (dicts as Rasa serialises them) into the conversation's summary."""
    events = list(events)
    if not events:
        return
    row = _summary_row(connection, conversation_id)
    summary, intent_counts = summarize(conversation_id, events, row)
    values = {key: value for key, value in summary.items() if key != "id"}
    if row is None:
        connection.execute(sa.insert(conversations).values(**values))
    else:
        connection.execute(
            sa.update(conversations).where(conversations.c.conversation_id == conversation_id).values(**values)
        )
    for intent, count in intent_counts.items():
        key = (conversation_intents.c.conversation_id == conversation_id) & (conversation_intents.c.intent == intent)
        updated = connection.execute(
            sa.update(conversation_intents).where(key).values(turns=conversation_intents.c.turns + count)
        ).rowcount
        if not updated:
            connection.execute(
                sa.insert(conversation_intents).values(conversation_id=conversation_id, intent=intent, turns=count)
            )


def rebuild(url: str) -> int:
    """Index every conversation of Rasa's ``events`` table again; returns how many were indexed."""
    engine = sa.create_engine(url)
    try:
        create_schema(engine)
        if not sa.inspect(engine).has_table("events"):
            return 0
        events = sa.Table("events", sa.MetaData(), autoload_with=engine)
        with engine.begin() as connection:
            connection.execute(sa.delete(conversation_intents))
            connection.execute(sa.delete(conversations))
            senders = [row[0] for row in connection.execute(sa.select(events.c.sender_id).distinct())]
            for sender in senders:
                rows = connection.execute(
                    sa.select(events.c.data).where(events.c.sender_id == sender).order_by(events.c.id)
                )
                index_events(connection, sender, (json.loads(data) for (data,) in rows))
        return len(senders)
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    """Command line: rebuild the index of a tracker database."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of the tracker store")
    args = parser.parse_args(argv)
    print(json.dumps({"indexed_conversations": rebuild(args.url)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
