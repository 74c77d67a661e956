"""The turn's context: municipality, service calendar, clock, channel and messages, resolved once from the tracker."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from conftest import make_tracker, user_event

from actions.context import TurnContext
from actions.settings import TIMEZONE


def turn_for(metadata=None, channel=None, **slots) -> TurnContext:
    event = user_event("hej", "greet", metadata=metadata or {})
    if channel:
        event["input_channel"] = channel
    return TurnContext.of(make_tracker([event], slots=slots))


def test_municipality_from_message_metadata_first() -> None:
    turn = turn_for({"municipality": "aarhus"}, municipality="frederikshavn",
                    session_started_metadata={"municipality": "frederikshavn"})  # fmt: skip
    assert turn.municipality.id == "aarhus"


def test_then_the_slot_then_the_session_metadata_then_the_default(monkeypatch) -> None:
    monkeypatch.setenv("MUNI_DEFAULT_MUNICIPALITY", "aarhus")
    assert turn_for(municipality="frederikshavn").municipality.id == "frederikshavn"
    assert turn_for(session_started_metadata={"municipality": "frederikshavn"}).municipality.id == "frederikshavn"
    assert turn_for().municipality.id == "aarhus"


def test_unknown_municipality_is_the_generic_profile() -> None:
    assert turn_for({"municipality": "atlantis"}).municipality.is_generic


def test_calendar_of_the_chosen_service_when_offered() -> None:
    assert turn_for({"municipality": "frederikshavn"}).calendar is None
    turn = turn_for({"municipality": "frederikshavn"}, booking_service="laege")
    assert turn.calendar is not None and turn.calendar.service.key == "laege"
    assert turn_for({"municipality": "atlantis"}, booking_service="laege").calendar is None  # generic: no booking
    assert turn_for({"municipality": "frederikshavn"}, booking_service="tandlaege").calendar is None
    assert turn.with_service("jobcenter").calendar.service.key == "jobcenter"
    assert turn.with_service(None).calendar is None


def test_clock_and_channel(fixed_now) -> None:
    fixed_now("2026-12-01T09:00:00")
    turn = turn_for(channel="phone")
    assert turn.now == datetime(2026, 12, 1, 9, tzinfo=TIMEZONE) and turn.today.day == 1
    assert turn.on_phone and turn.channel == "phone"
    assert turn_for().channel is None and not turn_for(channel="web").on_phone


def test_messages_in_the_municipality_s_words() -> None:
    turn = turn_for({"municipality": "frederikshavn"})
    assert turn.message("handoff").endswith("Borgerservice på 98 45 50 00.")
    own = replace(turn, municipality=replace(turn.municipality, message_overrides={"answer_no": "Nej tak"}))
    assert own.message("answer_no") == "Nej tak"
