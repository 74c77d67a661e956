"""Writing whole conversations straight into the tracker database (benchmarks, tests, imports).

The running assistant never uses this: Rasa's tracker store writes events one save at a time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from muni_core.conversations.index import index_events
from muni_core.conversations.schema import rasa_events


def event_row(conversation_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
    """One row of Rasa's ``events`` table for an event dict, with the columns Rasa fills."""
    kind = event.get("event")
    return {
        "sender_id": conversation_id,
        "type_name": kind,
        "timestamp": event.get("timestamp"),
        "intent_name": ((event.get("parse_data") or {}).get("intent") or {}).get("name") if kind == "user" else None,
        "action_name": event.get("name") if kind == "action" else None,
        "data": json.dumps(event, ensure_ascii=False),
    }


def insert_conversation(
    connection: sa.engine.Connection, conversation_id: str, events: Sequence[Mapping[str, Any]]
) -> None:
    """Store a conversation's events as Rasa would, and index it for the console."""
    if not events:
        return
    connection.execute(sa.insert(rasa_events), [event_row(conversation_id, event) for event in events])
    index_events(connection, conversation_id, events)
