"""Asking which municipality the citizen lives in when a question needs one and none is known.

An answer action that needs the municipality (opening hours, contact details, an answer with the
municipality's details) calls :func:`ask_first` before answering. When nobody told us the
municipality, it remembers the question in ``pending_question``, answers nothing and runs
``municipality_form`` as its follow-up action (rules cannot see which answers need it). The form
asks "Hvilken kommune bor du i?" with a button per configured municipality and understands a typed
name or postcode. When the form is done, ``action_answer_pending`` (actions/session.py) answers the
original question.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.content import ALLOWED_PLACEHOLDERS, placeholders_in
from actions.context import MUNICIPALITY_SLOT, TurnContext, registry
from muni_core.municipalities import GENERIC_ID

PENDING_SLOT = "pending_question"  # the name of the answer action waiting for the municipality
ANSWER_SLOT = "municipality_answer"  # what the citizen answered (the form's one slot)
TRIES_SLOT = "municipality_tries"  # answers that named no municipality we know
ASKED_SLOT = "municipality_asked"  # asked once in this session: do not ask again
MUNICIPALITY_FORM = "municipality_form"
MAX_TRIES = 3
# "I don't know", "none of them", "stop": the citizen gives up naming the municipality.
_GIVE_UP = re.compile(
    r"\b(ved (det )?ikke|aner (det )?ikke|ingen af (dem|delene)|ingen af de|spring over|lige meget|"
    r"vil ikke|andet sted|stop|nej)\b",
    re.IGNORECASE,
)
_GIVE_UP_INTENTS = frozenset({"deny", "stop"})


def ask_first(tracker: Tracker, turn: TurnContext, action_name: str, needed: bool = True) -> list[dict[str, Any]]:
    """Events that put the answer of ``action_name`` on hold to ask for the municipality; [] to answer now.

    Asks only when the municipality is unknown, the question needs it (``needed``), there are
    municipalities to choose from and the citizen has not been asked in this session yet.
    """
    if not needed or not turn.municipality.is_generic or tracker.get_slot(ASKED_SLOT):
        return []
    if not registry(turn.settings).ids:
        return []
    return [SlotSet(PENDING_SLOT, action_name), FollowupAction(MUNICIPALITY_FORM)]


def answer_needs_municipality(turn: TurnContext, topic: str | None) -> bool:
    """True when the FAQ answer to ``topic`` names the municipality's details (phone, website …)."""
    answer = turn.content.answers.get(topic or "")
    return answer is not None and bool(placeholders_in(answer.text) & ALLOWED_PLACEHOLDERS)


def municipality_buttons(turn: TurnContext) -> list[dict[str, str]]:
    """One button per configured municipality; the payload is its name, read like a typed answer."""
    municipalities = registry(turn.settings)
    names = [profile.name for key in municipalities.ids if (profile := municipalities.get(key))]
    return [{"title": name, "payload": name} for name in names]


class AskMunicipality(Action):
    """The form's question: which municipality, or again after an answer we did not know."""

    def name(self) -> str:
        """The form asks for ``municipality_answer`` with this action."""
        return "action_ask_municipality_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Ask with a button per municipality."""
        turn = TurnContext.of(tracker)
        key = "municipality_unknown" if tracker.get_slot(TRIES_SLOT) else "municipality_ask"
        dispatcher.utter_message(text=turn.message(key), buttons=municipality_buttons(turn))
        return []


class ValidateMunicipalityForm(FormValidationAction):
    """Understand the answer: a name (case and typos forgiven), a postcode, or giving up."""

    def name(self) -> str:
        """Rasa calls this to validate ``municipality_form``."""
        return "validate_municipality_form"

    async def validate_municipality_answer(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A known municipality sets ``municipality``; 'ved ikke' or the third miss ends with the generic answer."""
        if slot_value is None:
            return {ANSWER_SLOT: None}  # the form starting: nothing answered yet
        found = registry().match(slot_value)
        if found is not None:
            return {ANSWER_SLOT: found.id, MUNICIPALITY_SLOT: found.id, TRIES_SLOT: None}
        tries = int(tracker.get_slot(TRIES_SLOT) or 0) + 1
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if tries >= MAX_TRIES or intent in _GIVE_UP_INTENTS or _GIVE_UP.search(str(slot_value or "")):
            return {ANSWER_SLOT: GENERIC_ID, TRIES_SLOT: None}
        return {ANSWER_SLOT: None, TRIES_SLOT: tries}
