import pytest
from conftest import action_event, bot_event, make_tracker, user_event
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionClarify, ActionCoreFallback, ActionOfferHandoff, suggestions
from actions.faq import ActionAnswerFaq
from actions.handoff import ActionHandoff
from actions.info import ActionContactInfo, ActionOpeningHours
from actions.repeat import ActionRepeat
from actions.session import ActionSessionStart

DOMAIN: dict = {}


def faq_parse(topic: str, confidence: float = 0.9) -> dict:
    return {
        "response_selector": {
            "faq": {
                "response": {"intent_response_key": f"faq/{topic}", "confidence": confidence},
                "ranking": [{"intent_response_key": f"faq/{topic}", "confidence": confidence}],
            }
        }
    }


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["text"] for m in dispatcher.messages if m.get("text")]


async def run(action, tracker, dispatcher):
    return await action.run(dispatcher, tracker, DOMAIN)


async def test_faq_answer_uses_the_response_selector_and_municipality(dispatcher) -> None:
    event = user_event("jeg har mistet mit pas", "faq", metadata={"municipality": "frederikshavn"}, **faq_parse("pas"))
    events = await run(ActionAnswerFaq(), make_tracker([event]), dispatcher)
    [answer] = texts(dispatcher)
    assert "pas" in answer.lower()
    assert events == [{"event": "slot", "name": "last_topic", "value": "pas", "timestamp": None}]


async def test_faq_button_choice_beats_the_selector(dispatcher) -> None:
    event = user_event('/faq{"faq_topic": "vielse"}', "faq", entities=[{"entity": "faq_topic", "value": "vielse"}],
                       metadata={"municipality": "aarhus"}, **faq_parse("pas"))  # fmt: skip
    await run(ActionAnswerFaq(), make_tracker([event]), dispatcher)
    assert "gift" in texts(dispatcher)[0].lower() or "vielse" in texts(dispatcher)[0].lower()


async def test_faq_with_unknown_topic_asks_to_rephrase(dispatcher) -> None:
    event = user_event("x", "faq", entities=[{"entity": "faq_topic", "value": "månerejser"}])
    assert await run(ActionAnswerFaq(), make_tracker([event]), dispatcher) == []
    assert dispatcher.messages[0]["response"] == "utter_rephrase"


async def test_municipality_override_reaches_the_citizen(dispatcher) -> None:
    event = user_event("storskrald", "faq", metadata={"municipality": "aarhus"}, **faq_parse("affald"))
    await run(ActionAnswerFaq(), make_tracker([event]), dispatcher)
    assert "Kredsløb" in texts(dispatcher)[0]


async def test_opening_hours_today_from_config_and_clock(dispatcher, fixed_now) -> None:
    fixed_now("2026-11-30T12:00:00")
    event = user_event("hvornår har i åbent", "opening_hours", metadata={"municipality": "frederikshavn"})
    await run(ActionOpeningHours(), make_tracker([event]), dispatcher)
    assert texts(dispatcher)[0].startswith("Borgerservice har åbent i dag til kl. 15. Almindelige åbningstider:")


async def test_opening_hours_for_a_named_day_and_the_jobcentre(dispatcher, fixed_now) -> None:
    fixed_now("2026-12-02T09:00:00")
    event = user_event("har jobcentret åbent i morgen", "opening_hours", metadata={"municipality": "frederikshavn"},
                       entities=[{"entity": "service", "value": "jobcenter"}])  # fmt: skip
    await run(ActionOpeningHours(), make_tracker([event]), dispatcher)
    assert texts(dispatcher) == ["I morgen har Jobcenter Frederikshavn åbent fra kl. 8 til kl. 16.30."]


async def test_municipality_slot_is_used_when_message_has_no_metadata(dispatcher, fixed_now) -> None:
    fixed_now("2026-12-05T10:00:00")
    event = user_event("åbningstider", "opening_hours")
    await run(ActionOpeningHours(), make_tracker([event], slots={"municipality": "aarhus"}), dispatcher)
    assert texts(dispatcher)[0].startswith("Borgerservice Aarhus har åbent i dag til kl. 13.")


async def test_default_municipality_from_environment(dispatcher, fixed_now, monkeypatch) -> None:
    fixed_now("2026-12-05T10:00:00")
    monkeypatch.setenv("MUNI_DEFAULT_MUNICIPALITY", "aarhus")
    await run(ActionOpeningHours(), make_tracker([user_event("åbent?", "opening_hours")]), dispatcher)
    assert texts(dispatcher)[0].startswith("Borgerservice Aarhus")


@pytest.mark.parametrize("metadata", [{"municipality": "atlantis"}, {}, {"municipality": 7}])
async def test_unknown_municipality_gets_a_useful_answer(dispatcher, metadata) -> None:
    # Once the citizen has been asked for the municipality (and did not name one), answer generally.
    event = user_event("hvornår har i åbent", "opening_hours", metadata=metadata)
    await run(ActionOpeningHours(), make_tracker([event], slots={"municipality_asked": True}), dispatcher)
    assert "Jeg ved ikke, hvilken kommune" in texts(dispatcher)[0]


async def test_doctor_hours_point_to_the_clinic(dispatcher) -> None:
    event = user_event("hvornår har lægen åbent", "opening_hours", metadata={"municipality": "aarhus"},
                       entities=[{"entity": "service", "value": "laege"}])  # fmt: skip
    await run(ActionOpeningHours(), make_tracker([event]), dispatcher)
    assert "lægehuset" in texts(dispatcher)[0]


async def test_contact_info_answers_only_what_was_asked(dispatcher) -> None:
    event = user_event("hvad er jeres telefonnummer", "contact_info", metadata={"municipality": "frederikshavn"})
    await run(ActionContactInfo(), make_tracker([event]), dispatcher)
    assert texts(dispatcher) == ["Du kan ringe til Borgerservice i Frederikshavn Kommune på 98 45 50 00."]


async def test_contact_info_for_the_jobcentre_gives_all_details(dispatcher) -> None:
    event = user_event("kontakt jobcentret", "contact_info", metadata={"municipality": "aarhus"},
                       entities=[{"entity": "service", "value": "jobcenter"}])  # fmt: skip
    await run(ActionContactInfo(), make_tracker([event]), dispatcher)
    text = texts(dispatcher)[0]
    assert "89 40 50 00" in text and "jobcenter@aarhus.dk" in text and "Værkmestergade 11" in text
    assert "CPR-nummer" in text


async def test_clarify_offers_the_likely_topics_as_buttons(dispatcher) -> None:
    parse = {
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.5},
            {"name": "faq", "confidence": 0.45},
            {"name": "opening_hours", "confidence": 0.3},
            {"name": "greet", "confidence": 0.2},
        ],
        "response_selector": {"faq": {"ranking": [
            {"intent_response_key": "faq/pas", "confidence": 0.6},
            {"intent_response_key": "faq/koerekort", "confidence": 0.35},
            {"intent_response_key": "faq/vielse", "confidence": 0.05},
        ]}},
    }  # fmt: skip
    await run(ActionClarify(), make_tracker([user_event("pas kort", "nlu_fallback", **parse)]), dispatcher)
    [message] = dispatcher.messages
    assert [b["title"] for b in message["buttons"]] == ["Åbningstider", "Pas", "Kørekort"]
    assert [b["payload"] for b in message["buttons"]] == [
        "/opening_hours",
        '/faq{"faq_topic": "pas"}',
        '/faq{"faq_topic": "koerekort"}',
    ]


def test_suggestions_skip_small_talk_and_weak_guesses() -> None:
    parse = {"intent_ranking": [{"name": "greet", "confidence": 0.9}, {"name": "contact_info", "confidence": 0.01}]}
    assert suggestions(parse) == []


async def test_clarify_without_candidates_asks_to_rephrase(dispatcher) -> None:
    await run(ActionClarify(), make_tracker([user_event("🙂", "nlu_fallback")]), dispatcher)
    assert dispatcher.messages[0]["response"] == "utter_rephrase"


async def test_offer_handoff_has_yes_and_no_buttons(dispatcher) -> None:
    await run(ActionOfferHandoff(), make_tracker([user_event("xyz", "nlu_fallback")]), dispatcher)
    [message] = dispatcher.messages
    assert "medarbejder" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/human_handoff", "/deny"]


async def test_handoff_emits_event_with_summary(dispatcher, fixed_now) -> None:
    fixed_now("2026-11-30T12:00:00")
    meta = {"municipality": "frederikshavn"}
    events = [
        user_event("hvordan fornyer jeg mit pas", "faq", metadata=meta, **faq_parse("pas")),
        bot_event("Du bestiller pas …"),
        user_event("hvornår har i åbent", "opening_hours", metadata=meta),
        bot_event("Borgerservice har åbent …"),
        user_event("blablabla", "nlu_fallback", metadata=meta),
        action_event("action_clarify"),
        user_event("stil mig videre til en person", "human_handoff", metadata=meta),
    ]
    await run(ActionHandoff(), make_tracker(events, sender="conv-42"), dispatcher)
    text, custom = dispatcher.messages
    assert "98 45 50 00" in text["text"] and "har åbent i dag til kl. 15" in text["text"]
    handoff = custom["custom"]["handoff"]
    assert handoff["conversation_id"] == "conv-42"
    assert handoff["reason"] == "citizen_request"
    assert handoff["municipality"] == "frederikshavn"
    assert handoff["topics"] == ["faq/pas", "opening_hours"]
    assert (
        handoff["summary"]
        == "Borgeren har spurgt om: Pas, Åbningstider. 4 beskeder fra borgeren, heraf 1 som assistenten ikke forstod."
    )
    assert handoff["last_question"] == "blablabla"


async def test_handoff_after_offer_is_marked_as_misunderstanding(dispatcher) -> None:
    events = [
        user_event("qqq", "nlu_fallback"), action_event("action_clarify"),
        user_event("www", "nlu_fallback"), action_event("action_offer_handoff"), action_event("action_listen"),
        user_event("ja", "affirm"),
    ]  # fmt: skip
    await run(ActionHandoff(), make_tracker(events), dispatcher)
    handoff = dispatcher.messages[1]["custom"]["handoff"]
    assert handoff["reason"] == "repeated_misunderstanding"
    assert handoff["municipality"] is None
    assert "din kommunes borgerservice" in dispatcher.messages[0]["text"]


async def test_repeat_says_the_last_answer_again(dispatcher) -> None:
    buttons = [{"title": "Pas", "payload": "/faq"}]
    events = [
        user_event("hej", "greet"), bot_event("Hej!"),
        user_event("pas", "nlu_fallback"), bot_event("Mener du et af disse?", buttons), bot_event("Anden del"),
        user_event("hvad sagde du", "repeat"),
    ]  # fmt: skip
    await run(ActionRepeat(), make_tracker(events), dispatcher)
    assert [(m["text"], m["buttons"]) for m in dispatcher.messages] == [
        ("Mener du et af disse?", buttons),
        ("Anden del", []),
    ]


async def test_repeat_twice_repeats_the_same(dispatcher) -> None:
    events = [
        user_event("pas", "faq"), bot_event("Svar om pas"),
        user_event("hvad sagde du", "repeat"), bot_event("Svar om pas"),
        user_event("en gang til", "repeat"),
    ]  # fmt: skip
    await run(ActionRepeat(), make_tracker(events), dispatcher)
    assert texts(dispatcher) == ["Svar om pas"]


async def test_repeat_says_a_read_back_with_the_name_and_number_the_store_redacted(dispatcher) -> None:
    stored = "Jeg booker en tid kl. 10 til [navn], telefon [telefonnummer]. Er det korrekt?"
    events = [user_event("20304050", "inform"), bot_event(stored), user_event("hvad sagde du", "repeat")]
    tracker = make_tracker(events, slots={"citizen_name": "Kirsten Vang", "citizen_phone": "20304050"})
    await run(ActionRepeat(), tracker, dispatcher)
    assert texts(dispatcher) == ["Jeg booker en tid kl. 10 til Kirsten Vang, telefon 20 30 40 50. Er det korrekt?"]


async def test_repeat_keeps_placeholders_it_cannot_fill(dispatcher) -> None:
    events = [user_event("x", "inform"), bot_event("Dit cpr [CPR-nummer]"), user_event("igen", "repeat")]
    await run(ActionRepeat(), make_tracker(events), dispatcher)
    assert texts(dispatcher) == ["Dit cpr [CPR-nummer]"]


async def test_repeat_with_nothing_said_yet(dispatcher) -> None:
    await run(ActionRepeat(), make_tracker([user_event("hvad sagde du", "repeat")]), dispatcher)
    assert "ikke sagt noget" in texts(dispatcher)[0]


async def test_session_start_sets_municipality_from_metadata() -> None:
    tracker = make_tracker([], slots={"session_started_metadata": {"municipality": "Aarhus"}})
    events = await ActionSessionStart().run(CollectingDispatcher(), tracker, DOMAIN)
    assert [e["event"] for e in events] == ["session_started", "slot", "action"]
    assert events[1]["value"] == "aarhus"


async def test_session_start_keeps_previous_municipality() -> None:
    tracker = make_tracker([], slots={"municipality": "frederikshavn", "session_started_metadata": None})
    events = await ActionSessionStart().run(CollectingDispatcher(), tracker, DOMAIN)
    assert events[1]["value"] == "frederikshavn"


async def test_core_fallback_apologises_and_reverts(dispatcher) -> None:
    events = await run(ActionCoreFallback(), make_tracker([user_event("?", "affirm")]), dispatcher)
    assert events == [{"event": "rewind", "timestamp": None}]
    assert "Undskyld" in texts(dispatcher)[0]
