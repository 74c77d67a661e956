"""Reading what the citizen said during a booking: wished day and time, picked offers, names, phone numbers."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from actions.booking_parsing import (
    clean_name,
    correction_asked,
    name_in_sentence,
    phone_in_sentence,
    phone_number_in,
    service_named,
    spoken_phone,
    wished_day_and_time,
    without_contact_details,
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


@pytest.mark.parametrize(
    ("text", "phone"),
    [("… kl 10, mit navn er Karen Jensen og mit nummer er 20 30 40 50", "20304050"),
     ("ring på +45 20 30 40 50", "20304050"), ("2030 4050 tak", "20304050"), ("tlf. 20304050.", "20304050"),
     ("mit cpr er 010190-1234", None), ("0101901234", None), ("kl 10 20 30 40 50", None),
     ("den 20.12 kl 10.30", None), ("bookingnummer 48 29 13", None), ("20.30.40.50", "20304050"),
     ("den 20.12.2026", None), ("20.30.40 50", None)],
)  # fmt: skip
def test_phone_in_sentence_takes_only_eight_digits_standing_apart(text, phone) -> None:
    assert phone_in_sentence(text) == phone


@pytest.mark.parametrize(
    ("text", "name"),
    [("mit navn er Karen Jensen og mit nummer er 20 30 40 50", "Karen Jensen"),
     ("hej jeg hedder Peter Sørensen og vil gerne booke", "Peter Sørensen"),
     ("nej mit navn er Karen Hansen.", "Karen Hansen"), ("navnet er Lise Lund, tlf 61 62 63 64", "Lise Lund"),
     ("jeg hedder 010190-1234", None), ("jeg vil gerne booke en tid", None)],
)  # fmt: skip
def test_name_in_sentence_after_an_introduction(text, name) -> None:
    assert name_in_sentence(text) == name


def test_contact_details_are_not_read_as_a_day_or_time() -> None:
    text = without_contact_details("på fredag kl 10, mit navn er Karen Jensen og mit nummer er 20.30.40.50")
    assert "Karen" not in text and "20" not in text and "fredag kl 10" in text


@pytest.mark.parametrize(
    ("text", "service"),
    [("nej det skal være hos lægen", "laege"), ("undskyld jeg mente jobcentret", "jobcenter"),
     ("hellere på jobcenteret", "jobcenter"), ("til min læge", "laege"), ("hellere fredag", None),
     ("hos lægen eller på jobcentret", None)],
)  # fmt: skip
def test_service_named_after_a_preposition(text, service) -> None:
    assert service_named(text) == service
