"""The booking planner: a wish checked against the calendar, and the free times offered instead."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time

import pytest
from conftest import make_tracker, user_event

from actions.booking_calendar import ServiceCalendar
from actions.booking_offer import earliest_free_times, free_times_on, offer_times, plan_wish, slot_interval
from actions.context import TurnContext
from actions.danish_time import When
from actions.settings import TIMEZONE

pytestmark = pytest.mark.usefixtures("booking_env")  # Tuesday 1 December 2026, 09:00


def turn_with(service: str | None = "jobcenter") -> TurnContext:
    event = user_event("x", "inform", metadata={"municipality": "frederikshavn"})
    return TurnContext.of(make_tracker([event], slots={"booking_service": service}))


def test_offer_near_a_taken_time() -> None:
    turn = turn_with("laege")
    wished = datetime(2026, 12, 3, 10, tzinfo=TIMEZONE)
    turn.bookings().book("frederikshavn", "laege", wished, 1, "A", "11111111", "web")
    offer = offer_times(turn, "booking_slot_taken", wished=wished)
    assert [c.strftime("%H:%M") for c in offer.choices] == ["09:45", "10:15", "10:30"]
    assert offer.notice.startswith("Torsdag kl. 10 er desværre optaget. Jeg kan tilbyde torsdag kl. 9.45")
    assert offer.slots()["offered_slots"][0] == "2026-12-03T09:45:00+01:00"


def test_offer_without_free_times_says_so() -> None:
    turn = turn_with()
    closed = ServiceCalendar(turn.municipality, replace(turn.calendar.service, hours={}))
    offer = offer_times(replace(turn, calendar=closed), "booking_ask_day", day=date(2026, 12, 3))
    assert offer.choices == () and "ingen ledige tider" in offer.notice
    assert offer.slots() == {"offered_slots": None, "booking_notice": offer.notice}


def test_offer_needs_a_chosen_service() -> None:
    with pytest.raises(ValueError, match="no booking service"):
        offer_times(turn_with(None), "booking_ask_day")


def test_a_free_wish_is_kept() -> None:
    slots = plan_wish(turn_with(), date(2026, 12, 3), time(10), None)
    assert slots == {"booking_day": "2026-12-03", "booking_time": "10:00", "booking_window": None}


def test_a_closed_day_is_replaced_by_offers() -> None:
    slots = plan_wish(turn_with(), date(2026, 12, 5), time(10), None)
    assert slots["booking_day"] is None and slots["booking_time"] is None
    assert slots["booking_notice"].startswith("Jobcenter Frederikshavn har lukket på lørdag.")
    assert len(slots["offered_slots"]) == 3


def test_before_the_service_is_known_a_problem_is_explained_without_offers() -> None:
    slots = plan_wish(turn_with(None), None, None, When(problem="past"))
    assert slots["booking_notice"] == (
        "Den dag eller det tidspunkt er allerede gået. Hvilken dag passer dig? Jeg kan tilbyde flere ledige tider."
    )
    assert "offered_slots" not in slots


def test_free_times_to_ask_with() -> None:
    assert earliest_free_times(turn_with(None)) == []
    assert earliest_free_times(turn_with())[0] == datetime(2026, 12, 1, 10, 0, tzinfo=TIMEZONE)
    afternoon = free_times_on(turn_with("laege"), date(2026, 12, 3), "eftermiddag")
    assert [c.strftime("%H:%M") for c in afternoon] == ["12:30", "12:45", "13:00"]
    assert free_times_on(turn_with(), None, None) == []


@pytest.mark.parametrize(
    ("minutes", "words"), [(15, "hvert kvarter"), (30, "hver halve time"), (45, "hvert 45. minut"), (60, "hver time")]
)
def test_slot_interval_in_words(minutes, words) -> None:
    assert slot_interval(turn_with(), minutes) == words


def test_a_wish_between_slots_gets_the_grid_and_the_nearest_times() -> None:
    slots = plan_wish(turn_with("laege"), date(2026, 12, 3), time(10, 10), None)
    assert slots["booking_time"] is None and slots["booking_day"] == "2026-12-03"
    assert slots["booking_notice"].startswith("Lægehuset Havnegade (eksempel) har tider hvert kvarter, så torsdag kl.")
    assert slots["offered_slots"][:2] == ["2026-12-03T10:00:00+01:00", "2026-12-03T10:15:00+01:00"]
