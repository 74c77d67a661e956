"""Detours sent to the real stack (Rasa + action server + trained model): no municipality known, two misses
in a row, and what the handoff promises on each channel.

Each test fails if the detour misleads the citizen: a dead end instead of the question, another
municipality's details, a hostile answer taken as a municipality, gibberish answered as if understood,
a web chat that promises a live transfer.
"""

from __future__ import annotations

import uuid

import pytest
from conftest import TOKEN, post_json

from muni_core.channel_trust import GATEWAY_HEADER

pytestmark = pytest.mark.stack

ASK = "Hvilken kommune bor du i?"
BUTTONS = [{"title": "Aarhus", "payload": "Aarhus"}, {"title": "Frederikshavn", "payload": "Frederikshavn"}]


def new_sender() -> str:
    return f"e2e-detour-{uuid.uuid4().hex[:10]}"


def say(config, sender: str, text: str, **body) -> list[dict]:
    status, reply = post_json(f"{config.rasa_url}/webhooks/rest/webhook", {"sender": sender, "message": text, **body})
    assert status == 200, reply
    return reply


def texts(reply: list[dict]) -> str:
    return " ".join(m.get("text", "") for m in reply)


def asked_for_municipality(reply: list[dict], again: bool = False) -> bool:
    """The question (or, ``again``, the question after an unknown answer) with a button per municipality."""
    wanted = "har jeg ikke oplysninger om" if again else ASK
    return any(wanted in m.get("text", "") and m.get("buttons") == BUTTONS for m in reply) and not any(
        "har jeg ikke oplysninger om" in m.get("text", "") for m in reply if not again
    )


def test_no_municipality_asks_then_answers_the_question_for_aarhus_and_remembers_it(stack) -> None:
    config, _ = stack
    sender = new_sender()
    question = say(config, sender, "hvornår har borgerservice åbent")  # a REST client without metadata
    assert asked_for_municipality(question), question
    assert "din kommune" not in texts(question)
    answer = texts(say(config, sender, "Aarhus"))
    assert "Aarhus Kommune" in answer and "Borgerservice Aarhus åbner i dag kl. 10" in answer, answer
    later = texts(say(config, sender, "hvad er jeres telefonnummer"))
    assert "89 40 20 00" in later and ASK not in later, later


def test_a_postcode_names_frederikshavn(stack) -> None:
    config, _ = stack
    sender = new_sender()
    assert asked_for_municipality(say(config, sender, "hvad er telefonnummeret til kommunen"))
    answer = texts(say(config, sender, "9900"))
    assert "98 45 50 00" in answer and "89 40" not in answer, answer


def test_an_unknown_answer_asks_again_and_ved_ikke_gives_the_generic_answer(stack) -> None:
    config, _ = stack
    sender = new_sender()
    assert asked_for_municipality(say(config, sender, "hvornår har borgerservice åbent"))
    again = say(config, sender, "Odense")
    assert asked_for_municipality(again, again=True), again
    generic = texts(say(config, sender, "ved ikke"))
    assert "Så svarer jeg generelt" in generic and "Jeg ved ikke, hvilken kommune" in generic, generic
    assert "89 40" not in generic and "98 45" not in generic


@pytest.mark.parametrize(
    "answer",
    ["_generic", "../../etc/passwd", "<script>alert(1)</script>", "Aarhus eller 9900", "9940", "x" * 3000],
)
def test_a_hostile_or_unknown_answer_is_never_taken_as_a_municipality(stack, answer: str) -> None:
    config, _ = stack
    sender = new_sender()
    assert asked_for_municipality(say(config, sender, "hvornår har borgerservice åbent"))
    reply = say(config, sender, answer)
    assert asked_for_municipality(reply, again=True), reply
    assert "89 40" not in texts(reply) and "98 45" not in texts(reply) and "<script>" not in texts(reply)


def test_a_third_unknown_answer_is_no_dead_end(stack) -> None:
    config, _ = stack
    sender = new_sender()
    assert asked_for_municipality(say(config, sender, "hvornår har borgerservice åbent"))
    assert asked_for_municipality(say(config, sender, "Odense"), again=True)
    assert asked_for_municipality(say(config, sender, "2100"), again=True)
    last = texts(say(config, sender, "Vejle"))
    assert "Så svarer jeg generelt" in last and ASK not in last, last
    # the question is not asked again in this conversation; a question gets the general answer
    assert ASK not in texts(say(config, sender, "hvad er jeres telefonnummer"))


def test_gibberish_as_the_second_miss_offers_a_person(stack) -> None:
    config, _ = stack
    sender = new_sender()
    meta = {"metadata": {"municipality": "frederikshavn"}}
    first = say(config, sender, "/nlu_fallback", **meta)
    assert "medarbejder" not in texts(first)
    offer = say(config, sender, "asdkjh qwe", **meta)
    assert "medarbejder" in texts(offer), offer
    assert [b["payload"] for m in offer for b in m.get("buttons", [])] == ["/human_handoff", "/deny"]


def test_the_web_chat_never_promises_a_live_transfer(stack) -> None:
    config, _ = stack
    reply = say(
        config, new_sender(), "jeg vil gerne tale med en medarbejder", metadata={"municipality": "frederikshavn"}
    )
    text = texts(reply)
    assert text.startswith("Jeg kan ikke sætte dig direkte i forbindelse med en medarbejder her i chatten."), text
    assert "Jeg sætter dig i kontakt" not in text
    assert "98 45 50 00" in text and "post@frederikshavn.dk" in text
    [event] = [m["custom"]["handoff"] for m in reply if "custom" in m]
    assert event["channel"] == "web" and event["contact_phone"] == "98 45 50 00"


def test_a_web_page_claiming_to_be_the_phone_still_gets_the_honest_text(stack) -> None:
    config, _ = stack
    body = {"metadata": {"municipality": "frederikshavn"}, "input_channel": "phone"}
    text = texts(say(config, new_sender(), "jeg vil gerne tale med en medarbejder", **body))
    assert "Jeg sætter dig i kontakt" not in text and "her i chatten" in text, text


def test_the_phone_still_transfers(stack) -> None:
    config, _ = stack
    body = {"sender": new_sender(), "message": "jeg vil gerne tale med en medarbejder",
            "metadata": {"municipality": "frederikshavn"}, "input_channel": "phone"}  # fmt: skip
    status, reply = post_json(f"{config.rasa_url}/webhooks/rest/webhook", body, headers={GATEWAY_HEADER: TOKEN})
    assert status == 200, reply
    assert texts(reply).startswith("Jeg sætter dig i kontakt med en medarbejder."), reply
    assert [m["custom"]["handoff"]["channel"] for m in reply if "custom" in m] == ["phone"]


def test_a_booking_without_municipality_asks_for_it_then_books_there(stack) -> None:
    config, _ = stack
    sender = new_sender()
    asked = say(config, sender, "jeg vil gerne booke en tid")  # a REST client without metadata
    assert asked_for_municipality(asked), asked
    assert "kan ikke booke" not in texts(asked)
    started = say(config, sender, "Aarhus")
    assert "Aarhus Kommune" in texts(started), started
    service = [m for m in started if m.get("text") == "Vil du booke en tid hos jobcentret eller hos lægen?"]
    assert service and [b["title"] for b in service[0]["buttons"]] == ["Jobcentret", "Lægen"], started
    day = texts(say(config, sender, "hos jobcentret"))
    # Aarhus' jobcentre books every 45 minutes (content/municipalities/aarhus.yml): its times, not another's
    assert day.startswith("Hvilken dag passer dig?") and "kl. 10.45" in day, day
