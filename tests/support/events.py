"""Rasa tracker events as dicts, shaped as Rasa 3.x stores them in the ``events`` table (``data`` column).

For tests and benchmarks that write conversations straight into a tracker database
(:func:`muni_core.conversations.store.insert_conversation`). Every builder takes the event's Unix
time ``ts``; the keys come in the order Rasa writes them, so the stored JSON looks like Rasa's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

RULE_POLICY = "policy_0_RulePolicy"


def faq_selector(topic: str, confidence: float, ranking: Sequence[tuple[str, float]] = ()) -> dict[str, Any]:
    """The response selector's ``faq`` result for ``faq/<topic>``; ``ranking``: further (topic, confidence)."""
    key = f"faq/{topic}"
    return {
        "all_retrieval_intents": ["faq"],
        "faq": {
            "response": {
                "responses": None,
                "confidence": confidence,
                "intent_response_key": key,
                "utter_action": f"utter_{key}",
            },
            "ranking": [
                {"confidence": confidence, "intent_response_key": key},
                *({"confidence": share, "intent_response_key": f"faq/{other}"} for other, share in ranking),
            ],
        },
    }


def user(
    text: str,
    intent: str,
    ts: float,
    *,
    confidence: float = 0.9,
    channel: str = "web",
    municipality: str = "frederikshavn",
    voice: Mapping[str, Any] | None = None,
    entities: Mapping[str, str] | None = None,
    ranking: Sequence[Mapping[str, Any]] | None = None,
    faq: str | None = None,
    faq_confidence: float = 0.88,
    faq_ranking: Sequence[tuple[str, float]] = (),
    message_id: str | None = None,
) -> dict[str, Any]:
    """A citizen message: ``user`` event with its NLU result (``parse_data``) and the channel's metadata.

    ``voice``: the phone or browser-voice turn's figures (``metadata.voice``); ``entities``: name ->
    value; ``ranking``: the intent ranking (default: only ``intent``); ``faq``: the topic the response
    selector chose (``faq/<topic>``, with ``faq_confidence`` and ``faq_ranking``).
    """
    metadata: dict[str, Any] = {"municipality": municipality}
    if voice:
        metadata["voice"] = dict(voice)
    parse: dict[str, Any] = {
        "intent": {"name": intent, "confidence": confidence},
        "entities": [
            {"entity": name, "value": value, "start": 0, "end": 1, "extractor": "DIETClassifier"}
            for name, value in (entities or {}).items()
        ],
        "text": text,
    }
    if message_id is not None:
        parse["message_id"] = message_id
    parse["metadata"] = metadata
    parse["intent_ranking"] = list(ranking) if ranking is not None else [{"name": intent, "confidence": confidence}]
    if faq:
        parse["response_selector"] = faq_selector(faq, faq_confidence, faq_ranking)
    event: dict[str, Any] = {
        "event": "user",
        "timestamp": ts,
        "metadata": metadata,
        "text": text,
        "parse_data": parse,
        "input_channel": channel,
    }
    if message_id is not None:
        event["message_id"] = message_id
    return event


def bot(
    text: str | None,
    ts: float,
    buttons: Sequence[tuple[str, str]] | None = None,
    *,
    utter_action: str | None = None,
    custom: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An answer of the assistant: ``buttons`` as (title, payload); ``utter_action``: the response it came from."""
    data: dict[str, Any] = {
        "elements": None,
        "quick_replies": None,
        "buttons": [{"title": title, "payload": payload} for title, payload in buttons] if buttons else None,
        "attachments": None,
        "image": None,
        "custom": dict(custom) if custom is not None else None,
    }
    event: dict[str, Any] = {"event": "bot", "timestamp": ts}
    if utter_action:
        event["metadata"] = {"utter_action": utter_action}
    event.update({"text": text, "data": data})
    return event


def action(name: str, ts: float, confidence: float = 1.0, metadata: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An action the assistant ran (the rule policy chose it, except ``action_session_start``)."""
    event: dict[str, Any] = {
        "event": "action",
        "timestamp": ts,
        "name": name,
        "policy": RULE_POLICY if name != "action_session_start" else None,
        "confidence": confidence,
        "action_text": None,
        "hide_rule_turn": name != "action_listen",
    }
    if metadata is not None:
        event["metadata"] = dict(metadata)
    return event


def slot(name: str, value: Any, ts: float) -> dict[str, Any]:
    """A slot set to ``value``."""
    return {"event": "slot", "timestamp": ts, "name": name, "value": value}


def session_started(ts: float, metadata: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``session_started`` marker of a new session."""
    event: dict[str, Any] = {"event": "session_started", "timestamp": ts}
    if metadata is not None:
        event["metadata"] = dict(metadata)
    return event


def session_start(ts: float, metadata: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """How a conversation begins: ``action_session_start``, then ``session_started``."""
    return [action("action_session_start", ts, metadata=metadata), session_started(ts, metadata)]
