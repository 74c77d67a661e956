"""Booking a meeting by conversation: the booking form's extraction and validation, its questions and submission.

The form ``booking_form`` asks only for what it does not know yet: service, day,
time, name, phone, then reads the booking back. Everything already said
("en lægetid på torsdag ved 10-tiden") fills the form at once, because the
day/time extractor runs on every message, including the one that starts the form.

Messages that explain a problem (day closed, time taken, bad phone number) are
stored in the ``booking_notice`` slot by the validation action and spoken by
the next question, so the citizen hears one coherent answer per turn.

What the citizen said is read by :mod:`actions.booking_parsing`; the wish is checked
and the times to offer are chosen by :mod:`actions.booking_offer`.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking_calendar import speak_choices, speak_slot
from actions.booking_offer import earliest_free_times, free_times_on, offer_buttons, offer_times, plan_wish
from actions.booking_parsing import (
    clean_name,
    correction_asked,
    latest_entity,
    latest_intent,
    latest_text,
    looks_like_name,
    name_in_sentence,
    parse_day,
    parse_time,
    phone_in_sentence,
    phone_number_in,
    service_named,
    slot_before_latest_message,
    spoken_phone,
    wished_day_and_time,
    without_contact_details,
)
from actions.booking_slots import (
    ALL_FORM_SLOTS,
    CALLER,
    CALLER_DECLINED,
    CONFIRMED,
    DAY,
    FORM,
    HELPER_SLOTS,
    INTERRUPTIONS,
    NAME,
    NOTICE,
    OFFERED,
    PHONE,
    REQUESTED,
    SERVICE,
    STRONG_INTERRUPTIONS,
    TIME,
    WINDOW,
)
from actions.booking_store import SlotTaken, normalise_phone
from actions.context import TurnContext
from actions.danish_time import When, parse_when
from actions.day_reference import describe_day
from actions.forms import validate_keeping_helpers
from actions.municipality_question import ask_first
from actions.settings import TIMEZONE

logger = logging.getLogger(__name__)


class ValidateBookingForm(FormValidationAction):
    """Extract day and time from anything the citizen says, check the calendar, validate name and phone."""

    def name(self) -> str:
        """Rasa calls validate_<form name>."""
        return "validate_booking_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Extract and validate as rasa-sdk does, but keep the helper slots the extractors set.

        rasa-sdk drops extracted slots that are not required slots of the form; the
        notice, the offered times and the part of the day must reach the next question.
        """
        return await validate_keeping_helpers(self, dispatcher, tracker, domain, HELPER_SLOTS)

    async def extract_booking_service(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """'nej, det skal være hos lægen' at any step, also when the NLU found no service entity."""
        if latest_entity(tracker, "service") or latest_intent(tracker) in INTERRUPTIONS:
            return {}  # the entity fills the slot through its mapping; questions go to the rules
        if tracker.get_slot(REQUESTED) == NAME and looks_like_name(latest_text(tracker)):
            return {}
        named = service_named(latest_text(tracker))
        return {SERVICE: named} if named and named != tracker.get_slot(SERVICE) else {}

    async def extract_booking_day(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Day and time (and offered-slot choices) from the latest message; both slots at once.

        A phone number or a name said in the same message is never read as a day or a time; at the
        phone question a message without a phone number may still change the day or the time.
        """
        requested = tracker.get_slot(REQUESTED)
        intent = latest_intent(tracker)
        text = latest_text(tracker)
        if intent in STRONG_INTERRUPTIONS or (requested == PHONE and phone_number_in(text)):
            return {}
        if requested == CONFIRMED and intent == "affirm":
            return {}
        turn = TurnContext.of(tracker)
        day, clock, when = wished_day_and_time(
            without_contact_details(text), latest_entity(tracker, DAY), latest_entity(tracker, TIME),
            tracker.get_slot(OFFERED) or [], turn.now,
        )  # fmt: skip
        if requested in (NAME, PHONE) and not (day or clock):
            return {}  # at the name and phone questions only an explicit day or time changes the booking
        if not (day or clock or (when and when.found)):
            if intent in INTERRUPTIONS or _names_other_detail(tracker):
                return {}  # nothing about when: a correction of another detail, or a question for the rules
            if requested in (DAY, TIME):
                return {requested: None, NOTICE: turn.message("booking_when_not_understood")}
            return {}
        if day is None and clock is not None and tracker.get_slot(DAY):
            day = parse_day(tracker.get_slot(DAY))
        if clock is None and day is not None and when and not when.part_of_day and tracker.get_slot(TIME):
            clock = parse_time(tracker.get_slot(TIME))
        return plan_wish(turn, day, clock, when)

    async def validate_booking_service(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept jobcenter/laege offered by this municipality; re-check a day/time said before."""
        turn = TurnContext.of(tracker)
        if value not in turn.municipality.booking:
            return {SERVICE: None}
        previous = slot_before_latest_message(tracker, SERVICE)
        changed: dict[str, Any] = {}
        if previous and previous != value:
            # A correction: the times offered for the other service no longer apply.
            service = turn.with_service(value)
            dispatcher.utter_message(text=service.message("booking_changed_service", service_name=_name_of(service)))
            changed = {OFFERED: None}
        day, clock = parse_day(tracker.get_slot(DAY)), parse_time(tracker.get_slot(TIME))
        if day is None:
            return {SERVICE: value, **changed}
        window = tracker.get_slot(WINDOW)
        planned = plan_wish(turn.with_service(value), day, clock, When(part_of_day=window) if window else None)
        return {SERVICE: value, **changed, **planned}

    async def extract_citizen_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """At the name question, a name-shaped answer is the name, whatever the NLU made of it.

        At any step 'mit navn er …' or 'jeg hedder …' gives (or corrects) the name.
        """
        intent = latest_intent(tracker)
        text = latest_text(tracker).strip()
        introduced = name_in_sentence(text)
        if introduced and intent not in STRONG_INTERRUPTIONS and not text.startswith("/"):
            return {NAME: introduced} if introduced != tracker.get_slot(NAME) else {}
        if tracker.get_slot(REQUESTED) != NAME:
            return {}
        if intent in ("human_handoff", "stop", "deny", "affirm") or text.startswith("/"):
            return {}
        turn = TurnContext.of(tracker)
        text = " ".join(_PHONE_ONLY.sub(" ", without_contact_details(text)).split())
        when = parse_when(text, turn.now)
        if when.day or when.clock or not text:
            return {}  # "kan vi tage fredag i stedet", or only a phone number: the other extractors take it
        if (latest_entity(tracker, "service") or service_named(text)) and not looks_like_name(text):
            return {}  # "nej, det skal være hos lægen": a correction of the service
        if looks_like_name(text) or intent in ("inform", "nlu_fallback") or turn.on_phone:
            # On the phone the recogniser often garbles names and the NLU calls them anything: take what
            # was heard; the read-back before booking lets the caller say "navnet er forkert".
            return {NAME: text}  # validate_citizen_name refuses what is not a name
        return {}

    async def validate_citizen_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A name of letters, spaces, hyphens; 'mit navn er' and the like are removed."""
        turn = TurnContext.of(tracker)
        name = clean_name(value, heard_on_phone=turn.on_phone)
        if name is None:
            return {NAME: None, NOTICE: turn.message("booking_bad_name")}
        return {NAME: name}

    async def extract_citizen_phone(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The caller's own number on 'ja', or eight digits written or spoken.

        Before the phone question a phone number written in a longer message is taken too.
        """
        intent = latest_intent(tracker)
        if tracker.get_slot(REQUESTED) != PHONE:
            if intent in STRONG_INTERRUPTIONS or latest_text(tracker).startswith("/"):
                return {}
            phone = phone_in_sentence(latest_text(tracker))
            return {PHONE: phone} if phone and phone != tracker.get_slot(PHONE) else {}
        caller = normalise_phone(tracker.get_slot(CALLER) or "")
        if caller and not tracker.get_slot(CALLER_DECLINED):
            if intent == "affirm":
                return {PHONE: caller}
            if intent == "deny":
                return {PHONE: None, CALLER_DECLINED: True}
        if intent in INTERRUPTIONS:
            return {}
        phone = phone_number_in(latest_text(tracker))
        if phone:
            return {PHONE: phone}
        if _names_other_detail(tracker) or _says_when(tracker):
            return {}  # "hellere fredag" at the phone question: the other extractors take it
        return {PHONE: None, NOTICE: TurnContext.of(tracker).message("booking_bad_phone")}

    async def validate_booking_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """'Nej' to the read-back: change what the citizen names, else find another time."""
        if value is True:
            return {CONFIRMED: True}
        if set(tracker.slots_to_validate()) & {SERVICE, DAY, TIME, NAME, PHONE}:
            return {CONFIRMED: None}  # "nej, hellere fredag": the new detail was taken already; read back again
        reset: dict[str, Any] = {CONFIRMED: None}
        correction = correction_asked(latest_text(tracker))
        if correction == "name":
            reset[NAME] = None
        elif correction == "phone":
            reset.update({PHONE: None, CALLER_DECLINED: True})
        else:
            reset.update({DAY: None, TIME: None})
        reset[NOTICE] = TurnContext.of(tracker).message("booking_what_to_change")
        return reset


_PHONE_ONLY = re.compile(r"\b(?:mit )?(?:telefon)?(?:nummer|nr\.?|tlf\.?|telefon)(?: er)?\b", re.IGNORECASE)


def _name_of(turn: TurnContext) -> str:
    return turn.calendar.service.name if turn.calendar else ""


def _names_other_detail(tracker: Tracker) -> bool:
    """True when the latest message names a service, a name or a phone number (a correction of that detail)."""
    text = latest_text(tracker)
    return bool(
        latest_entity(tracker, "service") or service_named(text) or name_in_sentence(text) or phone_in_sentence(text)
    )


def _says_when(tracker: Tracker) -> bool:
    """True when the latest message names a day or a clock time."""
    when = parse_when(latest_text(tracker), TurnContext.of(tracker).now)
    return bool(when.day or when.clock or when.problem)


def pop_notice(tracker: Tracker) -> tuple[str | None, list[EventType]]:
    """The notice the validation left for the next question, and the event that forgets it once spoken."""
    notice = tracker.get_slot(NOTICE)
    return notice, ([SlotSet(NOTICE, None)] if notice else [])


def yes_no_buttons(turn: TurnContext, yes_key: str = "answer_yes") -> list[dict[str, str]]:
    """'Ja' (or the text of ``yes_key``) and 'Nej' buttons that send affirm and deny."""
    return [
        {"title": turn.message(yes_key), "payload": "/affirm"},
        {"title": turn.message("answer_no"), "payload": "/deny"},
    ]


def _ask_with_choices(
    dispatcher: CollectingDispatcher, turn: TurnContext, key: str, choices: list[datetime], **values: str
) -> list[EventType]:
    """Ask message ``key`` with the choices spoken and as buttons; remember them as offered."""
    text = turn.message(key, choices=speak_choices(choices, turn.today), **values)
    dispatcher.utter_message(text=text, buttons=offer_buttons(choices, turn.today))
    return [SlotSet(OFFERED, [c.isoformat() for c in choices])]


class AskBookingService(Action):
    """Ask which service; a notice from the validation comes first."""

    def name(self) -> str:
        """The form asks for booking_service with this action."""
        return "action_ask_booking_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Ask with buttons for the services this municipality offers."""
        turn = TurnContext.of(tracker)
        notice, events = pop_notice(tracker)
        buttons = [
            {"title": turn.message(f"booking_service_button_{key}"), "payload": f'/inform{{"service": "{key}"}}'}
            for key in turn.municipality.booking
        ]
        if not buttons:
            # No municipality known yet: ask which one (municipality_form), then the form starts again there.
            asking = ask_first(tracker, turn, FORM) if turn.municipality.is_generic else []
            if not asking:
                dispatcher.utter_message(text=turn.message("appointment_unknown_municipality"))
            return [*events, SlotSet(SERVICE, None), ActiveLoop(None), SlotSet(REQUESTED, None), *asking]
        question = turn.message("booking_ask_service")
        dispatcher.utter_message(text=f"{notice} {question}" if notice else question, buttons=buttons)
        return events


class _OfferingQuestion:
    """A question that offers free times; a notice from the validation (with its offers) comes instead.

    A mixin, not an Action: rasa-sdk instantiates every Action subclass it finds.
    """

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Say the pending notice with its offered times, or ask with fresh choices."""
        turn = TurnContext.of(tracker)
        notice, events = pop_notice(tracker)
        if notice:
            offered = [datetime.fromisoformat(item) for item in tracker.get_slot(OFFERED) or []]
            dispatcher.utter_message(text=notice, buttons=offer_buttons(offered, turn.today))
            return events
        return await self.ask(dispatcher, tracker, turn)

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, turn: TurnContext) -> list[EventType]:
        """Ask the question with free times to choose from."""
        raise NotImplementedError


class AskBookingDay(_OfferingQuestion, Action):
    """Ask for the day, offering the earliest free slots."""

    def name(self) -> str:
        """The form asks for booking_day with this action."""
        return "action_ask_booking_day"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, turn: TurnContext) -> list[EventType]:
        """Offer the earliest free slots."""
        choices = earliest_free_times(turn)
        if not choices:
            dispatcher.utter_message(text=turn.message("booking_ask_day_no_choices"))
            return []
        return _ask_with_choices(dispatcher, turn, "booking_ask_day", choices)


class AskBookingTime(_OfferingQuestion, Action):
    """Ask for the time on the chosen day, offering free times (in the wished part of the day)."""

    def name(self) -> str:
        """The form asks for booking_time with this action."""
        return "action_ask_booking_time"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, turn: TurnContext) -> list[EventType]:
        """Offer three free times that day (in the wished part of the day)."""
        day = parse_day(tracker.get_slot(DAY))
        choices = free_times_on(turn, day, tracker.get_slot(WINDOW))
        day_words = describe_day(day, turn.today) if day else turn.message("booking_that_day")
        return _ask_with_choices(dispatcher, turn, "booking_ask_time", choices, day=day_words)


class AskCitizenName(Action):
    """Ask for the citizen's name."""

    def name(self) -> str:
        """The form asks for citizen_name with this action."""
        return "action_ask_citizen_name"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Ask (after a notice, if the last answer was not a name)."""
        turn = TurnContext.of(tracker)
        notice, events = pop_notice(tracker)
        dispatcher.utter_message(text=notice or turn.message("booking_ask_name"))
        return events


class AskCitizenPhone(Action):
    """Ask for the phone number; on the phone offer the number the citizen calls from."""

    def name(self) -> str:
        """The form asks for citizen_phone with this action."""
        return "action_ask_citizen_phone"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """'Skal jeg bruge det nummer, du ringer fra?' or ask for eight digits."""
        turn = TurnContext.of(tracker)
        notice, events = pop_notice(tracker)
        caller = normalise_phone(tracker.get_slot(CALLER) or "")
        if caller and not tracker.get_slot(CALLER_DECLINED) and not notice:
            text = turn.message("booking_ask_use_caller", citizen_phone=spoken_phone(caller)[-5:])
            dispatcher.utter_message(text=text, buttons=yes_no_buttons(turn))
            return events
        dispatcher.utter_message(text=notice or turn.message("booking_ask_phone"))
        return events


class AskBookingConfirmed(Action):
    """Read the booking back and ask for a yes."""

    def name(self) -> str:
        """The form asks for booking_confirmed with this action."""
        return "action_ask_booking_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """'Jeg booker en tid hos … Er det korrekt?' with Ja/Nej."""
        turn = TurnContext.of(tracker)
        notice, events = pop_notice(tracker)
        day, clock = parse_day(tracker.get_slot(DAY)), parse_time(tracker.get_slot(TIME))
        if turn.calendar is None or day is None or clock is None:
            return [*events, SlotSet(CONFIRMED, None)]
        start = datetime.combine(day, clock, tzinfo=TIMEZONE)
        text = turn.message(
            "booking_read_back",
            service_name=turn.calendar.service.name, when=speak_slot(start, turn.today),
            name=tracker.get_slot(NAME) or "", citizen_phone=spoken_phone(tracker.get_slot(PHONE) or ""),
        )  # fmt: skip
        buttons = yes_no_buttons(turn, yes_key="booking_read_back_yes")
        dispatcher.utter_message(text=f"{notice} {text}" if notice else text, buttons=buttons)
        return events


def _reset_form() -> list[EventType]:
    return [SlotSet(slot, None) for slot in ALL_FORM_SLOTS]


class ActionSubmitBooking(Action):
    """Book the confirmed slot in the calendar and give the reference."""

    def name(self) -> str:
        """Runs when booking_form is complete."""
        return "action_submit_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Book; if the slot was taken meanwhile, offer others and ask again."""
        turn = TurnContext.of(tracker)
        calendar = turn.calendar
        day, clock = parse_day(tracker.get_slot(DAY)), parse_time(tracker.get_slot(TIME))
        if not tracker.get_slot(CONFIRMED) or calendar is None or day is None or clock is None:
            dispatcher.utter_message(text=turn.message("booking_stopped"))
            return _reset_form()
        start = datetime.combine(day, clock, tzinfo=TIMEZONE)
        try:
            booking = turn.bookings().book(
                turn.municipality.id, calendar.service.key, start, calendar.service.capacity,
                tracker.get_slot(NAME), tracker.get_slot(PHONE), turn.channel or "rest",
            )  # fmt: skip
        except SlotTaken:
            # Taken since the read-back: reopen the form, which offers other times and reads back again.
            offer = offer_times(turn, "booking_slot_taken", wished=start)
            return [
                SlotSet(TIME, None), SlotSet(CONFIRMED, None),
                *(SlotSet(slot, value) for slot, value in offer.slots().items()), FollowupAction(FORM),
            ]  # fmt: skip
        except Exception:
            logger.exception("Booking failed for conversation %s", tracker.sender_id)
            dispatcher.utter_message(text=turn.message("booking_failed"))
            return _reset_form()
        text = turn.message(
            "booking_booked",
            service_name=calendar.service.name, when=speak_slot(start, turn.today),
            address=calendar.service.address, reference=booking.spoken_reference,
        )  # fmt: skip
        dispatcher.utter_message(text=text)
        return [*_reset_form(), SlotSet("last_booking_reference", booking.reference)]


class ActionStopBooking(Action):
    """The citizen stops the form ('glem det'): nothing is booked."""

    def name(self) -> str:
        """Used by the rule that stops booking_form."""
        return "action_stop_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Say that nothing was booked and forget the form's slots."""
        dispatcher.utter_message(text=TurnContext.of(tracker).message("booking_stopped"))
        return _reset_form()


class ActionHandleInform(Action):
    """A detail given outside a form: start booking if it names a service or a day/time, else ask what to help with."""

    def name(self) -> str:
        """Used by the rule for ``inform`` outside forms."""
        return "action_handle_inform"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """'jeg skal have en tid ved jobcentret i morgen' classified as inform still books."""
        turn = TurnContext.of(tracker)
        if (
            latest_entity(tracker, "service") in ("jobcenter", "laege")
            or parse_when(latest_text(tracker), turn.now).found
        ):
            return [FollowupAction(FORM)]
        dispatcher.utter_message(response="utter_ask_what_help")
        return []
