"""Planning a booking: the wished day and time checked against the service's calendar, and the free times to offer.

A wish that cannot be booked (a closed day, a taken time, too far ahead …) becomes an :class:`Offer`:
the free times nearest the wish and the notice that explains why, which the form's next question speaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from actions.booking_calendar import ServiceCalendar, speak_choices, speak_slot
from actions.booking_slots import DAY, NOTICE, OFFERED, TIME, WINDOW
from actions.context import TurnContext
from actions.danish_time import PARTS_OF_DAY, When
from actions.day_reference import describe_day
from actions.settings import TIMEZONE
from muni_core.danish.grammar import genitive

# Message for each reason ServiceCalendar.problem_with gives (None: the slot is taken).
_SLOT_PROBLEM_MESSAGES = {
    None: "booking_slot_taken",
    "past": "booking_past",
    "too_soon": "booking_too_soon",
    "outside_hours": "booking_outside_hours",
    "off_grid": "booking_off_grid",
    "closed": "booking_closed_day",
    "too_far": "booking_too_far",
}


@dataclass(frozen=True)
class Offer:
    """Free times offered instead of a wish, and the notice that announces them (or says there are none)."""

    choices: tuple[datetime, ...]
    notice: str

    def slots(self) -> dict[str, Any]:
        """The offered times and the notice as slot values."""
        return {OFFERED: [c.isoformat() for c in self.choices] or None, NOTICE: self.notice}


def _calendar(turn: TurnContext) -> ServiceCalendar:
    if turn.calendar is None:
        raise ValueError("no booking service chosen in this turn")
    return turn.calendar


def offer_times(turn: TurnContext, key: str, *, wished: datetime | None = None, day: date | None = None) -> Offer:
    """The free times nearest ``wished`` (a moment) or ``day``, announced by message ``key``.

    The turn must know the chosen service's calendar. Without free times the notice says so.
    """
    calendar = _calendar(turn)
    choices = calendar.nearest_free(turn.bookings(), turn.now, wished=wished, day=day)
    values = {
        "service_name": calendar.service.name,
        "service_name_genitive": genitive(calendar.service.name),
        "slot_interval": slot_interval(turn, calendar.service.slot_minutes),
        "day": describe_day(day, turn.today) if day else "",
    }
    values["when"] = speak_slot(wished, turn.today) if wished else values["day"]
    if not choices:
        return Offer((), turn.message("booking_no_free_slots", **values))
    text = turn.message(key, choices=speak_choices(choices, turn.today), **values)
    return Offer(tuple(choices), text[0].upper() + text[1:])


def slot_interval(turn: TurnContext, minutes: int) -> str:
    """How often a service has times: 'hvert kvarter', 'hver halve time', 'hver time', 'hvert 45. minut'."""
    if minutes in (15, 30, 60):
        return turn.message(f"booking_every_{minutes}")
    return turn.message("booking_every_minutes", slot_interval=str(minutes))


def problem_text(turn: TurnContext, problem: str) -> str:
    """The notice for a wish that cannot be booked ('past', 'impossible_date') before the service is known."""
    return turn.message(f"booking_{problem}", choices=turn.message("booking_several_free_times")).strip()


def plan_wish(turn: TurnContext, day: date | None, clock: time | None, when: When | None) -> dict[str, Any]:
    """Slots for the wished day/time (and a notice with offered times), checked against the calendar when known."""
    slots: dict[str, Any] = {
        DAY: day.isoformat() if day else None,
        TIME: clock.strftime("%H:%M") if clock else None,
        WINDOW: when.part_of_day if when else None,
    }
    calendar, current = turn.calendar, turn.now
    problem = when.problem if when else None
    if problem or (when and (when.asap or when.earliest)):
        slots[DAY] = None if problem or not day else slots[DAY]
        slots[TIME] = None
        if calendar is None:
            slots[NOTICE] = problem_text(turn, problem) if problem else None
            return slots
        key = f"booking_{problem}" if problem else "booking_ask_day"
        return {**slots, **offer_times(turn, key, day=when.earliest if when and when.earliest else None).slots()}
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
        return {**slots, DAY: None, TIME: None, **offer_times(turn, day_problem, day=day).slots()}
    if clock is None:
        if not calendar.free_slots(turn.bookings(), day, 1, current):
            return {**slots, DAY: None, **offer_times(turn, "booking_ask_time_full", day=day).slots()}
        return slots
    start = datetime.combine(day, clock, tzinfo=TIMEZONE)
    slot_problem = calendar.problem_with(start, current)
    if slot_problem is None and calendar.is_free(turn.bookings(), start, current):
        return slots
    return {**slots, TIME: None, **offer_times(turn, _SLOT_PROBLEM_MESSAGES[slot_problem], wished=start).slots()}


def earliest_free_times(turn: TurnContext) -> list[datetime]:
    """The earliest free times of the chosen service (none when no service is chosen)."""
    return turn.calendar.nearest_free(turn.bookings(), turn.now) if turn.calendar else []


def free_times_on(turn: TurnContext, day: date | None, part_of_day: str | None) -> list[datetime]:
    """Free times on ``day`` (in the wished part of the day), or the nearest ones when that day is full."""
    window = PARTS_OF_DAY.get(part_of_day or "")
    calendar = turn.calendar
    choices = calendar.nearest_free(turn.bookings(), turn.now, day=day, window=window) if calendar and day else []
    return [c for c in choices if c.date() == day] or choices


def offer_buttons(choices: list[datetime], today: date) -> list[dict[str, str]]:
    """Buttons that pick an offered slot directly."""
    return [
        {
            "title": speak_slot(choice, today),
            "payload": f'/inform{{"booking_day": "{choice.date().isoformat()}", "booking_time": "{choice:%H:%M}"}}',
        }
        for choice in choices
    ]
