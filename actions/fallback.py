"""What happens when the assistant is unsure: a clarifying question, then a human."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.context import TurnContext
from actions.labels import FAQ_INTENT, topic_label

# Intents that never make sense as a "did you mean" choice.
NOT_SUGGESTED = frozenset(
    {"nlu_fallback", "greet", "goodbye", "thank", "affirm", "deny", "inform", "out_of_scope", "repeat"}
)
MAX_SUGGESTIONS = 3
MIN_SUGGESTION_CONFIDENCE = 0.05


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
        """Ask whether the citizen wants a caseworker, with yes/no buttons."""
        turn = TurnContext.of(tracker)
        buttons = [
            {"title": turn.message("offer_handoff_yes"), "payload": "/human_handoff"},
            {"title": turn.message("offer_handoff_no"), "payload": "/deny"},
        ]
        dispatcher.utter_message(text=turn.message("offer_handoff"), buttons=buttons)
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
