"""Checking, moving and cancelling a booked meeting by conversation.

``check_appointment``, ``cancel_appointment`` and ``reschedule_appointment``
start ``manage_booking_form``. It finds the booking by its 6-digit reference or by
the phone number it was booked with, reads the booking's details back and asks for a
yes before cancelling or moving it (also when found by phone number alone). Moving
asks for the new day and time with the same extractor and calendar checks as booking.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking import (
    CALLER,
    DAY,
    INTERRUPTIONS,
    NOTICE,
    OFFERED,
    SERVICE,
    TIME,
    WINDOW,
    ValidateBookingForm,
    _latest_intent,
    _parse_day,
    _parse_time,
    _pop_notice,
    calendar_for,
    now,
)
from actions.booking_calendar import speak_slot
from actions.booking_store import Booking, BookingNotFound, SlotTaken, normalise_phone, normalise_reference
from actions.context import booking_provider, content, municipality_for
from actions.settings import TIMEZONE

logger = logging.getLogger(__name__)
MANAGE_FORM = "manage_booking_form"
ACTION, REFERENCE, MANAGE_CONFIRMED = "manage_action", "manage_reference", "manage_confirmed"
MANAGE_SLOTS = (ACTION, REFERENCE, MANAGE_CONFIRMED, SERVICE, DAY, TIME, WINDOW, OFFERED, NOTICE)
ACTION_BY_INTENT = {
    "check_appointment": "check",
    "cancel_appointment": "cancel",
    "reschedule_appointment": "reschedule",
}


def found_booking(tracker: Tracker) -> Booking | None:
    """The active booking the conversation found (by the manage_reference slot)."""
    reference = tracker.get_slot(REFERENCE)
    if not reference:
        return None
    found = booking_provider().find(municipality_for(tracker).id, reference=reference)
    return found[0] if found else None


def describe_booking(booking: Booking, tracker: Tracker) -> dict[str, str]:
    """Placeholder values that describe a booking."""
    municipality = municipality_for(tracker)
    service = municipality.booking.get(booking.service)
    start = booking.starts_at.replace(tzinfo=TIMEZONE)
    return {
        "service_name": service.name if service else booking.service,
        "when": speak_slot(start, now().date()),
        "address": service.address if service else "",
        "reference": booking.spoken_reference,
    }


class ValidateManageBookingForm(ValidateBookingForm):
    """Find the booking, confirm it, and (for moving) take the new day and time."""

    def name(self) -> str:
        """Rasa calls validate_<form name>."""
        return "validate_manage_booking_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        """Check needs only the booking; cancel a yes; move a yes and then the new day and time."""
        action = tracker.get_slot(ACTION) or "check"
        if action == "check":
            return [REFERENCE]
        if action == "cancel" or tracker.get_slot(MANAGE_CONFIRMED) is False:
            return [REFERENCE, MANAGE_CONFIRMED]
        return [REFERENCE, MANAGE_CONFIRMED, DAY, TIME]

    async def extract_booking_day(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The new day and time, only once the citizen has confirmed which booking to move."""
        if tracker.get_slot("requested_slot") not in (DAY, TIME):
            return {}
        return await super().extract_booking_day(dispatcher, tracker, domain)

    async def extract_manage_reference(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A 6-digit reference or an 8-digit phone number in the latest message."""
        if tracker.get_slot("requested_slot") not in (REFERENCE, None) or tracker.get_slot(REFERENCE):
            return {}
        intent = _latest_intent(tracker)
        if intent in INTERRUPTIONS - {"cancel_appointment", "check_appointment"}:
            return {}
        text = (tracker.latest_message or {}).get("text") or ""
        municipality = municipality_for(tracker)
        reference = normalise_reference(text)
        phone = None if reference else normalise_phone(text)
        if intent == "affirm" and tracker.get_slot(CALLER):
            phone = normalise_phone(tracker.get_slot(CALLER))
        if not reference and not phone:
            if tracker.get_slot("requested_slot") == REFERENCE:
                return {REFERENCE: None, NOTICE: content().message("manage_need_reference", municipality)}
            return {}
        found = booking_provider().find(municipality.id, reference=reference, phone=phone)
        if not found:
            return {REFERENCE: None, NOTICE: content().message("manage_not_found", municipality)}
        booking = found[0]
        return {REFERENCE: booking.reference, SERVICE: booking.service}

    async def validate_manage_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Yes or no to 'is this the booking?' (None, as reset when the form starts, stays unanswered)."""
        return {MANAGE_CONFIRMED: None if value is None else bool(value)}


class AskManageReference(Action):
    """Ask for the reference or phone number."""

    def name(self) -> str:
        """The form asks for manage_reference with this action."""
        return "action_ask_manage_reference"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """'Hvad er dit bookingnummer eller dit telefonnummer?' after any notice."""
        notice, events = _pop_notice(tracker)
        question = content().message("manage_ask_reference", municipality_for(tracker))
        dispatcher.utter_message(text=f"{notice} {question}" if notice else question)
        return events


class AskManageConfirmed(Action):
    """Read the found booking back and ask whether to cancel or move it."""

    def name(self) -> str:
        """The form asks for manage_confirmed with this action."""
        return "action_ask_manage_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """'Du har en tid hos … Vil du aflyse den?'."""
        booking = found_booking(tracker)
        municipality = municipality_for(tracker)
        if booking is None:
            dispatcher.utter_message(text=content().message("manage_not_found", municipality))
            return [SlotSet(REFERENCE, None)]
        key = "manage_confirm_cancel" if tracker.get_slot(ACTION) == "cancel" else "manage_confirm_reschedule"
        text = content().message(key, municipality, **describe_booking(booking, tracker))
        dispatcher.utter_message(
            text=text, buttons=[{"title": "Ja", "payload": "/affirm"}, {"title": "Nej", "payload": "/deny"}]
        )
        return []


class ActionSubmitManage(Action):
    """Tell, cancel or move the found booking."""

    def name(self) -> str:
        """Runs when manage_booking_form is complete."""
        return "action_submit_manage"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Act on the booking and say what happened."""
        municipality = municipality_for(tracker)
        action = tracker.get_slot(ACTION) or "check"
        booking = found_booking(tracker)
        reset = [SlotSet(slot, None) for slot in MANAGE_SLOTS]
        if booking is None:
            dispatcher.utter_message(text=content().message("manage_not_found", municipality))
            return reset
        details = describe_booking(booking, tracker)
        if action == "check":
            dispatcher.utter_message(text=content().message("manage_checked", municipality, **details))
            return reset
        if not tracker.get_slot(MANAGE_CONFIRMED):
            dispatcher.utter_message(text=content().message("manage_nothing_changed", municipality))
            return reset
        try:
            if action == "cancel":
                booking_provider().cancel(booking.reference)
                dispatcher.utter_message(text=content().message("manage_cancelled", municipality, **details))
                return reset
            calendar = calendar_for(tracker)
            day, clock = _parse_day(tracker.get_slot(DAY)), _parse_time(tracker.get_slot(TIME))
            start = datetime.combine(day, clock, tzinfo=TIMEZONE)
            moved = booking_provider().reschedule(booking.reference, start, calendar.service.capacity)
        except SlotTaken:
            offer = ValidateBookingForm()._offer(tracker, calendar, "booking_slot_taken", now(), wished=start)
            return [SlotSet(TIME, None), SlotSet(OFFERED, offer[OFFERED]), SlotSet(NOTICE, offer[NOTICE]),
                    FollowupAction(MANAGE_FORM)]  # fmt: skip
        except BookingNotFound:
            dispatcher.utter_message(text=content().message("manage_not_found", municipality))
            return reset
        except Exception:
            logger.exception("Changing booking failed for conversation %s", tracker.sender_id)
            dispatcher.utter_message(text=content().message("booking_failed", municipality))
            return reset
        details = describe_booking(moved, tracker)
        dispatcher.utter_message(text=content().message("manage_moved", municipality, **details))
        return reset


class ActionStartManage(Action):
    """Remember whether the citizen wants to check, cancel or move, before the form starts."""

    def name(self) -> str:
        """Runs before manage_booking_form."""
        return "action_start_manage"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Set manage_action from the intent and forget an earlier search."""
        action = ACTION_BY_INTENT.get(_latest_intent(tracker), "check")
        return [SlotSet(ACTION, action), SlotSet(REFERENCE, None), SlotSet(MANAGE_CONFIRMED, None)]
