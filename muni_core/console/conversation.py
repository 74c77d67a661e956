"""One conversation for the console: its header, events grouped into turns, the voice figures, the export.

The events are Rasa's (``events`` table), already redacted by the tracker store; encrypted slot
values (``enc:v1:…``) are never shown, only ``[skjult]``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from muni_core.console.common import SUMMARY_COLUMNS, VOICE_CHANNELS
from muni_core.conversations.index import recognised_intent, summarize
from muni_core.conversations.schema import ENCRYPTED_PREFIX, conversations, rasa_events, voice_turns

HIDDEN = "[skjult]"
HIDDEN_ACTIONS = frozenset({"action_listen"})


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
    statement = sa.select(*SUMMARY_COLUMNS).where(conversations.c.conversation_id == conversation_id)
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
    raw_parse_data = event.get("parse_data")
    parse_data: Mapping[str, Any] = raw_parse_data if isinstance(raw_parse_data, Mapping) else {}
    raw_intent = parse_data.get("intent")
    intent_data: Mapping[str, Any] = raw_intent if isinstance(raw_intent, Mapping) else {}
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
    return {"id": None, **{column.name: summary[column.name] for column in SUMMARY_COLUMNS if column.name != "id"}}


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
