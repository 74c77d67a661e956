"""Booking a meeting by conversation: the booking form's extraction, questions and submission.

The form ``booking_form`` asks only for what it does not know yet: service, day,
time, name, phone, then reads the booking back. Everything already said
("en lægetid på torsdag ved 10-tiden") fills the form at once, because the
day/time extractor runs on every message, including the one that starts the form.

Messages that explain a problem (day closed, time taken, bad phone number) are
stored in the ``booking_notice`` slot by the validation action and spoken by
the next question, so the citizen hears one coherent answer per turn.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, time
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking_calendar import ServiceCalendar, speak_choices, speak_slot
from actions.booking_store import SlotTaken, normalise_phone
from actions.context import booking_provider, content, municipality_for, settings
from actions.danish_time import NUMBER_WORDS, PARTS_OF_DAY, parse_when
from actions.day_reference import describe_day
from actions.settings import TIMEZONE
from muni_core.municipalities import Municipality

logger = logging.getLogger(__name__)
FORM = "booking_form"
SERVICE, DAY, TIME, WINDOW = "booking_service", "booking_day", "booking_time", "booking_window"
NAME, PHONE, CONFIRMED = "citizen_name", "citizen_phone", "booking_confirmed"
OFFERED, NOTICE, CALLER, CALLER_DECLINED = "offered_slots", "booking_notice", "caller_number", "caller_declined"
FORM_SLOTS = (SERVICE, DAY, TIME, WINDOW, NAME, PHONE, CONFIRMED, OFFERED, NOTICE, CALLER_DECLINED)
# Slots the extractors set besides the form's required slots.
HELPER_SLOTS = frozenset({WINDOW, OFFERED, NOTICE, CALLER_DECLINED, SERVICE})
# The booking form's slots and those of manage_booking_form: forgotten when either form ends.
ALL_FORM_SLOTS = (*FORM_SLOTS, "manage_action", "manage_reference", "manage_confirmed")
# Intents that interrupt the form (answered by rules, then the form continues or stops).
INTERRUPTIONS = frozenset(
    {"faq", "human_handoff", "opening_hours", "contact_info", "bot_challenge", "repeat", "out_of_scope",
     "greet", "thank", "goodbye", "stop", "cancel_appointment", "check_appointment", "nlu_fallback"}
)  # fmt: skip
# Interruptions that win even when the message also mentions a day or time.
STRONG_INTERRUPTIONS = frozenset(
    {"faq", "human_handoff", "opening_hours", "contact_info", "bot_challenge", "repeat", "stop",
     "cancel_appointment", "check_appointment"}
)  # fmt: skip
_ORDINALS = {
    0: r"\b(?:første|1\.?|nummer (?:et|en|1))\b|^\s*(?:1|en|et)\s*$",
    1: r"\b(?:anden|andet|2\.|nummer (?:to|2))\b|^\s*(?:2|to)\s*$",
    2: r"\b(?:tredje|sidste|3\.|nummer (?:tre|3))\b|^\s*(?:3|tre)\s*$",
}
_NAME_PREFIX = re.compile(r"^(?:mit navn er|jeg hedder|navnet er|det er|den er på|jeg er)\s+", re.IGNORECASE)
_NAME_PATTERN = re.compile(r"^[A-Za-zÆØÅæøåÄÖÜäöüÉéÈèÁáÍíÓóÚúÇçÑñ' .-]{2,80}$")
NOT_NAMES = frozenset(
    {"ja", "nej", "hej", "ok", "okay", "tak", "hvad", "hvorfor", "nå", "øh", "jo", "jep", "nope", "hallo", "goddag",
     "ved ikke", "det ved jeg ikke", "hvem", "stop", "glem det", "jobcentret", "lægen", "borgerservice"}
)  # fmt: skip


def now() -> datetime:
    """The current local time (MUNI_NOW in tests)."""
    return settings().now()


def calendar_for(tracker: Tracker) -> ServiceCalendar | None:
    """The calendar of the chosen service in the conversation's municipality, if both are known."""
    municipality = municipality_for(tracker)
    service = municipality.booking.get(tracker.get_slot(SERVICE) or "")
    return ServiceCalendar(municipality, service) if service else None


def spoken_phone(digits: str) -> str:
    """'20304050' -> '20 30 40 50'."""
    return " ".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def digits_from_words(text: str) -> str:
    """Spoken digits to digits: 'tyve tredive fyrre halvtreds' -> '20 30 40 50'."""
    words = re.findall(r"[a-zæøå]+|\d+", text.lower())
    converted = []
    for word in words:
        if word.isdigit():
            converted.append(word)
            continue
        compound = re.fullmatch(
            r"(en|to|tre|fire|fem|seks|syv|otte|ni)og(tyve|tredive|fyrre|halvtreds|tres|halvfjerds|firs|halvfems)", word
        )
        tens = {"tyve": 20, "tredive": 30, "fyrre": 40, "halvtreds": 50, "tres": 60, "halvfjerds": 70, "firs": 80,
                "halvfems": 90}  # fmt: skip
        units = {"en": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5, "seks": 6, "syv": 7, "otte": 8, "ni": 9}
        if compound:
            converted.append(str(units[compound.group(1)] + tens[compound.group(2)]))
        elif word in tens:
            converted.append(str(tens[word]))
        elif word in NUMBER_WORDS:
            converted.append(str(NUMBER_WORDS[word]))
    return " ".join(converted)


def _latest_intent(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""


def _entity(tracker: Tracker, name: str) -> str | None:
    return next(tracker.get_latest_entity_values(name), None)


def _parse_day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _parse_time(value: Any) -> time | None:
    try:
        return time.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def offer_buttons(choices: list[datetime], today: date) -> list[dict[str, str]]:
    """Buttons that pick an offered slot directly."""
    return [
        {
            "title": speak_slot(choice, today),
            "payload": f'/inform{{"booking_day": "{choice.date().isoformat()}", "booking_time": "{choice:%H:%M}"}}',
        }
        for choice in choices
    ]


def match_offered(text: str, day: date | None, clock: time | None, offered: list[str]) -> datetime | None:
    """The offered slot the citizen picked ('den første', 'kl. 13', 'fredag'), if unambiguous."""
    starts = [datetime.fromisoformat(item) for item in offered or []]
    lowered = text.lower().strip()
    for index, pattern in _ORDINALS.items():
        if index < len(starts) and re.search(pattern, lowered):
            return starts[index]
    bare = re.fullmatch(r"\D*?(\d{1,2})(?:[.:](\d{2}))?\D*", lowered)
    if clock is None and bare and not day:
        hour = int(bare.group(1))
        clock = time(hour + 12 if 1 <= hour <= 6 else hour, int(bare.group(2) or 0)) if hour < 24 else None
    matching = [s for s in starts if (day is None or s.date() == day) and (clock is None or s.time() == clock)]
    if (day or clock) and len(matching) == 1:
        return matching[0]
    return None


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
        extraction_events = await self.get_extraction_events(dispatcher, tracker, domain)
        tracker.add_slots(extraction_events)
        validation_events = await self._extract_validation_events(dispatcher, tracker, domain)
        validated = {event["name"] for event in validation_events if event.get("event") == "slot"}
        helpers = [e for e in extraction_events if e["name"] in HELPER_SLOTS and e["name"] not in validated]
        return helpers + validation_events

    async def extract_booking_day(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Day and time (and offered-slot choices) from the latest message; both slots at once."""
        requested = tracker.get_slot("requested_slot")
        intent = _latest_intent(tracker)
        if intent in STRONG_INTERRUPTIONS or requested == PHONE:
            return {}
        if requested == CONFIRMED and intent == "affirm":
            return {}
        text = (tracker.latest_message or {}).get("text") or ""
        current = now()
        entity_day, entity_time = _parse_day(_entity(tracker, DAY)), _parse_time(_entity(tracker, TIME))
        when = parse_when(text, current) if not (entity_day or entity_time) else None
        day = entity_day or (when.day if when else None)
        clock = entity_time or (when.clock if when else None)
        picked = match_offered(text, day, clock, tracker.get_slot(OFFERED) or [])
        if picked:
            day, clock = picked.date(), picked.time()
        if requested == NAME and not (day or clock):
            return {}  # at the name question only an explicit day or time changes the booking
        if not (day or clock or (when and when.found)):
            if intent in INTERRUPTIONS:
                return {}  # nothing about when: a fallback or small talk goes to the rules
            if requested in (DAY, TIME):
                notice = "Det forstod jeg ikke helt. Sig fx 'på torsdag', 'den 14. december' eller 'klokken 10'."
                return {requested: None, NOTICE: notice}
            return {}
        if day is None and clock is not None and tracker.get_slot(DAY):
            day = _parse_day(tracker.get_slot(DAY))
        if clock is None and day is not None and when and not when.part_of_day and tracker.get_slot(TIME):
            clock = _parse_time(tracker.get_slot(TIME))
        return self.plan(tracker, day, clock, when, current)

    def plan(self, tracker: Tracker, day: date | None, clock: time | None, when: Any, current: datetime) -> dict:
        """Slots (and a notice) for the wished day/time, checked against the calendar when known."""
        window = when.part_of_day if when else None
        slots: dict[str, Any] = {
            DAY: day.isoformat() if day else None,
            TIME: clock.strftime("%H:%M") if clock else None,
            WINDOW: window,
        }
        calendar = calendar_for(tracker)
        problem = when.problem if when else None
        if problem or (when and (when.asap or when.earliest)):
            slots[DAY] = None if problem or not day else slots[DAY]
            slots[TIME] = None
            if calendar is None:
                slots[NOTICE] = self._problem_text(tracker, problem) if problem else None
                return slots
            key = f"booking_{problem}" if problem else "booking_ask_day"
            return {**slots, **self._offer(tracker, calendar, key, current, day=when.earliest or None)}
        if calendar is None or day is None:
            return slots
        start = datetime.combine(day, clock or time(12), tzinfo=TIMEZONE)
        day_problem = None
        if calendar.closed_reason(day) or not calendar.service.hours.get(day.weekday()):
            day_problem = "booking_closed_day"
        elif day < current.date():
            day_problem = "booking_past"
        elif calendar.problem_with(start.replace(hour=23, minute=59), current) == "too_far":
            day_problem = "booking_too_far"
        if day_problem:
            return {**slots, DAY: None, TIME: None, **self._offer(tracker, calendar, day_problem, current, day=day)}
        if clock is None:
            if not calendar.free_slots(booking_provider(), day, 1, current):
                return {**slots, DAY: None, **self._offer(tracker, calendar, "booking_ask_time_full", current, day=day)}
            return slots
        start = datetime.combine(day, clock, tzinfo=TIMEZONE)
        slot_problem = calendar.problem_with(start, current)
        if slot_problem is None and calendar.is_free(booking_provider(), start, current):
            return slots
        key = {
            None: "booking_slot_taken",
            "past": "booking_past",
            "too_soon": "booking_too_soon",
            "outside_hours": "booking_outside_hours",
            "closed": "booking_closed_day",
            "too_far": "booking_too_far",
        }[slot_problem]
        return {**slots, TIME: None, **self._offer(tracker, calendar, key, current, wished=start)}

    def _problem_text(self, tracker: Tracker, problem: str) -> str:
        municipality = municipality_for(tracker)
        return content().message(f"booking_{problem}", municipality, choices="flere ledige tider").strip()

    def _offer(
        self,
        tracker: Tracker,
        calendar: ServiceCalendar,
        key: str,
        current: datetime,
        *,
        wished: datetime | None = None,
        day: date | None = None,
    ) -> dict[str, Any]:
        choices = calendar.nearest_free(booking_provider(), current, wished=wished, day=day)
        municipality = municipality_for(tracker)
        values = {"service_name": calendar.service.name, "day": describe_day(day, current.date()) if day else ""}
        values["when"] = speak_slot(wished, current.date()) if wished else values["day"]
        if not choices:
            text = content().message("booking_no_free_slots", municipality, **values)
            return {OFFERED: None, NOTICE: text}
        text = content().message(key, municipality, choices=speak_choices(choices, current.date()), **values)
        return {OFFERED: [c.isoformat() for c in choices], NOTICE: text[0].upper() + text[1:]}

    async def validate_booking_service(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept jobcenter/laege offered by this municipality; re-check a day/time said before."""
        municipality = municipality_for(tracker)
        if value not in municipality.booking:
            return {SERVICE: None}
        day, clock = _parse_day(tracker.get_slot(DAY)), _parse_time(tracker.get_slot(TIME))
        if day is None:
            return {SERVICE: value}
        tracker.slots[SERVICE] = value
        return {SERVICE: value, **self.plan(tracker, day, clock, None, now())}

    async def extract_citizen_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """At the name question, a name-shaped answer is the name, whatever the NLU made of it."""
        if tracker.get_slot("requested_slot") != NAME:
            return {}
        intent = _latest_intent(tracker)
        text = ((tracker.latest_message or {}).get("text") or "").strip()
        if intent in ("human_handoff", "stop", "deny", "affirm") or text.startswith("/"):
            return {}
        when = parse_when(text, now())
        if when.day or when.clock:
            return {}  # "kan vi tage fredag i stedet": the day extractor takes it
        if looks_like_name(text) or intent in ("inform", "nlu_fallback") or _on_phone(tracker):
            # On the phone the recogniser often garbles names and the NLU calls them anything: take what
            # was heard; the read-back before booking lets the caller say "navnet er forkert".
            return {NAME: text}  # validate_citizen_name refuses what is not a name
        return {}

    async def validate_citizen_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A name of letters, spaces, hyphens; 'mit navn er' and the like are removed."""
        name = _NAME_PREFIX.sub("", str(value or "").strip()).strip(" .!")
        if _on_phone(tracker):  # a transcript: drop the recogniser's punctuation instead of refusing
            name = " ".join(re.sub(r"[^A-Za-zÆØÅæøåÄÖÜäöüÉé' -]", " ", name).split())
        if (
            not _NAME_PATTERN.match(name)
            or not re.search(r"[A-Za-zÆØÅæøå]{2}", name)
            or name.lower().strip() in NOT_NAMES
            or len(name.split()) > 6
        ):
            notice = content().message("booking_bad_name", municipality_for(tracker))
            return {NAME: None, NOTICE: notice}
        return {NAME: " ".join(part[:1].upper() + part[1:] for part in name.split())}

    async def extract_citizen_phone(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The caller's own number on 'ja', or eight digits written or spoken."""
        if tracker.get_slot("requested_slot") != PHONE:
            return {}
        intent = _latest_intent(tracker)
        caller = normalise_phone(tracker.get_slot(CALLER) or "")
        if caller and not tracker.get_slot(CALLER_DECLINED):
            if intent == "affirm":
                return {PHONE: caller}
            if intent == "deny":
                return {PHONE: None, CALLER_DECLINED: True}
        if intent in INTERRUPTIONS:
            return {}
        text = (tracker.latest_message or {}).get("text") or ""
        phone = normalise_phone(text) or normalise_phone(digits_from_words(text).replace(" ", ""))
        if phone:
            return {PHONE: phone}
        return {PHONE: None, NOTICE: content().message("booking_bad_phone", municipality_for(tracker))}

    async def validate_booking_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """'Nej' to the read-back: change what the citizen names, else find another time."""
        if value is True:
            return {CONFIRMED: True}
        text = ((tracker.latest_message or {}).get("text") or "").lower()
        if DAY in tracker.slots_to_validate() or TIME in tracker.slots_to_validate():
            return {CONFIRMED: None}  # "nej, hellere fredag": the new day/time was taken already
        reset: dict[str, Any] = {CONFIRMED: None}
        if "navn" in text:
            reset[NAME] = None
        elif re.search(r"nummer|telefon", text):
            reset.update({PHONE: None, CALLER_DECLINED: True})
        else:
            reset.update({DAY: None, TIME: None})
        reset[NOTICE] = content().message("booking_what_to_change", municipality_for(tracker))
        return reset


_FUNCTION_WORDS = frozenset(
    "jeg du han hun vi de det den der her hvad hvordan hvorfor hvornår hvor hvem er var har skal kan vil må "
    "en et og i på til med om af for fra ikke min mit mine dit din tid pas kort ja nej hej tak".split()
)


def _on_phone(tracker: Tracker) -> bool:
    """True when the citizen's latest message came from a phone call (speech recognised by the gateway)."""
    return tracker.get_latest_input_channel() == "phone"


def looks_like_name(text: str) -> bool:
    """1-5 words of letters (after 'mit navn er'), none of them a common Danish function word."""
    words = _NAME_PREFIX.sub("", text).strip(" .!").split()
    return 0 < len(words) <= 5 and all(
        re.fullmatch(r"[A-Za-zÆØÅæøåÄÖÜäöüÉé'-]{2,}", w) and w.lower() not in _FUNCTION_WORDS for w in words
    )


def _pop_notice(tracker: Tracker) -> tuple[str | None, list[EventType]]:
    notice = tracker.get_slot(NOTICE)
    return notice, ([SlotSet(NOTICE, None)] if notice else [])


def _ask_with_choices(
    dispatcher: CollectingDispatcher, municipality: Municipality, key: str, choices: list[datetime], **values: str
) -> list[EventType]:
    """Ask message ``key`` with the choices spoken and as buttons; remember them as offered."""
    today = now().date()
    text = content().message(key, municipality, choices=speak_choices(choices, today), **values)
    dispatcher.utter_message(text=text, buttons=offer_buttons(choices, today))
    return [SlotSet(OFFERED, [c.isoformat() for c in choices])]


def _offered_buttons(tracker: Tracker) -> list[dict[str, str]]:
    offered = [datetime.fromisoformat(item) for item in tracker.get_slot(OFFERED) or []]
    return offer_buttons(offered, now().date())


class AskBookingService(Action):
    """Ask which service; a notice from the validation comes first."""

    def name(self) -> str:
        """The form asks for booking_service with this action."""
        return "action_ask_booking_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Ask with buttons for the services this municipality offers."""
        municipality = municipality_for(tracker)
        notice, events = _pop_notice(tracker)
        labels = {"jobcenter": "Jobcentret", "laege": "Lægen"}
        buttons = [{"title": labels[key], "payload": f'/inform{{"service": "{key}"}}'} for key in municipality.booking]
        if not buttons:
            dispatcher.utter_message(text=content().message("appointment_unknown_municipality", municipality))
            return [*events, SlotSet(SERVICE, None), ActiveLoop(None), SlotSet("requested_slot", None)]
        question = content().message("booking_ask_service", municipality)
        dispatcher.utter_message(text=f"{notice} {question}" if notice else question, buttons=buttons)
        return events


class _OfferingQuestion:
    """A question that offers free times; a notice from the validation (with its offers) comes instead.

    A mixin, not an Action: rasa-sdk instantiates every Action subclass it finds.
    """

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Say the pending notice with its offered times, or ask with fresh choices."""
        notice, events = _pop_notice(tracker)
        if notice:
            dispatcher.utter_message(text=notice, buttons=_offered_buttons(tracker))
            return events
        return await self.ask(dispatcher, tracker)

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        """Ask the question with free times to choose from."""
        raise NotImplementedError


class AskBookingDay(_OfferingQuestion, Action):
    """Ask for the day, offering the earliest free slots."""

    def name(self) -> str:
        """The form asks for booking_day with this action."""
        return "action_ask_booking_day"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        """Offer the earliest free slots."""
        calendar = calendar_for(tracker)
        municipality = municipality_for(tracker)
        choices = calendar.nearest_free(booking_provider(), now()) if calendar else []
        if not choices:
            dispatcher.utter_message(text=content().message("booking_ask_day_no_choices", municipality))
            return []
        return _ask_with_choices(dispatcher, municipality, "booking_ask_day", choices)


class AskBookingTime(_OfferingQuestion, Action):
    """Ask for the time on the chosen day, offering free times (in the wished part of the day)."""

    def name(self) -> str:
        """The form asks for booking_time with this action."""
        return "action_ask_booking_time"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        """Offer three free times that day (in the wished part of the day)."""
        calendar = calendar_for(tracker)
        day = _parse_day(tracker.get_slot(DAY))
        current = now()
        window = PARTS_OF_DAY.get(tracker.get_slot(WINDOW) or "")
        choices = calendar.nearest_free(booking_provider(), current, day=day, window=window) if calendar and day else []
        choices = [c for c in choices if c.date() == day] or choices
        day_words = describe_day(day, current.date()) if day else "den dag"
        return _ask_with_choices(dispatcher, municipality_for(tracker), "booking_ask_time", choices, day=day_words)


class AskCitizenName(Action):
    """Ask for the citizen's name."""

    def name(self) -> str:
        """The form asks for citizen_name with this action."""
        return "action_ask_citizen_name"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Ask (after a notice, if the last answer was not a name)."""
        notice, events = _pop_notice(tracker)
        dispatcher.utter_message(text=notice or content().message("booking_ask_name", municipality_for(tracker)))
        return events


class AskCitizenPhone(Action):
    """Ask for the phone number; on the phone offer the number the citizen calls from."""

    def name(self) -> str:
        """The form asks for citizen_phone with this action."""
        return "action_ask_citizen_phone"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """'Skal jeg bruge det nummer, du ringer fra?' or ask for eight digits."""
        notice, events = _pop_notice(tracker)
        municipality = municipality_for(tracker)
        caller = normalise_phone(tracker.get_slot(CALLER) or "")
        if caller and not tracker.get_slot(CALLER_DECLINED) and not notice:
            text = content().message("booking_ask_use_caller", municipality, citizen_phone=spoken_phone(caller)[-5:])
            dispatcher.utter_message(
                text=text, buttons=[{"title": "Ja", "payload": "/affirm"}, {"title": "Nej", "payload": "/deny"}]
            )
            return events
        dispatcher.utter_message(text=notice or content().message("booking_ask_phone", municipality))
        return events


class AskBookingConfirmed(Action):
    """Read the booking back and ask for a yes."""

    def name(self) -> str:
        """The form asks for booking_confirmed with this action."""
        return "action_ask_booking_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """'Jeg booker en tid hos … Er det korrekt?' with Ja/Nej."""
        notice, events = _pop_notice(tracker)
        calendar = calendar_for(tracker)
        day, clock = _parse_day(tracker.get_slot(DAY)), _parse_time(tracker.get_slot(TIME))
        if calendar is None or day is None or clock is None:
            return [*events, SlotSet(CONFIRMED, None)]
        start = datetime.combine(day, clock, tzinfo=TIMEZONE)
        text = content().message(
            "booking_read_back", calendar.municipality,
            service_name=calendar.service.name, when=speak_slot(start, now().date()),
            name=tracker.get_slot(NAME) or "", citizen_phone=spoken_phone(tracker.get_slot(PHONE) or ""),
        )  # fmt: skip
        buttons = [{"title": "Ja, book tiden", "payload": "/affirm"}, {"title": "Nej", "payload": "/deny"}]
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
        calendar = calendar_for(tracker)
        day, clock = _parse_day(tracker.get_slot(DAY)), _parse_time(tracker.get_slot(TIME))
        municipality = municipality_for(tracker)
        if not tracker.get_slot(CONFIRMED) or calendar is None or day is None or clock is None:
            dispatcher.utter_message(text=content().message("booking_stopped", municipality))
            return _reset_form()
        start = datetime.combine(day, clock, tzinfo=TIMEZONE)
        try:
            booking = booking_provider().book(
                municipality.id, calendar.service.key, start, calendar.service.capacity,
                tracker.get_slot(NAME), tracker.get_slot(PHONE), tracker.get_latest_input_channel() or "rest",
            )  # fmt: skip
        except SlotTaken:
            # Taken since the read-back: reopen the form, which offers other times and reads back again.
            offer = ValidateBookingForm()._offer(tracker, calendar, "booking_slot_taken", now(), wished=start)
            return [
                SlotSet(TIME, None), SlotSet(CONFIRMED, None), SlotSet(OFFERED, offer[OFFERED]),
                SlotSet(NOTICE, offer[NOTICE]), FollowupAction(FORM),
            ]  # fmt: skip
        except Exception:
            logger.exception("Booking failed for conversation %s", tracker.sender_id)
            dispatcher.utter_message(text=content().message("booking_failed", municipality))
            return _reset_form()
        text = content().message(
            "booking_booked", municipality,
            service_name=calendar.service.name, when=speak_slot(start, now().date()),
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
        dispatcher.utter_message(text=content().message("booking_stopped", municipality_for(tracker)))
        return _reset_form()


class ActionHandleInform(Action):
    """A detail given outside a form: start booking if it names a service or a day/time, else ask what to help with."""

    def name(self) -> str:
        """Used by the rule for ``inform`` outside forms."""
        return "action_handle_inform"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """'jeg skal have en tid ved jobcentret i morgen' classified as inform still books."""
        text = (tracker.latest_message or {}).get("text") or ""
        if _entity(tracker, "service") in ("jobcenter", "laege") or parse_when(text, now()).found:
            return [FollowupAction(FORM)]
        dispatcher.utter_message(response="utter_ask_what_help")
        return []
