"""Reading what the citizen said during a booking: wished day and time, picked offers, names, phone numbers."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from actions.booking_parsing import (
    clean_name,
    correction_asked,
    phone_number_in,
    spoken_phone,
    wished_day_and_time,
)
from actions.settings import TIMEZONE

NOW = datetime(2026, 12, 1, 9, tzinfo=TIMEZONE)  # Tuesday
OFFERED = ["2026-12-03T10:30:00+01:00", "2026-12-03T13:00:00+01:00", "2026-12-04T09:00:00+01:00"]


def test_day_and_time_from_the_text() -> None:
    day, clock, when = wished_day_and_time("på torsdag klokken 10", None, None, [], NOW)
    assert (day, clock) == (date(2026, 12, 3), time(10)) and when is not None and when.found


def test_entities_win_over_the_text() -> None:
    day, clock, when = wished_day_and_time("fredag", "2026-12-03", "09:30", [], NOW)
    assert (day, clock, when) == (date(2026, 12, 3), time(9, 30), None)


def test_an_offered_time_picked_fills_day_and_time() -> None:
    assert wished_day_and_time("den anden", None, None, OFFERED, NOW)[:2] == (date(2026, 12, 3), time(13))
    assert wished_day_and_time("fredag", None, None, OFFERED, NOW)[:2] == (date(2026, 12, 4), time(9))


@pytest.mark.parametrize(
    ("said", "on_phone", "name"),
    [("mit navn er mette hansen", False, "Mette Hansen"), ("Lise, Lund!", True, "Lise Lund"),
     ("Lise, Lund!", False, None), ("ja", False, None), ("123", True, None)],
)  # fmt: skip
def test_clean_name(said, on_phone, name) -> None:
    assert clean_name(said, heard_on_phone=on_phone) == name


@pytest.mark.parametrize(
    ("text", "what"), [("nej", "time"), ("Nej, navnet er forkert", "name"), ("forkert telefonnummer", "phone")]
)
def test_what_a_no_to_the_read_back_corrects(text, what) -> None:
    assert correction_asked(text) == what


def test_phone_numbers_written_or_spoken() -> None:
    assert phone_number_in("+45 20 30 40 50") == "20304050"
    assert phone_number_in("tyve tredive fyrre halvtreds") == "20304050"
    assert phone_number_in("det husker jeg ikke") is None
    assert spoken_phone("20304050") == "20 30 40 50"
