"""Checking, cancelling and moving a booking: both secrets, bounded tries, confirm, act."""

from __future__ import annotations

import hmac
from datetime import datetime

import pytest
from conftest import make_tracker, user_event
from rasa_sdk.executor import CollectingDispatcher

from actions import booking_access
from actions.booking_access import LookupLimits, matching_booking, numbers_in
from actions.booking_manage import (
    ActionStartManage,
    ActionSubmitManage,
    AskManageConfirmed,
    AskManageReference,
    ValidateManageBookingForm,
)
from actions.context import booking_provider
from actions.settings import TIMEZONE

META = {"municipality": "frederikshavn"}
SAME_ANSWER = "Bookingnummeret passer ikke med det telefonnummer eller navn"


pytestmark = pytest.mark.usefixtures("booking_env")


@pytest.fixture
def booking(booking_env):
    return booking_provider().book(
        "frederikshavn", "jobcenter", datetime(2026, 12, 3, 10, tzinfo=TIMEZONE), 2, "Mette Hansen", "20304050", "web"
    )


def tracker_for(text, intent="inform", channel=None, metadata=None, **slots):
    event = user_event(text, intent, metadata={**META, **(metadata or {})})
    if channel:
        event["input_channel"] = channel
    return make_tracker([event], slots={"requested_slot": "manage_reference", **slots})


async def extract(text, intent="inform", channel=None, metadata=None, **slots):
    return await ValidateManageBookingForm().extract_manage_reference(
        CollectingDispatcher(), tracker_for(text, intent, channel, metadata, **slots), {}
    )


def reveals(result, booking) -> bool:
    """True when anything the citizen gets back names the booking."""
    text = " ".join(str(value) for value in result.values())
    return booking.reference in text or "Jobcenter" in text or booking.spoken_reference in text


async def test_reference_alone_only_asks_for_the_phone_number_or_name(booking) -> None:
    result = await extract(booking.spoken_reference)
    assert result == {"manage_reference": None, "manage_lookup_reference": booking.reference}
    dispatcher = CollectingDispatcher()
    await AskManageReference().run(dispatcher, tracker_for("x", manage_lookup_reference=booking.reference), {})
    assert dispatcher.messages[0]["text"] == "Hvilket telefonnummer eller hvilket navn bookede du tiden med?"


async def test_phone_number_after_the_reference_finds_the_booking(booking) -> None:
    result = await extract("20 30 40 50", manage_lookup_reference=booking.reference)
    assert result == {
        "manage_reference": booking.reference, "manage_lookup_reference": None, "booking_service": "jobcenter"
    }  # fmt: skip


async def test_reference_and_phone_number_in_one_message(booking) -> None:
    found = await extract(f"bookingnummer {booking.spoken_reference}, telefon 20 30 40 50")
    assert found["manage_reference"] == booking.reference
    either_order = await extract(f"20304050 {booking.reference}")
    assert either_order["manage_reference"] == booking.reference


@pytest.mark.parametrize("name", ["Mette Hansen", "mette  hansen", "mit navn er Mette Hansen"])
async def test_the_name_booked_with_finds_the_booking(booking, name) -> None:
    result = await extract(name, manage_lookup_reference=booking.reference)
    assert result["manage_reference"] == booking.reference


async def test_phone_number_alone_reveals_nothing(booking) -> None:
    """The old way in ('aflys' → any number → details) now gets a request for the booking number."""
    result = await extract("mit nummer er 20 30 40 50")
    assert result["manage_reference"] is None and not result.get("manage_lookup_reference")
    assert "telefonnummer alene" in result["booking_notice"]
    assert not reveals(result, booking)


async def test_wrong_phone_and_unknown_reference_get_the_same_answer(booking) -> None:
    wrong_phone = await extract("99 99 99 99", manage_lookup_reference=booking.reference)
    unknown = await extract("20 30 40 50", manage_lookup_reference="000000" if booking.reference != "000000" else "1")
    assert wrong_phone == unknown
    assert wrong_phone["manage_reference"] is None and wrong_phone["manage_failures"] == 1
    assert wrong_phone["booking_notice"].startswith(SAME_ANSWER)
    assert not reveals(wrong_phone, booking)


async def test_wrong_name_reveals_nothing(booking) -> None:
    result = await extract("Mette Jensen", manage_lookup_reference=booking.reference)
    assert result["manage_reference"] is None and result["manage_failures"] == 1 and not reveals(result, booking)


async def test_secrets_are_compared_in_constant_time_even_for_a_missing_reference(booking, monkeypatch) -> None:
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(booking_access.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    provider = booking_provider()
    missing = "000000" if booking.reference != "000000" else "111111"
    assert matching_booking(provider, "frederikshavn", missing, phone="20304050") is None
    assert matching_booking(provider, "frederikshavn", booking.reference, phone="20304050") == booking
    assert matching_booking(provider, "frederikshavn", booking.reference, name="METTE hansen") == booking
    assert len(calls) == 3


async def test_caller_number_stands_in_for_the_phone_number_on_the_phone(booking) -> None:
    result = await extract(booking.spoken_reference, channel="phone", caller_number="+4520304050")
    assert result["manage_reference"] == booking.reference


async def test_caller_number_without_the_reference_reveals_nothing(booking) -> None:
    result = await extract("ja", "affirm", channel="phone", caller_number="+4520304050")
    assert result["manage_reference"] is None and not reveals(result, booking)


async def test_caller_number_of_another_phone_asks_for_the_number_booked_with(booking) -> None:
    result = await extract(booking.spoken_reference, channel="phone", caller_number="+4511111111")
    assert result == {"manage_reference": None, "manage_lookup_reference": booking.reference, "manage_failures": 1}


async def test_caller_number_does_not_help_on_the_web(booking) -> None:
    result = await extract(booking.spoken_reference, caller_number="+4520304050")
    assert result["manage_reference"] is None and result["manage_lookup_reference"] == booking.reference


async def test_another_municipality_cannot_see_the_booking(booking) -> None:
    result = await extract("20304050", metadata={"municipality": "aarhus"}, manage_lookup_reference=booking.reference)
    assert result["manage_reference"] is None and not reveals(result, booking)


async def required(**slots):
    tracker = tracker_for("x", **slots)
    return await ValidateManageBookingForm().required_slots([], CollectingDispatcher(), tracker, {})


async def test_tries_per_conversation_are_bounded(booking) -> None:
    assert await required(manage_failures=4) == ["manage_reference"]
    assert await required(manage_failures=5) == []  # the form ends and says why
    dispatcher = CollectingDispatcher()
    await ActionSubmitManage().run(dispatcher, tracker_for("x", manage_failures=5), {})
    [message] = dispatcher.messages
    assert message["text"].startswith("Du har prøvet for mange gange") and "98 45 50 00" in message["text"]
    assert message["buttons"][0]["payload"] == "/human_handoff"
    assert not reveals({"text": message["text"]}, booking)


async def test_tries_per_client_address_hold_across_conversations(booking, monkeypatch) -> None:
    monkeypatch.setenv("MUNI_BOOKING_LOOKUP_ADDRESS_TRIES", "3")
    address = {"client_address": "203.0.113.9"}
    for _ in range(3):  # three conversations, one wrong guess each
        result = await extract("99999999", metadata=address, manage_lookup_reference=booking.reference)
        assert result["manage_failures"] == 1
    assert await required(manage_failures=0) == ["manage_reference"]  # address unknown: per conversation only
    fresh = tracker_for("x", metadata=address)
    assert await ValidateManageBookingForm().required_slots([], CollectingDispatcher(), fresh, {}) == []
    other = tracker_for("x", metadata={"client_address": "203.0.113.10"})
    assert await ValidateManageBookingForm().required_slots([], CollectingDispatcher(), other, {}) == [
        "manage_reference"
    ]


async def test_address_tries_are_forgotten_after_the_window(booking, monkeypatch, fixed_now) -> None:
    monkeypatch.setenv("MUNI_BOOKING_LOOKUP_ADDRESS_TRIES", "1")
    address = {"client_address": "203.0.113.11"}
    await extract("99999999", metadata=address, manage_lookup_reference=booking.reference)
    fresh = tracker_for("x", metadata=address)
    assert await ValidateManageBookingForm().required_slots([], CollectingDispatcher(), fresh, {}) == []
    fixed_now("2026-12-01T10:00:01")
    assert await ValidateManageBookingForm().required_slots([], CollectingDispatcher(), fresh, {}) == [
        "manage_reference"
    ]


def test_limits_from_the_environment(monkeypatch) -> None:
    assert LookupLimits.from_env() == LookupLimits(5, 20, LookupLimits().window)
    monkeypatch.setenv("MUNI_BOOKING_LOOKUP_TRIES", "3")
    monkeypatch.setenv("MUNI_BOOKING_LOOKUP_ADDRESS_TRIES", "mange")
    monkeypatch.setenv("MUNI_BOOKING_LOOKUP_WINDOW_MINUTES", "15")
    limits = LookupLimits.from_env()
    assert (limits.per_conversation, limits.per_address, limits.window.total_seconds()) == (3, 20, 900)


@pytest.mark.parametrize(
    ("text", "numbers"),
    [("48 29 13", ("482913", None)), ("20 30 40 50", (None, "20304050")), ("482913 20304050", ("482913", "20304050")),
     ("+45 20 30 40 50 og 48 29 13", ("482913", "20304050")), ("otteogfyrre", (None, None)),
     ("fire otte to ni et tre", ("482913", None)), ("1234", (None, None)), ("ingen tal", (None, None))],
)  # fmt: skip
def test_numbers_in(text, numbers) -> None:
    assert numbers_in(text) == numbers


async def test_the_booking_made_in_this_conversation_is_known_without_asking(booking) -> None:
    start = tracker_for("aflys min tid", "cancel_appointment", last_booking_reference=booking.reference)
    events = {e["name"]: e["value"] for e in await ActionStartManage().run(CollectingDispatcher(), start, {})}
    assert events["manage_reference"] == booking.reference and events["manage_action"] == "cancel"


async def test_another_booking_number_named_is_looked_up_instead(booking) -> None:
    start = tracker_for("aflys 11 22 33", "cancel_appointment", last_booking_reference=booking.reference)
    events = {e["name"]: e["value"] for e in await ActionStartManage().run(CollectingDispatcher(), start, {})}
    assert events["manage_reference"] is None


async def test_a_cancelled_own_booking_is_not_taken(booking) -> None:
    booking_provider().cancel(booking.reference)
    start = tracker_for("hvornår er min tid", "check_appointment", last_booking_reference=booking.reference)
    events = {e["name"]: e["value"] for e in await ActionStartManage().run(CollectingDispatcher(), start, {})}
    assert events["manage_reference"] is None


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
