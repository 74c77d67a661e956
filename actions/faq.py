"""Answers to rules questions (retrieval intent ``faq/<topic>``) from the content base."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import TurnContext
from actions.labels import explicit_faq_topic, faq_topic_of
from actions.municipality_question import answer_needs_municipality, ask_first


class ActionAnswerFaq(Action):
    """Answer the FAQ topic the citizen asked about, in the municipality's words."""

    def name(self) -> str:
        """Action name used in rules."""
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Look up the topic (button choice first, then the response selector) and answer."""
        parse_data = tracker.latest_message or {}
        topic = explicit_faq_topic(parse_data) or faq_topic_of(parse_data)
        turn = TurnContext.of(tracker)
        if detour := ask_first(tracker, turn, self.name(), needed=answer_needs_municipality(turn, topic)):
            return detour
        answer = turn.content.answer(topic, turn.municipality) if topic else None
        if not answer:
            dispatcher.utter_message(response="utter_rephrase")
            return []
        dispatcher.utter_message(text=answer)
        return [SlotSet("last_topic", topic)]
