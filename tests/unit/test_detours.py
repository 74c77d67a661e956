"""Detours: asking for the municipality, two misses in a row, and what the handoff promises per channel."""

from pathlib import Path

import pytest
from conftest import action_event, make_tracker, user_event
from rasa_sdk.executor import CollectingDispatcher

from actions.context import TurnContext
from actions.fallback import ActionOfferHandoff, fallback_threshold, is_miss
from actions.faq import ActionAnswerFaq
from actions.handoff import ActionHandoff
from actions.info import ActionContactInfo, ActionOpeningHours
from actions.municipality_question import (
    ANSWER_SLOT,
    ASKED_SLOT,
    PENDING_SLOT,
    TRIES_SLOT,
    AskMunicipality,
    ValidateMunicipalityForm,
)
from actions.session import ActionAnswerPending
from muni_core.municipalities import MunicipalityConfigError, MunicipalityRegistry, parse_municipality
from muni_core.paths import CONTENT_DIR

DOMAIN: dict = {}
REGISTRY = MunicipalityRegistry(CONTENT_DIR / "municipalities")


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["text"] for m in dispatcher.messages if m.get("text")]


def slots_set(events: list[dict]) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def on_channel(event: dict, channel: str) -> dict:
    return {**event, "input_channel": channel}


# --- which municipality: names, postcodes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("Aarhus", "aarhus"), ("aarhus", "aarhus"), ("Århus", "aarhus"), ("ÅRHUS", "aarhus"), ("arhus", "aarhus"),
        ("Aarhus Kommune", "aarhus"), ("jeg bor i Aarhus", "aarhus"), ("8000", "aarhus"), ("8270", "aarhus"),
        ("8541", "aarhus"), ("jeg bor i 8260 Viby", "aarhus"), ("Frederikshavn", "frederikshavn"),
        ("fredrikshavn", "frederikshavn"), ("9900", "frederikshavn"), ("9990", "frederikshavn"),
        ("Skagen", "frederikshavn"),
    ],
)  # fmt: skip
def test_a_name_or_postcode_names_the_municipality(said: str, expected: str) -> None:
    found = REGISTRY.match(said)
    assert found is not None and found.id == expected


@pytest.mark.parametrize(
    "said",
    ["Odense", "2100", "8271", "9940", "ved ikke", "asdkjh qwe", "", "i", "aar", "Aarhus eller 9900", None, 9900],
)
def test_an_unknown_name_or_postcode_names_none(said: object) -> None:
    assert REGISTRY.match(said) is None


def test_postcodes_must_be_four_digits_or_a_range() -> None:
    raw = {"id": "x", "name": "X", "website": "x.dk", "phone": "1", "email": "x@x.dk",
           "offices": {"borgerservice": {"name": "B", "address": "Vej 1"}}}  # fmt: skip
    assert parse_municipality({**raw, "postcodes": [9900, "8000-8270"]}, "x.yml").postcodes == (
        (9900, 9900),
        (8000, 8270),
    )
    for bad, message in [("9900", "skal være en liste"), (["99"], "fire cifre"), (["8270-8000"], "slutter før")]:
        with pytest.raises(MunicipalityConfigError, match=message):
            parse_municipality({**raw, "postcodes": bad}, "x.yml")


def test_a_postcode_two_municipalities_claim_names_neither(tmp_path: Path) -> None:
    for name in ("a", "b", "_generic"):
        (tmp_path / f"{name}.yml").write_text(
            f"id: {name}\nname: {name.upper()}\nwebsite: w\nphone: '1'\nemail: e\npostcodes: [9900]\n"
            "offices:\n  borgerservice:\n    name: B\n    address: Vej 1\n",
            encoding="utf-8",
        )
    assert MunicipalityRegistry(tmp_path).match("9900") is None


# --- the detour: ask, understand, answer the question that waited -----------------------------------------


@pytest.mark.parametrize(
    ("action", "event"),
    [
        (ActionOpeningHours(), user_event("hvornår har borgerservice åbent", "opening_hours")),
        (ActionContactInfo(), user_event("hvad er jeres telefonnummer", "contact_info")),
        (
            ActionAnswerFaq(),
            user_event("jeg skal flytte", "faq", entities=[{"entity": "faq_topic", "value": "flytning"}]),
        ),
    ],
)
async def test_a_question_that_needs_the_municipality_waits_for_it(action, event, dispatcher) -> None:
    events = await action.run(dispatcher, make_tracker([event]), DOMAIN)
    assert slots_set(events)[PENDING_SLOT] == action.name()
    assert events[-1] == {"event": "followup", "name": "municipality_form", "timestamp": None}
    assert dispatcher.messages == []  # municipality_form asks


async def test_a_question_without_municipality_details_is_answered_at_once(dispatcher) -> None:
    event = user_event("hvad er boligstøtte", "faq", entities=[{"entity": "faq_topic", "value": "boligstoette"}])
    events = await ActionAnswerFaq().run(dispatcher, make_tracker([event]), DOMAIN)
    assert PENDING_SLOT not in slots_set(events) and texts(dispatcher)


async def test_a_known_municipality_is_never_asked_for(dispatcher, fixed_now) -> None:
    fixed_now("2026-11-30T12:00:00")
    event = user_event("hvornår har i åbent", "opening_hours", metadata={"municipality": "frederikshavn"})
    events = await ActionOpeningHours().run(dispatcher, make_tracker([event]), DOMAIN)
    assert events == [] and texts(dispatcher)[0].startswith("Borgerservice har åbent")


async def test_the_question_has_a_button_per_municipality(dispatcher) -> None:
    await AskMunicipality().run(dispatcher, make_tracker([user_event("åbent?", "opening_hours")]), DOMAIN)
    [message] = dispatcher.messages
    assert message["text"].startswith("Hvilken kommune bor du i?")
    assert {(b["title"], b["payload"]) for b in message["buttons"]} == {
        ("Aarhus", "Aarhus"),
        ("Frederikshavn", "Frederikshavn"),
    }


async def test_after_an_unknown_answer_the_question_says_so_and_shows_the_buttons_again(dispatcher) -> None:
    tracker = make_tracker([user_event("Odense", "inform")], slots={TRIES_SLOT: 1})
    await AskMunicipality().run(dispatcher, tracker, DOMAIN)
    [message] = dispatcher.messages
    assert "har jeg ikke oplysninger om" in message["text"] and "ved ikke" in message["text"]
    assert len(message["buttons"]) == 2


async def validate(said: str, intent: str = "inform", tries: int | None = None) -> dict:
    tracker = make_tracker([user_event(said, intent)], slots={TRIES_SLOT: tries})
    return await ValidateMunicipalityForm().validate_municipality_answer(said, CollectingDispatcher(), tracker, {})


@pytest.mark.parametrize(("said", "expected"), [("Aarhus", "aarhus"), ("Århus", "aarhus"), ("9900", "frederikshavn")])
async def test_a_known_answer_sets_the_municipality(said: str, expected: str) -> None:
    assert await validate(said, "out_of_scope") == {ANSWER_SLOT: expected, "municipality": expected, TRIES_SLOT: None}


async def test_the_form_starting_is_no_answer() -> None:
    tracker = make_tracker([user_event("hvornår har i åbent", "opening_hours")])
    validated = await ValidateMunicipalityForm().validate_municipality_answer(None, CollectingDispatcher(), tracker, {})
    assert validated == {ANSWER_SLOT: None}


async def test_an_unknown_answer_asks_again_and_the_third_gives_the_generic_answer() -> None:
    assert await validate("Odense") == {ANSWER_SLOT: None, TRIES_SLOT: 1}
    assert await validate("2100", tries=1) == {ANSWER_SLOT: None, TRIES_SLOT: 2}
    assert await validate("Odense", tries=2) == {ANSWER_SLOT: "_generic", TRIES_SLOT: None}


@pytest.mark.parametrize(("said", "intent"), [("ved ikke", "inform"), ("det ved jeg ikke", "deny"), ("nej", "deny")])
async def test_i_dont_know_gives_the_generic_answer(said: str, intent: str) -> None:
    assert await validate(said, intent) == {ANSWER_SLOT: "_generic", TRIES_SLOT: None}


def waited(question: dict, answer: str, chosen: str | None) -> list[dict]:
    return [
        question, action_event("action_opening_hours"),
        {"event": "slot", "name": PENDING_SLOT, "value": "action_opening_hours"},
        action_event("municipality_form"), user_event(answer, "out_of_scope"),
        {"event": "slot", "name": "municipality", "value": chosen},
    ]  # fmt: skip


async def test_the_waiting_question_is_answered_for_the_chosen_municipality(dispatcher, fixed_now) -> None:
    fixed_now("2026-12-05T10:00:00")  # a Saturday: only Aarhus is open
    question = user_event("hvornår har borgerservice åbent", "opening_hours")
    tracker = make_tracker(waited(question, "Aarhus", "aarhus"),
                           slots={"municipality": "aarhus", PENDING_SLOT: "action_opening_hours"})  # fmt: skip
    events = await ActionAnswerPending().run(dispatcher, tracker, DOMAIN)
    chosen, answer = texts(dispatcher)
    assert chosen == "Tak, så svarer jeg for Aarhus Kommune."
    assert answer.startswith("Borgerservice Aarhus har åbent i dag til kl. 13.")
    assert slots_set(events) == {PENDING_SLOT: None, ANSWER_SLOT: None, TRIES_SLOT: None, ASKED_SLOT: True}


async def test_the_waiting_question_keeps_its_own_words(dispatcher, fixed_now) -> None:
    fixed_now("2026-12-02T09:00:00")
    question = user_event("har jobcentret åbent i morgen", "opening_hours",
                          entities=[{"entity": "service", "value": "jobcenter"}])  # fmt: skip
    tracker = make_tracker(waited(question, "9900", "frederikshavn"),
                           slots={"municipality": "frederikshavn", PENDING_SLOT: "action_opening_hours"})  # fmt: skip
    await ActionAnswerPending().run(dispatcher, tracker, DOMAIN)
    assert texts(dispatcher)[1] == "I morgen har Jobcenter Frederikshavn åbent fra kl. 8 til kl. 16.30."


async def test_giving_up_answers_generally_with_a_hint(dispatcher) -> None:
    question = user_event("hvornår har borgerservice åbent", "opening_hours")
    tracker = make_tracker(waited(question, "ved ikke", None),
                           slots={"municipality": "_generic", PENDING_SLOT: "action_opening_hours"})  # fmt: skip
    await ActionAnswerPending().run(dispatcher, tracker, DOMAIN)
    hint, answer = texts(dispatcher)
    assert hint.startswith("Så svarer jeg generelt") and "Jeg ved ikke, hvilken kommune" in answer


# --- two misses in a row ----------------------------------------------------------------------------------


def test_the_actions_use_the_threshold_of_bot_config() -> None:
    assert fallback_threshold() == 0.7


@pytest.mark.parametrize(
    ("text", "intent", "confidence", "miss"),
    [
        ("asdkjh qwe", "out_of_scope", 0.89, True),  # gibberish lands on out_of_scope with high confidence
        ("asdkjh qwe", "deny", 0.55, True),  # another intent, below the threshold
        ("qwerty", "affirm", 0.65, True),
        ("xcvb nm", "nlu_fallback", 0.7, True),
        ("ja tak", "affirm", 0.98, False),
        ("hvornår har i åbent", "opening_hours", 0.95, False),
        ("/human_handoff", "human_handoff", 1.0, False),
        ("/nlu_fallback", "nlu_fallback", 1.0, True),
    ],
)
def test_a_miss_is_low_confidence_whatever_the_intent(text: str, intent: str, confidence: float, miss: bool) -> None:
    assert is_miss({"text": text, "intent": {"name": intent, "confidence": confidence}}) is miss


async def test_handoff_after_gibberish_counts_it_as_not_understood(dispatcher) -> None:
    events = [
        user_event("qqq", "nlu_fallback"), action_event("action_clarify"),
        user_event("asdkjh qwe", "out_of_scope"), action_event("action_offer_handoff"), action_event("action_listen"),
        user_event("/human_handoff", "human_handoff"),
    ]  # fmt: skip
    await ActionHandoff().run(dispatcher, make_tracker(events), DOMAIN)
    assert "heraf 2 som assistenten ikke forstod" in dispatcher.messages[1]["custom"]["handoff"]["summary"]


# --- what the handoff promises, by channel ----------------------------------------------------------------


@pytest.mark.parametrize("channel", ["web", "kiosk", None])
async def test_web_handoff_says_what_really_happens(channel, dispatcher, fixed_now) -> None:
    fixed_now("2026-11-30T12:00:00")
    event = on_channel(user_event("jeg vil tale med en medarbejder", "human_handoff",
                                  metadata={"municipality": "frederikshavn"}), channel)  # fmt: skip
    await ActionHandoff().run(dispatcher, make_tracker([event]), DOMAIN)
    text = dispatcher.messages[0]["text"]
    assert text.startswith("Jeg kan ikke sætte dig direkte i forbindelse med en medarbejder her i chatten.")
    assert "Jeg sætter dig i kontakt" not in text
    assert "98 45 50 00" in text and "post@frederikshavn.dk" in text and "har åbent i dag til kl. 15" in text
    assert dispatcher.messages[1]["custom"]["handoff"]["channel"] == channel


async def test_phone_handoff_stays_a_transfer(dispatcher, fixed_now) -> None:
    fixed_now("2026-11-30T12:00:00")
    event = on_channel(user_event("medarbejder", "human_handoff", metadata={"municipality": "frederikshavn"}), "phone")
    await ActionHandoff().run(dispatcher, make_tracker([event]), DOMAIN)
    assert dispatcher.messages[0]["text"].startswith("Jeg sætter dig i kontakt med en medarbejder.")
    assert dispatcher.messages[1]["custom"]["handoff"]["contact_phone"] == "98 45 50 00"


@pytest.mark.parametrize(("channel", "question"), [("web", "hvordan du får fat i"), ("phone", "Vil du tale med")])
async def test_the_offer_of_a_person_matches_the_channel(channel, question, dispatcher) -> None:
    await ActionOfferHandoff().run(dispatcher, make_tracker([on_channel(user_event("x", "nlu_fallback"), channel)]), {})
    assert question in dispatcher.messages[0]["text"]


def test_turn_context_sees_the_channel() -> None:
    assert TurnContext.of(make_tracker([on_channel(user_event("x", "greet"), "phone")])).on_phone


# --- a booking without a municipality ---------------------------------------------------------------------


async def test_a_booking_without_municipality_asks_for_it_instead_of_refusing(dispatcher) -> None:
    from actions.booking import AskBookingService

    tracker = make_tracker([user_event("jeg vil gerne booke en tid", "book_appointment")])
    events = await AskBookingService().run(dispatcher, tracker, DOMAIN)
    assert texts(dispatcher) == []  # the municipality form asks; no refusal
    assert slots_set(events)[PENDING_SLOT] == "booking_form"
    assert ("followup", "municipality_form") in [(e["event"], e.get("name")) for e in events]
    assert ("active_loop", None) in [(e["event"], e.get("name")) for e in events]


async def test_a_booking_asked_once_already_is_refused_as_before(dispatcher) -> None:
    from actions.booking import AskBookingService

    tracker = make_tracker([user_event("jeg vil gerne booke en tid", "book_appointment")], slots={ASKED_SLOT: True})
    events = await AskBookingService().run(dispatcher, tracker, DOMAIN)
    assert any("jeg kan ikke booke en tid" in text for text in texts(dispatcher))
    assert not any(e.get("event") == "followup" for e in events)


async def test_the_waiting_booking_starts_again_in_the_chosen_municipality(dispatcher) -> None:
    question = user_event("jeg vil gerne booke en tid", "book_appointment")
    tracker = make_tracker(
        waited(question, "Aarhus", "aarhus"), slots={"municipality": "aarhus", PENDING_SLOT: "booking_form"}
    )
    events = await ActionAnswerPending().run(dispatcher, tracker, DOMAIN)
    assert texts(dispatcher) == ["Tak, så svarer jeg for Aarhus Kommune."]
    assert (events[-1]["event"], events[-1]["name"]) == ("followup", "booking_form")
    assert slots_set(events)[PENDING_SLOT] is None


async def test_a_waiting_booking_without_municipality_is_refused(dispatcher) -> None:
    question = user_event("jeg vil gerne booke en tid", "book_appointment")
    tracker = make_tracker(
        waited(question, "ved ikke", None), slots={"municipality": "_generic", PENDING_SLOT: "booking_form"}
    )
    events = await ActionAnswerPending().run(dispatcher, tracker, DOMAIN)
    assert any("jeg kan ikke booke en tid" in text for text in texts(dispatcher))
    assert not any(e.get("event") == "followup" for e in events)
