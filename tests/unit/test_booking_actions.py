"""The booking form's extraction, validation, questions and submission, on a real SQLite store."""

from __future__ import annotations

import pytest
from conftest import make_tracker, user_event
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import (
    ActionStopBooking,
    ActionSubmitBooking,
    AskBookingConfirmed,
    AskBookingDay,
    AskBookingTime,
    AskCitizenPhone,
    ValidateBookingForm,
)
from actions.booking_parsing import digits_from_words, match_offered

META = {"municipality": "frederikshavn"}


pytestmark = pytest.mark.usefixtures("booking_env")


def tracker_for(text, intent="inform", entities=None, **slots):
    slots = {"requested_slot": "booking_day", **slots}
    event = user_event(text, intent, entities=entities or [], metadata=META)
    return make_tracker([event], slots=slots)


async def extract(text, intent="inform", entities=None, **slots):
    return await ValidateBookingForm().extract_booking_day(
        CollectingDispatcher(), tracker_for(text, intent, entities, **slots), {}
    )


async def test_everything_said_at_once_fills_day_and_time() -> None:
    slots = await extract("en lægetid på torsdag ved 10-tiden", "book_appointment", booking_service="laege")
    assert (slots["booking_day"], slots["booking_time"]) == ("2026-12-03", "10:00")
    assert "booking_notice" not in slots


async def test_closed_day_offers_the_nearest_free_times() -> None:
    slots = await extract("på lørdag klokken 10", booking_service="jobcenter")
    assert slots["booking_day"] is None and slots["booking_time"] is None
    assert slots["booking_notice"].startswith("Jobcenter Frederikshavn har lukket på lørdag. Jeg kan tilbyde")
    assert 1 <= len(slots["offered_slots"]) <= 3


async def test_holiday_is_closed() -> None:
    slots = await extract("den 24. december kl 10", booking_service="jobcenter")
    assert "har lukket" in slots["booking_notice"] and slots["booking_day"] is None


async def test_outside_hours_offers_times_near_the_wish() -> None:
    slots = await extract("torsdag klokken 18", booking_service="jobcenter")
    assert slots["booking_day"] == "2026-12-03" and slots["booking_time"] is None
    assert "uden for" in slots["booking_notice"]
    assert slots["offered_slots"][-1].startswith("2026-12-03T15:30")


async def test_taken_slot_offers_three_others() -> None:
    from datetime import datetime

    from actions.context import booking_provider
    from actions.settings import TIMEZONE

    booking_provider().book(
        "frederikshavn", "laege", datetime(2026, 12, 3, 10, tzinfo=TIMEZONE), 1, "A", "11111111", "web"
    )
    slots = await extract("torsdag kl. 10", booking_service="laege")
    assert slots["booking_time"] is None
    assert slots["booking_notice"].startswith(
        "Torsdag kl. 10 er desværre optaget. Jeg kan tilbyde torsdag kl. 9.45, torsdag kl. 10.15 eller torsdag kl. 10.30"
    )


@pytest.mark.parametrize(("text", "fragment"), [("i går", "allerede gået"), ("31. februar", "findes ikke")])
async def test_impossible_and_past_dates_are_explained(text, fragment) -> None:
    slots = await extract(text, booking_service="jobcenter")
    assert fragment in slots["booking_notice"] and slots["booking_day"] is None


async def test_as_soon_as_possible_offers_the_earliest() -> None:
    slots = await extract("så hurtigt som muligt", booking_service="laege")
    assert slots["offered_slots"][0] == "2026-12-01T10:00:00+01:00"


async def test_picking_an_offered_time_by_ordinal() -> None:
    offered = ["2026-12-03T10:30:00+01:00", "2026-12-03T13:00:00+01:00", "2026-12-04T09:00:00+01:00"]
    slots = await extract("den anden", booking_service="jobcenter", offered_slots=offered)
    assert (slots["booking_day"], slots["booking_time"]) == ("2026-12-03", "13:00")


async def test_button_payload_entities_win() -> None:
    entities = [{"entity": "booking_day", "value": "2026-12-03"}, {"entity": "booking_time", "value": "09:30"}]
    slots = await extract('/inform{"booking_day": "2026-12-03", "booking_time": "09:30"}', entities=entities,
                          booking_service="jobcenter")  # fmt: skip
    assert (slots["booking_day"], slots["booking_time"]) == ("2026-12-03", "09:30")


async def test_time_before_service_is_kept_and_checked_when_the_service_comes() -> None:
    slots = await extract("på torsdag kl 10", requested_slot="booking_service")
    assert (slots["booking_day"], slots["booking_time"]) == ("2026-12-03", "10:00")
    tracker = tracker_for("jobcentret", entities=[{"entity": "service", "value": "jobcenter"}],
                          requested_slot="booking_service", **slots)  # fmt: skip
    checked = await ValidateBookingForm().validate_booking_service("jobcenter", CollectingDispatcher(), tracker, {})
    assert checked["booking_service"] == "jobcenter" and checked["booking_time"] == "10:00"


async def test_changing_the_day_keeps_the_time() -> None:
    slots = await extract("kan vi tage fredag i stedet", requested_slot="booking_confirmed", booking_service="jobcenter",
                          booking_day="2026-12-03", booking_time="10:00")  # fmt: skip
    assert (slots["booking_day"], slots["booking_time"]) == ("2026-12-04", "10:00")


async def test_interruptions_are_left_to_the_rules() -> None:
    assert await extract("hvad koster et pas", intent="faq", booking_service="jobcenter") == {}
    assert await extract("Mette Hansen", requested_slot="citizen_name") == {}


async def test_not_understood_day_asks_again_with_a_hint() -> None:
    slots = await extract("det ved jeg ikke", booking_service="jobcenter")
    assert slots["booking_day"] is None and "på torsdag" in slots["booking_notice"]


@pytest.mark.parametrize(
    ("text", "intent", "slots", "phone"),
    [
        ("20 30 40 50", "inform", {}, "20304050"),
        ("mit nummer er +45 20304050", "inform", {}, "20304050"),
        ("tyve tredive fyrre halvtreds", "inform", {}, "20304050"),
        ("ja", "affirm", {"caller_number": "+4561626364"}, "61626364"),
    ],
)
async def test_phone_numbers(text, intent, slots, phone) -> None:
    tracker = tracker_for(text, intent, requested_slot="citizen_phone", **slots)
    assert (await ValidateBookingForm().extract_citizen_phone(CollectingDispatcher(), tracker, {}))[
        "citizen_phone"
    ] == phone


async def test_declining_the_caller_number_asks_for_another() -> None:
    tracker = tracker_for("nej", "deny", requested_slot="citizen_phone", caller_number="+4561626364")
    result = await ValidateBookingForm().extract_citizen_phone(CollectingDispatcher(), tracker, {})
    assert result == {"citizen_phone": None, "caller_declined": True}


async def test_bad_phone_number_gets_a_hint() -> None:
    tracker = tracker_for("det husker jeg ikke", requested_slot="citizen_phone")
    result = await ValidateBookingForm().extract_citizen_phone(CollectingDispatcher(), tracker, {})
    assert result["citizen_phone"] is None and "otte cifre" in result["booking_notice"]


@pytest.mark.parametrize(
    ("raw", "name"), [("mit navn er mette hansen", "Mette Hansen"), ("Jens-Ole Sørensen", "Jens-Ole Sørensen")]
)
async def test_names_are_cleaned(raw, name) -> None:
    result = await ValidateBookingForm().validate_citizen_name(raw, CollectingDispatcher(), tracker_for(raw), {})
    assert result == {"citizen_name": name}


@pytest.mark.parametrize("raw", ["123", "?", "<script>alert(1)</script>", "a", "ja", "det ved jeg ikke"])
async def test_non_names_are_refused(raw) -> None:
    result = await ValidateBookingForm().validate_citizen_name(raw, CollectingDispatcher(), tracker_for(raw), {})
    assert result["citizen_name"] is None and "navn" in result["booking_notice"]


@pytest.mark.parametrize(
    ("heard", "name"), [("Mit hansen.", "Mit Hansen"), ("Kjafen mand.", "Kjafen Mand"), ("Lise, Lund!", "Lise Lund")]
)
async def test_on_the_phone_a_garbled_name_is_taken_for_the_read_back(heard, name) -> None:
    tracker = tracker_for(heard, "faq", requested_slot="citizen_name")
    tracker.events[-1]["input_channel"] = "phone"
    form = ValidateBookingForm()
    extracted = await form.extract_citizen_name(CollectingDispatcher(), tracker, {})
    assert extracted == {"citizen_name": heard}
    assert await form.validate_citizen_name(heard, CollectingDispatcher(), tracker, {}) == {"citizen_name": name}


async def test_typed_text_that_is_not_name_shaped_is_not_taken_as_a_name() -> None:
    typed = tracker_for("Mit hansen.", "faq", requested_slot="citizen_name")
    assert await ValidateBookingForm().extract_citizen_name(CollectingDispatcher(), typed, {}) == {}


@pytest.mark.parametrize(
    ("text", "reset"),
    [("nej", {"booking_day", "booking_time"}), ("nej navnet er forkert", {"citizen_name"}),
     ("nej nummeret er forkert", {"citizen_phone"})],
)  # fmt: skip
async def test_no_to_the_read_back(text, reset) -> None:
    tracker = tracker_for(text, "deny", requested_slot="booking_confirmed")
    result = await ValidateBookingForm().validate_booking_confirmed(False, CollectingDispatcher(), tracker, {})
    assert {k for k, v in result.items() if v is None and k not in ("booking_confirmed",)} == reset
    assert "retter" in result["booking_notice"]


def test_digits_from_words() -> None:
    assert digits_from_words("tyve tredive fyrre halvtreds") == "20 30 40 50"
    assert digits_from_words("femogtyve otteogfirs 12 nul ni") == "25 88 12 0 9"


def test_match_offered_by_time_or_day() -> None:
    offered = ["2026-12-03T10:30:00+01:00", "2026-12-03T13:00:00+01:00", "2026-12-04T09:00:00+01:00"]
    from datetime import date, time

    assert match_offered("klokken 13", None, time(13), offered).hour == 13
    assert match_offered("13", None, None, offered).hour == 13
    assert match_offered("fredag", date(2026, 12, 4), None, offered).day == 4
    assert match_offered("torsdag", date(2026, 12, 3), None, offered) is None  # two on Thursday


async def test_read_back_and_submit_books_with_a_reference() -> None:
    slots = {"booking_service": "laege", "booking_day": "2026-12-03", "booking_time": "10:15",
             "citizen_name": "Mette Hansen", "citizen_phone": "20304050"}  # fmt: skip
    dispatcher = CollectingDispatcher()
    await AskBookingConfirmed().run(dispatcher, tracker_for("x", **slots), {})
    assert dispatcher.messages[0]["text"] == (
        "Jeg booker en tid hos Lægehuset Havnegade (eksempel) torsdag kl. 10.15 til Mette Hansen, "
        "telefon 20 30 40 50. Er det korrekt?"
    )
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitBooking().run(
        dispatcher, tracker_for("ja", "affirm", booking_confirmed=True, **slots), {}
    )
    text = dispatcher.messages[0]["text"]
    assert text.startswith("Din tid er booket: Lægehuset Havnegade (eksempel) torsdag kl. 10.15, Havnegade 12")
    reference = next(e["value"] for e in events if e["name"] == "last_booking_reference")
    assert f"{reference[:2]} {reference[2:4]} {reference[4:]}" in text
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitBooking().run(
        dispatcher, tracker_for("ja", "affirm", booking_confirmed=True, **slots), {}
    )
    assert dispatcher.messages == []  # the reopened form speaks the notice with its question
    notice = next(e["value"] for e in events if e.get("name") == "booking_notice")
    assert notice.startswith("Torsdag kl. 10.15 er desværre optaget. Jeg kan tilbyde")
    assert {"event": "slot", "name": "booking_time", "value": None, "timestamp": None} in events
    assert events[-1] == {"event": "followup", "name": "booking_form", "timestamp": None}


async def test_ask_day_offers_the_earliest_with_buttons() -> None:
    dispatcher = CollectingDispatcher()
    events = await AskBookingDay().run(dispatcher, tracker_for("x", booking_service="jobcenter"), {})
    message = dispatcher.messages[0]
    assert message["text"].startswith("Hvilken dag passer dig? De første ledige tider er i dag kl. 10")
    assert len(message["buttons"]) == 3 and message["buttons"][0]["payload"].startswith('/inform{"booking_day"')
    assert events[-1]["name"] == "offered_slots"


async def test_ask_time_respects_the_part_of_day() -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_for("x", booking_service="laege", booking_day="2026-12-03", booking_window="eftermiddag")
    await AskBookingTime().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["text"] == (
        "Hvad tid passer dig på torsdag? Jeg har fx ledigt torsdag kl. 12.30, torsdag kl. 12.45 eller torsdag kl. 13."
    )


async def test_a_notice_is_spoken_instead_of_the_plain_question() -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_for("x", booking_service="laege", booking_notice="Torsdag kl. 10 er desværre optaget.",
                          offered_slots=["2026-12-03T10:15:00+01:00"])  # fmt: skip
    events = await AskBookingTime().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["text"] == "Torsdag kl. 10 er desværre optaget."
    assert dispatcher.messages[0]["buttons"][0]["title"] == "torsdag kl. 10.15"
    assert events == [{"event": "slot", "name": "booking_notice", "value": None, "timestamp": None}]


async def test_phone_question_offers_the_caller_number() -> None:
    dispatcher = CollectingDispatcher()
    await AskCitizenPhone().run(dispatcher, tracker_for("x", caller_number="+4561626364"), {})
    assert dispatcher.messages[0]["text"] == "Skal jeg bruge det nummer, du ringer fra, som slutter på 63 64?"


async def test_stop_books_nothing_and_forgets() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionStopBooking().run(dispatcher, tracker_for("glem det", "stop", booking_day="2026-12-03"), {})
    assert "ikke booket" in dispatcher.messages[0]["text"]
    assert {"event": "slot", "name": "booking_day", "value": None, "timestamp": None} in events


@pytest.mark.parametrize(
    ("text", "intent", "name"),
    [("Lise Lund", "faq", "Lise Lund"), ("Ole Olsen", "nlu_fallback", "Ole Olsen"), ("mit navn er Anna Berg", "inform", "Anna Berg"),
     ("hvad koster et pas", "faq", None), ("jeg vil tale med en medarbejder", "human_handoff", None), ("glem det", "stop", None)],
)  # fmt: skip
async def test_name_shaped_answers_are_names_whatever_the_intent(text, intent, name) -> None:
    tracker = tracker_for(text, intent, requested_slot="citizen_name")
    result = await ValidateBookingForm().extract_citizen_name(CollectingDispatcher(), tracker, {})
    assert result.get("citizen_name") == name


@pytest.mark.parametrize(
    ("text", "entities", "starts_booking"),
    [("jeg skal have en tid ved jobcentret i morgen", [{"entity": "service", "value": "jobcenter"}], True),
     ("på torsdag klokken 10", [], True), ("Mette", [], False)],
)  # fmt: skip
async def test_inform_outside_a_form(text, entities, starts_booking) -> None:
    from actions.booking import ActionHandleInform

    dispatcher = CollectingDispatcher()
    events = await ActionHandleInform().run(dispatcher, tracker_for(text, entities=entities), {})
    assert (events == [{"event": "followup", "name": "booking_form", "timestamp": None}]) is starts_booking
    assert bool(dispatcher.messages) is not starts_booking


async def test_a_day_at_the_day_question_wins_over_a_weak_intent() -> None:
    slots = await extract("fredag klokken 11", intent="nlu_fallback", booking_service="jobcenter")
    assert (slots["booking_day"], slots["booking_time"]) == ("2026-12-04", "11:00")
    assert await extract("blabla", intent="nlu_fallback", booking_service="jobcenter") == {}
    assert await extract("har i åbent på fredag", intent="opening_hours", booking_service="jobcenter") == {}


async def test_changing_the_day_at_the_name_question() -> None:
    tracker = tracker_for("kan vi tage fredag i stedet", "reschedule_appointment", requested_slot="citizen_name",
                          booking_service="laege", booking_day="2026-12-03", booking_time="10:00")  # fmt: skip
    form = ValidateBookingForm()
    assert await form.extract_citizen_name(CollectingDispatcher(), tracker, {}) == {}
    slots = await form.extract_booking_day(CollectingDispatcher(), tracker, {})
    assert (slots["booking_day"], slots["booking_time"]) == ("2026-12-04", "10:00")


# The booking form's detours (issue 13): each runs the whole validation action against the real domain.
BOOKING_DOMAIN = __import__("yaml").safe_load(
    (__import__("muni_core.paths", fromlist=["REPO_ROOT"]).REPO_ROOT / "bot/domain/booking.yml").read_text("utf-8")
)


def _slot_event(name, value):
    return {"event": "slot", "name": name, "value": value, "timestamp": None}


async def form_turn(text, intent="inform", entities=None, *, before=None, candidates=None, meta=None):
    """One message during the form: Rasa's slot candidates follow the user event, as the form action sends them."""
    before, candidates = before or {}, candidates or {}
    events = [_slot_event(k, v) for k, v in before.items()]
    events.append(user_event(text, intent, entities=entities or [], metadata=meta or META))
    events += [_slot_event(k, v) for k, v in candidates.items()]
    tracker = make_tracker(events, slots={**before, **candidates})
    dispatcher = CollectingDispatcher()
    result = await ValidateBookingForm().run(dispatcher, tracker, BOOKING_DOMAIN)
    return {e["name"]: e["value"] for e in result if e.get("event") == "slot"}, [m["text"] for m in dispatcher.messages]


LAEGE = [{"entity": "service", "value": "laege"}]
THURSDAY_10 = {"booking_service": "jobcenter", "booking_day": "2026-12-03", "booking_time": "10:00"}


async def test_every_detail_up_front_fills_all_five() -> None:
    text = "jeg vil gerne booke en tid hos lægen på fredag kl 10, mit navn er Karen Jensen og mit nummer er 20 30 40 50"
    slots, said = await form_turn(text, "book_appointment", LAEGE, candidates={"booking_service": "laege"})
    assert slots == {"booking_service": "laege", "booking_day": "2026-12-04", "booking_time": "10:00",
                     "booking_window": None, "citizen_name": "Karen Jensen", "citizen_phone": "20304050"}  # fmt: skip
    assert said == []


async def test_a_cpr_number_up_front_is_not_taken_as_the_phone_number() -> None:
    text = "en tid hos lægen på fredag kl 10, mit navn er Karen Jensen og mit cpr er 010190-1234"
    slots, _ = await form_turn(text, "book_appointment", LAEGE, candidates={"booking_service": "laege"})
    assert "citizen_phone" not in slots and slots["citizen_name"] == "Karen Jensen"


@pytest.mark.parametrize(("intent", "entities"), [("deny", LAEGE), ("inform", LAEGE), ("inform", [])])
async def test_service_corrected_at_the_name_question_keeps_day_and_time(intent, entities) -> None:
    before = {**THURSDAY_10, "requested_slot": "citizen_name"}
    candidates = {"booking_service": "laege"} if entities else {}
    slots, said = await form_turn("nej det skal være hos lægen", intent, entities, before=before, candidates=candidates)
    assert slots["booking_service"] == "laege" and slots["offered_slots"] is None
    assert (slots["booking_day"], slots["booking_time"]) == ("2026-12-03", "10:00")
    assert "citizen_name" not in slots and "booking_notice" not in slots
    assert said == ["Okay, så er det hos Lægehuset Havnegade (eksempel)."]


async def test_service_corrected_at_the_day_question_is_not_a_misunderstood_day() -> None:
    before = {"booking_service": "laege", "requested_slot": "booking_day"}
    slots, said = await form_turn("undskyld jeg mente jobcentret", before=before,
                                  candidates={"booking_service": "jobcenter"})  # fmt: skip
    assert slots["booking_service"] == "jobcenter" and not slots.get("booking_notice")
    assert said == ["Okay, så er det hos Jobcenter Frederikshavn."]


async def test_service_correction_replans_a_day_the_new_service_has_closed() -> None:
    before = {"booking_service": "jobcenter", "booking_day": "2026-12-28", "requested_slot": "booking_time"}
    slots, _ = await form_turn("det skal være hos lægen", entities=LAEGE, before=before,
                               candidates={"booking_service": "laege"})  # fmt: skip
    assert slots["booking_day"] is None and "har lukket" in slots["booking_notice"]  # the practice's closed day
    assert all(not s.startswith("2026-12-28") for s in slots["offered_slots"])


async def test_day_corrected_at_the_phone_question_keeps_the_time_and_asks_the_phone_again() -> None:
    before = {**THURSDAY_10, "citizen_name": "Karen Jensen", "requested_slot": "citizen_phone"}
    slots, _ = await form_turn("hellere fredag", before=before)
    assert (slots["booking_day"], slots["booking_time"]) == ("2026-12-04", "10:00")
    assert "booking_notice" not in slots and "citizen_phone" not in slots


async def test_no_phone_number_and_no_detail_still_gets_the_phone_hint() -> None:
    before = {**THURSDAY_10, "citizen_name": "Karen Jensen", "requested_slot": "citizen_phone"}
    slots, _ = await form_turn("det ved jeg ikke", before=before)
    assert slots["citizen_phone"] is None and "otte cifre" in slots["booking_notice"]


async def test_time_corrected_at_the_name_question() -> None:
    slots, _ = await form_turn("nej hellere kl 11", before={**THURSDAY_10, "requested_slot": "citizen_name"})
    assert (slots["booking_day"], slots["booking_time"]) == ("2026-12-03", "11:00") and "citizen_name" not in slots


@pytest.mark.parametrize(
    ("text", "intent", "entities", "candidates", "changed"),
    [("nej hellere på fredag", "deny", [], {"booking_confirmed": False}, {"booking_day": "2026-12-04"}),
     ("nej hellere på fredag", "inform", [], {}, {"booking_day": "2026-12-04"}),
     ("nej det skal være hos lægen", "deny", LAEGE, {"booking_confirmed": False, "booking_service": "laege"},
      {"booking_service": "laege"}),
     ("nej mit navn er Karen Hansen", "deny", [], {"booking_confirmed": False}, {"citizen_name": "Karen Hansen"}),
     ("nej mit nummer er 22 33 44 55", "deny", [], {"booking_confirmed": False}, {"citizen_phone": "22334455"})],
)  # fmt: skip
async def test_a_correction_at_the_read_back_changes_that_detail_and_reads_back_again(
    text, intent, entities, candidates, changed
) -> None:
    before = {**THURSDAY_10, "citizen_name": "Karen Jensen", "citizen_phone": "20304050",
              "requested_slot": "booking_confirmed"}  # fmt: skip
    slots, _ = await form_turn(text, intent, entities, before=before, candidates=candidates)
    assert {k: slots[k] for k in changed} == changed
    assert slots.get("booking_confirmed") is None
    kept = {**before, **changed}
    for slot in ("booking_day", "booking_time", "citizen_name", "citizen_phone"):
        assert slots.get(slot, kept[slot]) == kept[slot], slot


async def test_name_and_phone_in_one_answer_to_the_name_question() -> None:
    slots, _ = await form_turn("Karen Jensen 20 30 40 50", before={**THURSDAY_10, "requested_slot": "citizen_name"})
    assert (slots["citizen_name"], slots["citizen_phone"]) == ("Karen Jensen", "20304050")


async def test_only_a_phone_number_at_the_name_question_is_not_a_bad_name() -> None:
    slots, _ = await form_turn("mit nummer er 20 30 40 50", before={**THURSDAY_10, "requested_slot": "citizen_name"})
    assert slots == {"citizen_phone": "20304050"}


@pytest.mark.parametrize(
    ("municipality", "service", "text", "expected"),
    [("frederikshavn", "jobcenter", "torsdag klokken 10.15",
      "Jobcenter Frederikshavn har tider hver halve time, så torsdag kl. 10.15 kan jeg ikke booke. "
      "De nærmeste ledige er torsdag kl. 10, torsdag kl. 10.30 eller torsdag kl. 11."),
     ("aarhus", "jobcenter", "torsdag klokken 9", "Jobcenter Aarhus har tider hvert 45. minut, så torsdag kl. 9"),
     ("aarhus", "laege", "torsdag klokken 9.10", "Lægerne på Dokk1 (eksempel) har tider hvert kvarter"),
     ("aarhus", "jobcenter", "torsdag klokken 18", "Torsdag kl. 18 ligger uden for Jobcenter Aarhus' tider.")],
)  # fmt: skip
async def test_a_time_between_slots_names_the_slot_length_and_offers_the_nearest(
    municipality, service, text, expected
) -> None:
    before = {"booking_service": service, "requested_slot": "booking_time"}
    slots, _ = await form_turn(text, before=before, meta={"municipality": municipality})
    assert slots["booking_notice"].startswith(expected) and slots["booking_time"] is None
    assert slots["booking_day"] == "2026-12-03" and len(slots["offered_slots"]) == 3
    dispatcher = CollectingDispatcher()
    tracker = make_tracker([user_event(text, "inform", metadata={"municipality": municipality})],
                           slots={**before, **slots})  # fmt: skip
    await AskBookingTime().run(dispatcher, tracker, {})
    buttons = dispatcher.messages[0]["buttons"]
    assert [b["payload"] for b in buttons] == [
        f'/inform{{"booking_day": "{s[:10]}", "booking_time": "{s[11:16]}"}}' for s in slots["offered_slots"]
    ]


async def test_a_weekday_said_on_that_weekday_is_next_week() -> None:
    slots, _ = await form_turn(
        "på tirsdag kl 10", before={"booking_service": "jobcenter", "requested_slot": "booking_day"}
    )
    assert (slots["booking_day"], slots["booking_time"]) == ("2026-12-08", "10:00")  # said on Tuesday 1 December
