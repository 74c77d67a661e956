"""Opening hours and contact details of the conversation's municipality."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import content, municipality_for, settings
from actions.day_reference import find_day
from actions.opening_hours import describe_day_hours, describe_today, weekly_summary
from muni_core.municipalities import Municipality, Office

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

    def answer(self, municipality: Municipality, office: Office, text: str) -> str:
        """The Danish answer for a known municipality's office."""
        raise NotImplementedError

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Answer from the municipality profile; point elsewhere for the doctor or an unknown municipality."""
        municipality = municipality_for(tracker)
        key = requested_office_key(tracker)
        if key == "laege" or municipality.is_generic:
            message = "doctor_hours" if key == "laege" else self.unknown_municipality_message
            dispatcher.utter_message(text=content().message(message, municipality))
            return []
        text = tracker.latest_message.get("text") or ""
        dispatcher.utter_message(text=self.answer(municipality, municipality.office(key), text))
        return []


class ActionOpeningHours(_OfficeAnswer, Action):
    """Tell when an office is open today, on the day asked about, and in an ordinary week."""

    unknown_municipality_message = "unknown_municipality_hours"

    def name(self) -> str:
        """Action name used in rules."""
        return "action_opening_hours"

    def answer(self, municipality: Municipality, office: Office, text: str) -> str:
        """From the configured hours and today's date and time."""
        return opening_hours_answer(municipality, office, text)


def opening_hours_answer(municipality: Municipality, office: Office, text: str) -> str:
    """The full Danish answer to an opening-hours question."""
    now = settings().now()
    day = find_day(text, now.date())
    if day is not None and day != now.date():
        answer = describe_day_hours(municipality, office, day, now)
    else:
        answer = f"{describe_today(municipality, office, now)} {weekly_summary(office)}"
    return f"{answer} {office.note}".strip()


def contact_answer(municipality: Municipality, office: Office, text: str) -> str:
    """The Danish answer to a contact question: phone, e-mail and/or address."""
    wants_phone = bool(_PHONE_WORDS.search(text))
    wants_email = bool(_EMAIL_WORDS.search(text))
    wants_address = bool(_ADDRESS_WORDS.search(text))
    if not (wants_phone or wants_email or wants_address):
        wants_phone = wants_email = wants_address = True
    sentences = []
    if wants_phone and office.phone:
        sentences.append(f"Du kan ringe til {office.name} i {municipality.full_name} på {office.phone}.")
    if wants_email and office.email:
        sentences.append(f"Du kan skrive til {office.email}. {content().message('email_warning', municipality)}")
    if wants_address:
        sentences.append(f"{office.name} ligger på {office.address}.")
    return " ".join(sentences)


class ActionContactInfo(_OfficeAnswer, Action):
    """Give phone number, e-mail and/or address of the office asked about."""

    unknown_municipality_message = "unknown_municipality_contact"

    def name(self) -> str:
        """Action name used in rules."""
        return "action_contact_info"

    def answer(self, municipality: Municipality, office: Office, text: str) -> str:
        """Phone, e-mail and/or address, as asked."""
        return contact_answer(municipality, office, text)
