"""Checking, moving and cancelling a booked meeting by conversation.

``check_appointment``, ``cancel_appointment`` and ``reschedule_appointment``
start ``manage_booking_form``. The booking made in this conversation is known without
asking (slot ``last_booking_reference``). Any other booking is found only by its 6-digit
reference *and* the phone number or name it was booked with (:mod:`actions.booking_access`):
a wrong pair gets the same answer whether the reference exists or not, and the tries are
bounded per conversation and per client address. The booking's details are read back and
a yes is asked for before cancelling or moving it. Moving asks for the new day and time with
the same extractor and calendar checks as booking.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking import ValidateBookingForm, pop_notice, yes_no_buttons
from actions.booking_access import (
    FAILURES,
    lookups_blocked,
    matching_booking,
    name_in,
    numbers_in,
    record_failure,
)
from actions.booking_calendar import speak_slot
from actions.booking_offer import offer_times
from actions.booking_parsing import latest_intent, latest_text, parse_day, parse_time
from actions.booking_slots import (
    CALLER,
    DAY,
    INTERRUPTIONS,
    MANAGE_ACTION,
    MANAGE_CONFIRMED,
    MANAGE_FORM,
    MANAGE_SLOTS,
    NOTICE,
    REFERENCE,
    REQUESTED,
    SERVICE,
    STRONG_INTERRUPTIONS,
    TIME,
)
from actions.booking_store import Booking, BookingNotFound, SlotTaken, normalise_phone
from actions.context import TurnContext
from actions.forms import validate_keeping_helpers
from actions.settings import TIMEZONE

logger = logging.getLogger(__name__)
ACTION_BY_INTENT = {
    "check_appointment": "check",
    "cancel_appointment": "cancel",
    "reschedule_appointment": "reschedule",
}
LOOKUP = "manage_lookup_reference"  # the reference the citizen gave, until the second secret matches it
OWN_BOOKING = "last_booking_reference"  # set by action_submit_booking: the booking made in this conversation
# Slots the manage form's extractor sets besides its required slots (kept by ValidateManageBookingForm.run).
MANAGE_HELPERS = frozenset({LOOKUP, FAILURES, NOTICE, SERVICE})


def found_booking(turn: TurnContext, reference: str | None) -> Booking | None:
    """The active booking with ``reference`` in the turn's municipality (the manage_reference slot)."""
    if not reference:
        return None
    found = turn.bookings().find(turn.municipality.id, reference=reference)
    return found[0] if found else None


def handoff_buttons(turn: TurnContext) -> list[dict[str, str]]:
    """'Ja, stil mig videre' (a person) and 'Nej' buttons."""
    return [
        {"title": turn.message("offer_handoff_yes"), "payload": "/human_handoff"},
        {"title": turn.message("answer_no"), "payload": "/deny"},
    ]


def describe_booking(booking: Booking, turn: TurnContext) -> dict[str, str]:
    """Placeholder values that describe a booking."""
    service = turn.municipality.booking.get(booking.service)
    start = booking.starts_at.replace(tzinfo=TIMEZONE)
    return {
        "service_name": service.name if service else booking.service,
        "when": speak_slot(start, turn.today),
        "address": service.address if service else "",
        "reference": booking.spoken_reference,
    }


class ValidateManageBookingForm(ValidateBookingForm):
    """Find the booking, confirm it, and (for moving) take the new day and time."""

    def name(self) -> str:
        """Rasa calls validate_<form name>."""
        return "validate_manage_booking_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Extract and validate; keep the lookup's helper slots (rasa-sdk drops slots that are not required)."""
        return await validate_keeping_helpers(self, dispatcher, tracker, domain, MANAGE_HELPERS)

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        """Nothing once the tries are used up; check needs the booking; cancel a yes; move also day and time."""
        if not tracker.get_slot(REFERENCE) and lookups_blocked(tracker, TurnContext.of(tracker)):
            return []  # the form ends; action_submit_manage says why and offers a person
        action = tracker.get_slot(MANAGE_ACTION) or "check"
        if action == "check":
            return [REFERENCE]
        if action == "cancel" or tracker.get_slot(MANAGE_CONFIRMED) is False:
            return [REFERENCE, MANAGE_CONFIRMED]
        return [REFERENCE, MANAGE_CONFIRMED, DAY, TIME]

    async def extract_booking_day(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The new day and time, only once the citizen has confirmed which booking to move."""
        if tracker.get_slot(REQUESTED) not in (DAY, TIME):
            return {}
        return await super().extract_booking_day(dispatcher, tracker, domain)

    async def extract_manage_reference(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The reference, then the phone number or name it was booked with; both must match one booking."""
        if tracker.get_slot(REQUESTED) not in (REFERENCE, None) or tracker.get_slot(REFERENCE):
            return {}
        intent = latest_intent(tracker)
        if intent in INTERRUPTIONS - {"cancel_appointment", "check_appointment", "nlu_fallback"}:
            return {}
        turn = TurnContext.of(tracker)
        text = latest_text(tracker)
        reference, phone = numbers_in(text)
        given = tracker.get_slot(LOOKUP)
        if reference is None and given is None:
            if tracker.get_slot(REQUESTED) != REFERENCE:
                return {}  # the message that starts the form named no booking: ask for it
            key = "manage_phone_not_enough" if phone else "manage_need_reference"
            return {REFERENCE: None, NOTICE: turn.message(key)}
        name = None if phone else name_in(text, heard_on_phone=turn.on_phone)
        from_caller = False
        if reference and not phone and not name and turn.on_phone:
            # On the phone the caller's number stands in for the phone number, tried once per reference said.
            phone = normalise_phone(tracker.get_slot(CALLER) or "")
            from_caller = phone is not None
        reference = reference or given
        if not phone and not name:
            if given and tracker.get_slot(REQUESTED) == REFERENCE and intent not in STRONG_INTERRUPTIONS:
                return {REFERENCE: None, NOTICE: turn.message("manage_need_secret")}
            return {REFERENCE: None, LOOKUP: reference}  # the next question asks for the phone number or name
        booking = matching_booking(turn.bookings(), turn.municipality.id, reference, phone=phone, name=name)
        if booking is None:
            failures = record_failure(tracker, turn)
            if from_caller:  # perhaps booked from another phone: ask for that number or the name
                return {REFERENCE: None, LOOKUP: reference, FAILURES: failures}
            return {REFERENCE: None, LOOKUP: None, FAILURES: failures, NOTICE: turn.message("manage_no_match")}
        return {REFERENCE: booking.reference, LOOKUP: None, SERVICE: booking.service}

    async def validate_manage_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Yes or no to 'is this the booking?' (None, as reset when the form starts, stays unanswered)."""
        return {MANAGE_CONFIRMED: None if value is None else bool(value)}


class AskManageReference(Action):
    """Ask for the reference, or (once it is given) for the phone number or name it was booked with."""

    def name(self) -> str:
        """The form asks for manage_reference with this action."""
        return "action_ask_manage_reference"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """'Hvad er dit bookingnummer?' or 'Hvilket telefonnummer eller navn …?' after any notice."""
        turn = TurnContext.of(tracker)
        notice, events = pop_notice(tracker)
        question = turn.message("manage_ask_secret" if tracker.get_slot(LOOKUP) else "manage_ask_reference")
        dispatcher.utter_message(text=f"{notice} {question}" if notice else question)
        return events


class AskManageConfirmed(Action):
    """Read the found booking back and ask whether to cancel or move it."""

    def name(self) -> str:
        """The form asks for manage_confirmed with this action."""
        return "action_ask_manage_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """'Du har en tid hos … Vil du aflyse den?'."""
        turn = TurnContext.of(tracker)
        booking = found_booking(turn, tracker.get_slot(REFERENCE))
        if booking is None:
            dispatcher.utter_message(text=turn.message("manage_not_found"))
            return [SlotSet(REFERENCE, None)]
        key = "manage_confirm_cancel" if tracker.get_slot(MANAGE_ACTION) == "cancel" else "manage_confirm_reschedule"
        text = turn.message(key, **describe_booking(booking, turn))
        dispatcher.utter_message(text=text, buttons=yes_no_buttons(turn))
        return []


class ActionSubmitManage(Action):
    """Tell, cancel or move the found booking."""

    def name(self) -> str:
        """Runs when manage_booking_form is complete."""
        return "action_submit_manage"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Act on the booking and say what happened."""
        turn = TurnContext.of(tracker)
        action = tracker.get_slot(MANAGE_ACTION) or "check"
        booking = found_booking(turn, tracker.get_slot(REFERENCE))
        reset = [SlotSet(slot, None) for slot in (*MANAGE_SLOTS, LOOKUP)]
        if booking is None and not tracker.get_slot(REFERENCE) and lookups_blocked(tracker, turn):
            dispatcher.utter_message(text=turn.message("manage_blocked"), buttons=handoff_buttons(turn))
            return reset
        if booking is None:
            dispatcher.utter_message(text=turn.message("manage_not_found"))
            return reset
        details = describe_booking(booking, turn)
        if action == "check":
            dispatcher.utter_message(text=turn.message("manage_checked", **details))
            return reset
        if not tracker.get_slot(MANAGE_CONFIRMED):
            dispatcher.utter_message(text=turn.message("manage_nothing_changed"))
            return reset
        try:
            if action == "cancel":
                turn.bookings().cancel(booking.reference)
                dispatcher.utter_message(text=turn.message("manage_cancelled", **details))
                return reset
            day, clock = parse_day(tracker.get_slot(DAY)), parse_time(tracker.get_slot(TIME))
            start = datetime.combine(day, clock, tzinfo=TIMEZONE)
            moved = turn.bookings().reschedule(booking.reference, start, turn.calendar.service.capacity)
        except SlotTaken:
            offer = offer_times(turn, "booking_slot_taken", wished=start)
            return [SlotSet(TIME, None), *(SlotSet(slot, value) for slot, value in offer.slots().items()),
                    FollowupAction(MANAGE_FORM)]  # fmt: skip
        except BookingNotFound:
            dispatcher.utter_message(text=turn.message("manage_not_found"))
            return reset
        except Exception:
            logger.exception("Changing booking failed for conversation %s", tracker.sender_id)
            dispatcher.utter_message(text=turn.message("booking_failed"))
            return reset
        dispatcher.utter_message(text=turn.message("manage_moved", **describe_booking(moved, turn)))
        return reset


class ActionStartManage(Action):
    """Remember whether the citizen wants to check, cancel or move, before the form starts."""

    def name(self) -> str:
        """Runs before manage_booking_form."""
        return "action_start_manage"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Set manage_action; take the booking made in this conversation unless the message names another."""
        action = ACTION_BY_INTENT.get(latest_intent(tracker), "check")
        events = [SlotSet(MANAGE_ACTION, action), SlotSet(MANAGE_CONFIRMED, None), SlotSet(LOOKUP, None)]
        own = tracker.get_slot(OWN_BOOKING)
        named, _ = numbers_in(latest_text(tracker))
        if own and named in (None, own):
            booking = found_booking(TurnContext.of(tracker), own)
            if booking is not None:
                return [*events, SlotSet(REFERENCE, booking.reference), SlotSet(SERVICE, booking.service)]
        return [*events, SlotSet(REFERENCE, None)]
