"""Session start: remember which municipality the citizen talks to; answer a question that waited for it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, FollowupAction, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.booking_slots import FORM as BOOKING_FORM
from actions.context import MUNICIPALITY_SLOT, TurnContext, metadata_municipality, registry, settings
from actions.faq import ActionAnswerFaq
from actions.info import ActionContactInfo, ActionOpeningHours
from actions.municipality_question import ANSWER_SLOT, ASKED_SLOT, PENDING_SLOT, TRIES_SLOT

# Phone channels put the caller's number in the message metadata under this key.
CALLER_METADATA_KEY = "caller"


class ActionSessionStart(Action):
    """Start a session and set the ``municipality`` slot from the channel's metadata."""

    def name(self) -> str:
        """Rasa's name for the session start action."""
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Carry the municipality over from the metadata (or keep the previous one)."""
        metadata = tracker.get_slot("session_started_metadata")
        municipality = registry().resolve(
            metadata_municipality(metadata),
            tracker.get_slot(MUNICIPALITY_SLOT),
            settings().default_municipality,
        )
        events = [SessionStarted(), SlotSet(MUNICIPALITY_SLOT, municipality.id)]
        # A new session may ask for the municipality again; a question left waiting is forgotten.
        events += [SlotSet(s, None) for s in (PENDING_SLOT, ANSWER_SLOT, TRIES_SLOT, ASKED_SLOT) if tracker.get_slot(s)]
        caller = metadata.get(CALLER_METADATA_KEY) if isinstance(metadata, dict) else None
        if isinstance(caller, str) and caller.strip():
            events.append(SlotSet("caller_number", caller.strip()[:20]))
        return [*events, ActionExecuted("action_listen")]


# The answers that may wait for the municipality, by the name ``pending_question`` holds.
WAITING_ANSWERS: dict[str, type[Action]] = {
    "action_opening_hours": ActionOpeningHours,
    "action_contact_info": ActionContactInfo,
    "action_answer_faq": ActionAnswerFaq,
}


def waiting_question(tracker: Tracker) -> dict[str, Any] | None:
    """The citizen's message whose answer waited: the user event before ``pending_question`` was set."""
    events = tracker.events or []
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if event.get("event") == "slot" and event.get("name") == PENDING_SLOT and event.get("value"):
            return next((e for e in reversed(events[:index]) if e.get("event") == "user"), None)
    return None


def replayed(tracker: Tracker, question: dict[str, Any]) -> Tracker:
    """The tracker as it was at ``question``, with today's slots (the municipality now known)."""
    latest = {**(question.get("parse_data") or {}), "metadata": question.get("metadata") or {}}
    latest.setdefault("text", question.get("text"))
    return Tracker(
        sender_id=tracker.sender_id,
        slots={**tracker.slots, PENDING_SLOT: None, ASKED_SLOT: True},
        latest_message=latest,
        events=tracker.events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


class ActionAnswerPending(Action):
    """After ``municipality_form``: answer the question that waited for the municipality."""

    def name(self) -> str:
        """Action name used in rules."""
        return "action_answer_pending"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Answer for the chosen municipality, or generally with a hint when none was named."""
        events = [SlotSet(slot, None) for slot in (PENDING_SLOT, ANSWER_SLOT, TRIES_SLOT)] + [SlotSet(ASKED_SLOT, True)]
        question = waiting_question(tracker)
        answer = WAITING_ANSWERS.get(tracker.get_slot(PENDING_SLOT) or "")
        replay = replayed(tracker, question or {})
        turn = TurnContext.of(replay)
        if turn.municipality.is_generic:
            dispatcher.utter_message(text=turn.message("municipality_generic_hint"))
        else:
            dispatcher.utter_message(text=turn.message("municipality_chosen"))
        if tracker.get_slot(PENDING_SLOT) == BOOKING_FORM:  # a booking waited: the form starts again, now there
            if turn.municipality.is_generic:
                dispatcher.utter_message(text=turn.message("appointment_unknown_municipality"))
                return events
            return [*events, FollowupAction(BOOKING_FORM)]
        if answer is None or question is None:
            dispatcher.utter_message(response="utter_ask_what_help")
            return events
        return events + list(await answer().run(dispatcher, replay, domain))
