"""Handing the conversation over to a person, with a machine-readable event for channels.

The response carries a custom payload ``{"handoff": {...}}`` next to the text.
Channels act on it: the phone gateway transfers the call, the web widget shows
how to reach a caseworker. The payload is documented in docs/handoff.md. On the web and
the kiosk nobody is connected live, so the text says how to reach a person instead of
promising a transfer.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.booking_slots import ALL_FORM_SLOTS
from actions.context import TurnContext
from actions.fallback import is_miss
from actions.labels import message_label, topic_label
from actions.municipality_question import ANSWER_SLOT, PENDING_SLOT, TRIES_SLOT
from actions.opening_hours import describe_today

HANDOFF_PAYLOAD_VERSION = 1
SUMMARY_MAX_MESSAGE = 200
# Labels that carry no topic worth telling the caseworker about.
SMALL_TALK = frozenset({"greet", "goodbye", "thank", "affirm", "deny", "repeat", "human_handoff", "nlu_fallback"})


def conversation_topics(events: list[dict[str, Any]]) -> list[str]:
    """Topics the citizen asked about in this conversation, in order, without repeats."""
    topics: list[str] = []
    for event in events:
        if event.get("event") != "user":
            continue
        label = message_label(event.get("parse_data") or {})
        if label and label not in SMALL_TALK and label not in topics:
            topics.append(label)
    return topics


def handoff_reason(tracker: Tracker) -> str:
    """Why the handoff happens: the citizen asked, or the assistant kept missing."""
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") not in ("action_listen", None):
            return "repeated_misunderstanding" if event["name"] == "action_offer_handoff" else "citizen_request"
    return "citizen_request"


def summary_text(topics: list[str], user_turns: int, misunderstood: int) -> str:
    """A short Danish summary for the staff member who takes over."""
    if topics:
        listed = ", ".join(topic_label(t) for t in topics)
        first = f"Borgeren har spurgt om: {listed}."
    else:
        first = "Borgeren har ikke stillet et konkret spørgsmål endnu."
    tail = f" {user_turns} beskeder fra borgeren"
    if misunderstood:
        tail += f", heraf {misunderstood} som assistenten ikke forstod"
    return first + tail + "."


def reach_a_person(turn: TurnContext) -> str:
    """Danish text saying how the citizen reaches a person in their municipality."""
    municipality = turn.municipality
    if municipality.is_generic:
        return turn.message("handoff_unknown_municipality")
    office = municipality.office("borgerservice")
    status = describe_today(municipality, office, turn.now)
    if turn.on_phone:
        return f"{turn.message('handoff')} {status}"
    how = turn.message("handoff_web", office_name=office.name, office_phone=office.phone, office_email=office.email)
    return f"{how} {status} {turn.message('email_warning')}"


class ActionHandoff(Action):
    """Tell the citizen how to reach a person and emit the handoff event."""

    def name(self) -> str:
        """Action name used in rules."""
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Answer in Danish and attach ``{"handoff": ...}`` for the channel."""
        turn = TurnContext.of(tracker)
        municipality = turn.municipality
        user_events = [e for e in tracker.events if e.get("event") == "user"]
        misunderstood = sum(1 for e in user_events if is_miss(e.get("parse_data")))
        topics = conversation_topics(tracker.events)
        last_text = ""
        for event in reversed(user_events[:-1]):
            if (event.get("text") or "").strip() and not event["text"].startswith("/"):
                last_text = event["text"].strip()[:SUMMARY_MAX_MESSAGE]
                break
        payload = {
            "handoff": {
                "version": HANDOFF_PAYLOAD_VERSION,
                "conversation_id": tracker.sender_id,
                "reason": handoff_reason(tracker),
                "municipality": None if municipality.is_generic else municipality.id,
                "channel": turn.channel,
                "contact_phone": None if municipality.is_generic else municipality.office("borgerservice").phone,
                "topics": topics,
                "summary": summary_text(topics, len(user_events), misunderstood),
                "last_question": last_text,
            }
        }
        dispatcher.utter_message(text=reach_a_person(turn))
        dispatcher.utter_message(json_message=payload)
        # A form interrupted by the handoff must not prefill a later booking or answer a question later.
        return [SlotSet(slot, None) for slot in (*ALL_FORM_SLOTS, PENDING_SLOT, ANSWER_SLOT, TRIES_SLOT)]
