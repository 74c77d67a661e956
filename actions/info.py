"""Opening hours and contact details of the conversation's municipality."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import TurnContext
from actions.day_reference import find_day
from actions.municipality_question import ask_first
from actions.opening_hours import describe_day_hours, describe_today, weekly_summary
from muni_core.municipalities import Office

_PHONE_WORDS = re.compile(r"telefon|nummer|nr\b|tlf|ringe|ring\b|opkald", re.IGNORECASE)
_EMAIL_WORDS = re.compile(r"mail|skrive|skriv\b|post\b", re.IGNORECASE)
_ADDRESS_WORDS = re.compile(r"adresse|ligger|hvor er|finde|find\b|komme forbi|besøg|kør|vej\b|hvor hen", re.IGNORECASE)


def requested_office_key(tracker: Tracker) -> str | None:
    """Which office the citizen means: entity ``service``/``office``, else None."""
    service = next(tracker.get_latest_entity_values("service"), None)
    office = next(tracker.get_latest_entity_values("office"), None)
    if service == "jobcenter":
        return "jobcenter"
    if service == "laege":
        return "laege"
    return office


class _OfficeAnswer:
    """Answer about an office of the conversation's municipality (the doctor and unknown municipalities aside).

    A mixin, not an Action: rasa-sdk instantiates every Action subclass it finds.
    """

    unknown_municipality_message = ""

    def answer(self, turn: TurnContext, office: Office, text: str) -> str:
        """The Danish answer for a known municipality's office."""
        raise NotImplementedError

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Answer from the municipality profile; point elsewhere for the doctor or an unknown municipality."""
        turn = TurnContext.of(tracker)
        key = requested_office_key(tracker)
        if detour := ask_first(tracker, turn, self.name(), needed=key != "laege"):  # type: ignore[attr-defined]
            return detour
        if key == "laege" or turn.municipality.is_generic:
            message = "doctor_hours" if key == "laege" else self.unknown_municipality_message
            dispatcher.utter_message(text=turn.message(message))
            return []
        text = tracker.latest_message.get("text") or ""
        dispatcher.utter_message(text=self.answer(turn, turn.municipality.office(key), text))
        return []


class ActionOpeningHours(_OfficeAnswer, Action):
    """Tell when an office is open today, on the day asked about, and in an ordinary week."""

    unknown_municipality_message = "unknown_municipality_hours"

    def name(self) -> str:
        """Action name used in rules."""
        return "action_opening_hours"

    def answer(self, turn: TurnContext, office: Office, text: str) -> str:
        """From the configured hours and today's date and time."""
        return opening_hours_answer(turn, office, text)


def opening_hours_answer(turn: TurnContext, office: Office, text: str) -> str:
    """The full Danish answer to an opening-hours question."""
    municipality, now = turn.municipality, turn.now
    day = find_day(text, now.date())
    if day is not None and day != now.date():
        answer = describe_day_hours(municipality, office, day, now)
    else:
        answer = f"{describe_today(municipality, office, now)} {weekly_summary(office, municipality)}"
    return f"{answer} {office.note}".strip()


def contact_answer(turn: TurnContext, office: Office, text: str) -> str:
    """The Danish answer to a contact question: phone, e-mail and/or address."""
    wants_phone = bool(_PHONE_WORDS.search(text))
    wants_email = bool(_EMAIL_WORDS.search(text))
    wants_address = bool(_ADDRESS_WORDS.search(text))
    if not (wants_phone or wants_email or wants_address):
        wants_phone = wants_email = wants_address = True
    sentences = []
    if wants_phone and office.phone:
        sentences.append(turn.message("contact_phone", office_name=office.name, office_phone=office.phone))
    if wants_email and office.email:
        sentences.append(f"{turn.message('contact_email', office_email=office.email)} {turn.message('email_warning')}")
    if wants_address:
        sentences.append(turn.message("contact_address", office_name=office.name, office_address=office.address))
    return " ".join(sentences)


class ActionContactInfo(_OfficeAnswer, Action):
    """Give phone number, e-mail and/or address of the office asked about."""

    unknown_municipality_message = "unknown_municipality_contact"

    def name(self) -> str:
        """Action name used in rules."""
        return "action_contact_info"

    def answer(self, turn: TurnContext, office: Office, text: str) -> str:
        """Phone, e-mail and/or address, as asked."""
        return contact_answer(turn, office, text)
