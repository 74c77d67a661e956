"""What happens when the assistant is unsure: a clarifying question, then a human.

A *miss* is a turn the assistant did not understand, whatever intent the classifier named:
``nlu_fallback``, any intent below the FallbackClassifier's threshold in bot/config.yml, or
``out_of_scope`` (where gibberish lands). The rules of bot/data/rules/fallback_handoff.yml offer
a person at the second miss in a row; :func:`is_miss` is the same definition for the actions.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.context import TurnContext
from actions.labels import FAQ_INTENT, topic_label
from muni_core.paths import BOT_DIR

MISS_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
DEFAULT_FALLBACK_THRESHOLD = 0.7

# Intents that never make sense as a "did you mean" choice.
NOT_SUGGESTED = frozenset(
    {"nlu_fallback", "greet", "goodbye", "thank", "affirm", "deny", "inform", "out_of_scope", "repeat"}
)
MAX_SUGGESTIONS = 3
MIN_SUGGESTION_CONFIDENCE = 0.05


@lru_cache(maxsize=1)
def fallback_threshold() -> float:
    """The FallbackClassifier's threshold in bot/config.yml (below it the classifier is unsure)."""
    try:
        config = yaml.safe_load((BOT_DIR / "config.yml").read_text(encoding="utf-8")) or {}
    except OSError:
        return DEFAULT_FALLBACK_THRESHOLD
    for component in config.get("pipeline") or []:
        if isinstance(component, dict) and component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", DEFAULT_FALLBACK_THRESHOLD))
    return DEFAULT_FALLBACK_THRESHOLD


def is_miss(parse_data: dict[str, Any] | None) -> bool:
    """True when the assistant did not understand the message, whatever intent the classifier named."""
    parse_data = parse_data or {}
    intent = parse_data.get("intent") or {}
    if intent.get("name") in MISS_INTENTS:
        return True
    if not intent.get("name") or str(parse_data.get("text") or "").startswith("/"):
        return False  # nothing classified, or a button's payload that says exactly what it means
    confidence = intent.get("confidence")
    return confidence is not None and float(confidence) < fallback_threshold()


def suggestions(parse_data: dict[str, Any]) -> list[tuple[str, float]]:
    """The most likely labels (``faq/<topic>`` or intent) with combined confidence, best first."""
    scored: dict[str, float] = {}
    faq_ranking = (((parse_data.get("response_selector") or {}).get(FAQ_INTENT) or {}).get("ranking")) or []
    for entry in parse_data.get("intent_ranking") or []:
        name, confidence = entry.get("name"), float(entry.get("confidence") or 0.0)
        if not name or name in NOT_SUGGESTED:
            continue
        if name == FAQ_INTENT:
            for faq_entry in faq_ranking:
                key = faq_entry.get("intent_response_key") or ""
                if key.startswith(f"{FAQ_INTENT}/"):
                    scored[key] = confidence * float(faq_entry.get("confidence") or 0.0)
        else:
            scored[name] = confidence
    ranked = sorted(scored.items(), key=lambda item: item[1], reverse=True)
    return [item for item in ranked if item[1] >= MIN_SUGGESTION_CONFIDENCE][:MAX_SUGGESTIONS]


def button_payload(label: str) -> str:
    """The payload that triggers ``label`` directly when the button is pressed."""
    if label.startswith(f"{FAQ_INTENT}/"):
        entities = json.dumps({"faq_topic": label.split("/", 1)[1]})
        return f"/{FAQ_INTENT}{entities}"
    return f"/{label}"


class ActionClarify(Action):
    """First miss: ask which of the 2-3 most likely topics the citizen means."""

    def name(self) -> str:
        """Action name used in rules."""
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Offer the likely topics as buttons, or ask to rephrase when nothing is likely."""
        turn = TurnContext.of(tracker)
        candidates = suggestions(tracker.latest_message or {})
        if not candidates:
            dispatcher.utter_message(response="utter_rephrase")
            return []
        buttons = [{"title": topic_label(label), "payload": button_payload(label)} for label, _ in candidates]
        dispatcher.utter_message(text=turn.message("clarify"), buttons=buttons)
        return []


class ActionOfferHandoff(Action):
    """Second miss in a row: offer a human instead of guessing again."""

    def name(self) -> str:
        """Action name used in rules."""
        return "action_offer_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Ask whether the citizen wants a caseworker, with yes/no buttons (on the web: how to reach one)."""
        turn = TurnContext.of(tracker)
        suffix = "" if turn.on_phone else "_web"
        buttons = [
            {"title": turn.message(f"offer_handoff_yes{suffix}"), "payload": "/human_handoff"},
            {"title": turn.message("offer_handoff_no"), "payload": "/deny"},
        ]
        dispatcher.utter_message(text=turn.message(f"offer_handoff{suffix}"), buttons=buttons)
        return []


class ActionCoreFallback(Action):
    """No rule applies to the conversation's state: apologise and undo the turn."""

    def name(self) -> str:
        """Configured as ``core_fallback_action_name`` of the RulePolicy."""
        return "action_core_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Say that the assistant cannot answer, and forget the message that led here."""
        dispatcher.utter_message(text=TurnContext.of(tracker).message("core_fallback"))
        return [UserUtteranceReverted()]
