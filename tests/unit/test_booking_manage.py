"""Checking, cancelling and moving a booking: find by reference or phone, confirm, act."""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import make_tracker, user_event
from rasa_sdk.executor import CollectingDispatcher

from actions.booking_manage import (
    ActionStartManage,
    ActionSubmitManage,
    AskManageConfirmed,
    ValidateManageBookingForm,
)
from actions.context import booking_provider
from actions.settings import TIMEZONE

META = {"municipality": "frederikshavn"}


pytestmark = pytest.mark.usefixtures("booking_env")


@pytest.fixture
def booking(booking_env):
    return booking_provider().book(
        "frederikshavn", "jobcenter", datetime(2026, 12, 3, 10, tzinfo=TIMEZONE), 2, "Mette Hansen", "20304050", "web"
    )


def tracker_for(text, intent="inform", **slots):
    return make_tracker(
        [user_event(text, intent, metadata=META)], slots={"requested_slot": "manage_reference", **slots}
    )


async def extract(text, intent="inform", **slots):
    return await ValidateManageBookingForm().extract_manage_reference(
        CollectingDispatcher(), tracker_for(text, intent, **slots), {}
    )


async def test_found_by_reference(booking) -> None:
    assert await extract(booking.spoken_reference) == {
        "manage_reference": booking.reference,
        "booking_service": "jobcenter",
    }


async def test_found_by_phone_number(booking) -> None:
    assert (await extract("mit nummer er 20 30 40 50"))["manage_reference"] == booking.reference


async def test_found_by_caller_number_on_yes(booking) -> None:
    assert (await extract("ja", "affirm", caller_number="+4520304050"))["manage_reference"] == booking.reference


async def test_unknown_number_is_explained(booking) -> None:
    result = await extract("999999")
    assert result["manage_reference"] is None and "kan ikke finde" in result["booking_notice"]


async def test_another_municipality_cannot_see_the_booking(booking) -> None:
    tracker = make_tracker([user_event(booking.reference, "inform", metadata={"municipality": "aarhus"})],
                           slots={"requested_slot": "manage_reference"})  # fmt: skip
    result = await ValidateManageBookingForm().extract_manage_reference(CollectingDispatcher(), tracker, {})
    assert result["manage_reference"] is None


@pytest.mark.parametrize(
    ("action", "confirmed", "slots"),
    [("check", None, ["manage_reference"]), ("cancel", None, ["manage_reference", "manage_confirmed"]),
     ("reschedule", True, ["manage_reference", "manage_confirmed", "booking_day", "booking_time"]),
     ("reschedule", False, ["manage_reference", "manage_confirmed"])],
)  # fmt: skip
async def test_required_slots_per_action(action, confirmed, slots) -> None:
    tracker = tracker_for("x", manage_action=action, manage_confirmed=confirmed)
    assert await ValidateManageBookingForm().required_slots([], CollectingDispatcher(), tracker, {}) == slots


async def test_start_sets_the_action_from_the_intent() -> None:
    events = await ActionStartManage().run(
        CollectingDispatcher(), tracker_for("aflys min tid", "cancel_appointment"), {}
    )
    assert events[0]["value"] == "cancel"


async def test_details_are_confirmed_before_cancelling(booking) -> None:
    dispatcher = CollectingDispatcher()
    await AskManageConfirmed().run(
        dispatcher, tracker_for("x", manage_action="cancel", manage_reference=booking.reference), {}
    )
    assert (
        dispatcher.messages[0]["text"] == "Du har en tid hos Jobcenter Frederikshavn torsdag kl. 10. Vil du aflyse den?"
    )


async def test_cancel_after_yes_frees_the_slot(booking) -> None:
    dispatcher = CollectingDispatcher()
    slots = {"manage_action": "cancel", "manage_reference": booking.reference, "manage_confirmed": True}
    await ActionSubmitManage().run(dispatcher, tracker_for("ja", "affirm", **slots), {})
    assert dispatcher.messages[0]["text"] == "Din tid hos Jobcenter Frederikshavn torsdag kl. 10 er aflyst."
    assert booking_provider().find("frederikshavn", reference=booking.reference) == []


async def test_no_changes_nothing(booking) -> None:
    dispatcher = CollectingDispatcher()
    slots = {"manage_action": "cancel", "manage_reference": booking.reference, "manage_confirmed": False}
    await ActionSubmitManage().run(dispatcher, tracker_for("nej", "deny", **slots), {})
    assert "ikke ændret" in dispatcher.messages[0]["text"]
    assert booking_provider().find("frederikshavn", reference=booking.reference)


async def test_check_tells_time_place_and_reference(booking) -> None:
    dispatcher = CollectingDispatcher()
    await ActionSubmitManage().run(
        dispatcher, tracker_for("x", manage_action="check", manage_reference=booking.reference), {}
    )
    assert dispatcher.messages[0]["text"] == (
        "Du har en tid hos Jobcenter Frederikshavn torsdag kl. 10, Kirkepladsen 3, 9900 Frederikshavn. "
        f"Dit bookingnummer er {booking.spoken_reference}."
    )


async def test_move_to_a_free_time(booking) -> None:
    dispatcher = CollectingDispatcher()
    slots = {"manage_action": "reschedule", "manage_reference": booking.reference, "manage_confirmed": True,
             "booking_service": "jobcenter", "booking_day": "2026-12-04", "booking_time": "09:30"}  # fmt: skip
    await ActionSubmitManage().run(dispatcher, tracker_for("fredag halv ti", **slots), {})
    assert dispatcher.messages[0]["text"].startswith(
        "Din tid er flyttet. Du har nu en tid hos Jobcenter Frederikshavn fredag kl. 9.30"
    )
    assert booking_provider().find("frederikshavn", reference=booking.reference)[0].starts_at == datetime(
        2026, 12, 4, 9, 30
    )


async def test_new_day_is_only_taken_after_the_booking_is_confirmed(booking) -> None:
    form = ValidateManageBookingForm()
    early = tracker_for("flyt min tid til fredag", "reschedule_appointment")
    assert await form.extract_booking_day(CollectingDispatcher(), early, {}) == {}
    later = tracker_for("fredag klokken 10", requested_slot="booking_day", booking_service="jobcenter",
                        manage_action="reschedule", manage_confirmed=True)  # fmt: skip
    slots = await form.extract_booking_day(CollectingDispatcher(), later, {})
    assert (slots["booking_day"], slots["booking_time"]) == ("2026-12-04", "10:00")


@pytest.mark.parametrize(("value", "expected"), [(None, None), (True, True), (False, False)])
async def test_reset_confirmation_stays_unanswered(value, expected) -> None:
    result = await ValidateManageBookingForm().validate_manage_confirmed(
        value, CollectingDispatcher(), tracker_for("x"), {}
    )
    assert result == {"manage_confirmed": expected}
