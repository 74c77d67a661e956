"""Saying the last answer again ("hvad sagde du?"), which matters most on the phone."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.booking_parsing import spoken_phone
from actions.booking_slots import NAME, PHONE
from actions.context import TurnContext
from muni_core.redaction import NAME_PLACEHOLDER, PHONE_PLACEHOLDER


def last_bot_answer(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bot messages of the most recent answered turn before the latest user message."""
    collected: list[dict[str, Any]] = []
    seen_latest_user = False
    for event in reversed(events):
        kind = event.get("event")
        if kind == "user":
            if not seen_latest_user:
                seen_latest_user = True
                continue
            if collected:
                break
        elif kind == "bot" and seen_latest_user:
            collected.append(event)
    return list(reversed(collected))


def restore_redacted(text: str, tracker: Tracker) -> str:
    """Put the booking's name and number back into a stored answer (the tracker store keeps them redacted).

    A read-back such as "… til [navn], telefon [telefonnummer]. Er det korrekt?" is said again as
    the citizen heard it, from the booking's (decrypted) slots; other placeholders stay.
    """
    name, phone = tracker.get_slot(NAME), tracker.get_slot(PHONE)
    if name and NAME_PLACEHOLDER in text:
        text = text.replace(NAME_PLACEHOLDER, str(name))
    if phone and PHONE_PLACEHOLDER in text:
        text = text.replace(PHONE_PLACEHOLDER, spoken_phone(str(phone)))
    return text


class ActionRepeat(Action):
    """Repeat the assistant's last answer (text and buttons, not channel events)."""

    def name(self) -> str:
        """Action name used in rules."""
        return "action_repeat"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Send the last answer again, or say there is nothing to repeat."""
        answer = [event for event in last_bot_answer(tracker.events) if event.get("text")]
        if not answer:
            dispatcher.utter_message(text=TurnContext.of(tracker).message("nothing_to_repeat"))
            return []
        for event in answer:
            buttons = (event.get("data") or {}).get("buttons") or []
            dispatcher.utter_message(text=restore_redacted(event["text"], tracker), buttons=buttons)
        return []
