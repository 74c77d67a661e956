"""Booking a meeting through Rasa's REST channel, with the real form, actions and SQLite calendar.

The stack's clock is fixed at Tuesday 1 December 2026, 09:00 (see conftest.FIXED_NOW).
"""

from __future__ import annotations

import re
import uuid

import pytest
from conftest import TOKEN, post_json

from muni_core.channel_trust import GATEWAY_HEADER

pytestmark = pytest.mark.stack


class Conversation:
    """One citizen talking to the assistant over REST."""

    def __init__(self, config, municipality: str = "frederikshavn", gateway: bool = False, **metadata: str) -> None:
        self.url = f"{config.rasa_url}/webhooks/rest/webhook"
        self.sender = f"e2e-book-{uuid.uuid4().hex[:10]}"
        self.metadata = {"municipality": municipality, **metadata}
        self.headers = {GATEWAY_HEADER: TOKEN} if gateway else {}  # only the gateway may say who calls

    def say(self, text: str, channel: str = "rest") -> list[dict]:
        body = {"sender": self.sender, "message": text, "metadata": self.metadata, "input_channel": channel}
        status, reply = post_json(self.url, body, headers=self.headers)
        assert status == 200, reply
        return reply

    @staticmethod
    def text(reply: list[dict]) -> str:
        return " ".join(m.get("text", "") for m in reply)


def test_everything_in_the_first_message_then_name_phone_and_yes(stack) -> None:
    talk = Conversation(stack[0])
    assert "fulde navn" in talk.text(talk.say("jeg vil gerne have en tid hos lægen på torsdag ved 10-tiden"))
    assert "telefonnummer" in talk.text(talk.say("Kirsten Vang"))
    read_back = talk.text(talk.say("20 30 40 50"))
    assert read_back == (
        "Jeg booker en tid hos Lægehuset Havnegade (eksempel) torsdag kl. 10 til Kirsten Vang, "
        "telefon 20 30 40 50. Er det korrekt?"
    )
    booked = talk.text(talk.say("ja"))
    assert booked.startswith("Din tid er booket: Lægehuset Havnegade (eksempel) torsdag kl. 10")
    assert re.search(r"bookingnummer er \d\d \d\d \d\d\.", booked)


def test_taken_time_offers_three_others_and_the_first_can_be_picked(stack) -> None:
    for name, phone in (("Jens Jensen", "11223344"), ("Tove Bjerre", "22334455")):  # the jobcentre has 2 seats
        earlier = Conversation(stack[0])
        earlier.say("kan jeg booke en tid hos jobcentret på onsdag klokken 13")
        earlier.say(name)
        earlier.say(phone)
        assert "booket" in earlier.text(earlier.say("ja"))
    third = Conversation(stack[0])
    offer = third.say("kan jeg booke en tid hos jobcentret på onsdag klokken 13")
    text = third.text(offer)
    assert text.startswith("I morgen kl. 13 er desværre optaget. Jeg kan tilbyde")  # Wednesday, seen from Tuesday
    assert len(offer[0]["buttons"]) == 3
    assert "fulde navn" in third.text(third.say("den første"))


def test_caller_number_is_offered_on_the_phone(stack) -> None:
    talk = Conversation(stack[0], gateway=True, caller="+4561626364")
    talk.say("jeg skal have en tid ved jobcentret i morgen klokken halv elleve", channel="phone")
    question = talk.text(talk.say("Signe Vestergaard", channel="phone"))
    assert question == "Skal jeg bruge det nummer, du ringer fra, som slutter på 63 64?"
    assert "telefon 61 62 63 64" in talk.text(talk.say("ja", channel="phone"))


def test_closed_day_and_holiday_are_explained(stack) -> None:
    talk = Conversation(stack[0])
    assert "har lukket på lørdag" in talk.text(talk.say("jeg vil booke en tid hos jobcentret på lørdag"))
    holiday = Conversation(stack[0])
    assert "har lukket" in holiday.text(holiday.say("jeg vil booke en tid hos jobcentret juleaften den 24. december"))


def test_impossible_date_is_explained(stack) -> None:
    talk = Conversation(stack[0])
    reply = talk.text(talk.say("jeg vil gerne booke en tid hos lægen den 31. februar"))
    assert "findes ikke" in reply


def test_rules_question_in_the_middle_then_continue(stack) -> None:
    talk = Conversation(stack[0])
    talk.say("jeg vil booke en tid hos jobcentret på torsdag klokken 11")
    reply = talk.text(talk.say("hvad skal jeg have med når jeg skal have nyt pas"))
    assert "pas" in reply.lower() and "fulde navn" in reply


def test_no_to_the_read_back_then_another_time(stack) -> None:
    talk = Conversation(stack[0])
    talk.say("jeg vil booke en tid hos lægen på fredag klokken 9")
    talk.say("Arne Kjær")
    talk.say("55667788")
    assert "retter" in talk.text(talk.say("nej"))
    read_back = talk.text(talk.say("torsdag klokken 13"))
    assert "torsdag kl. 13 til Arne Kjær" in read_back


def test_stop_and_human_in_the_middle(stack) -> None:
    talk = Conversation(stack[0])
    talk.say("jeg vil gerne booke en tid")
    assert "ikke booket" in talk.text(talk.say("glem det"))
    other = Conversation(stack[0])
    other.say("jeg vil gerne booke en tid hos jobcentret")
    reply = other.say("jeg vil hellere tale med en medarbejder")
    assert any("handoff" in m.get("custom", {}) for m in reply)


def _book(stack, text: str, name: str, phone: str) -> str:
    talk = Conversation(stack[0])
    talk.say(text)
    talk.say(name)
    talk.say(phone)
    booked = talk.text(talk.say("ja"))
    match = re.search(r"bookingnummer er (\d\d \d\d \d\d)", booked)
    assert match, booked
    return match.group(1)


def test_check_cancel_and_move_a_booking(stack) -> None:
    reference = _book(stack, "jeg vil booke en tid hos jobcentret på torsdag klokken 9", "Rune Dalsgaard", "40404040")
    check = Conversation(stack[0])
    check.say("hvornår er min tid")
    assert "telefonnummer eller hvilket navn" in check.text(check.say(reference))  # the number alone is not enough
    told = check.text(check.say("40 40 40 40"))
    assert told.startswith("Du har en tid hos Jobcenter Frederikshavn torsdag kl. 9,")
    cancel = Conversation(stack[0])
    cancel.say("jeg vil gerne aflyse min tid")
    question = cancel.text(cancel.say(f"{reference}, mit nummer er 40 40 40 40"))
    assert question == "Du har en tid hos Jobcenter Frederikshavn torsdag kl. 9. Vil du aflyse den?"
    assert cancel.text(cancel.say("ja")) == "Din tid hos Jobcenter Frederikshavn torsdag kl. 9 er aflyst."
    again = Conversation(stack[0])
    again.say("hvornår er min tid")
    assert "passer ikke" in again.text(again.say(f"{reference} 40404040"))


def test_move_a_booking(stack) -> None:
    reference = _book(stack, "jeg vil booke en tid hos lægen på onsdag klokken 9", "Bo Berg", "50505050")
    move = Conversation(stack[0])
    move.say("kan jeg flytte min tid")
    move.say(reference)
    assert "Vil du flytte den?" in move.text(move.say("Bo Berg"))
    move.say("ja")
    moved = move.text(move.say("fredag klokken 11"))
    assert moved.startswith("Din tid er flyttet. Du har nu en tid hos Lægehuset Havnegade (eksempel) fredag kl. 11")


def test_changing_the_day_at_a_later_step(stack) -> None:
    talk = Conversation(stack[0])
    assert "fulde navn" in talk.text(talk.say("jeg vil gerne have en tid hos lægen på torsdag klokken 11.15"))
    assert "fulde navn" in talk.text(talk.say("kan vi tage fredag i stedet"))
    talk.say("Viggo Krag")
    assert "fredag kl. 11.15 til Viggo Krag" in talk.text(talk.say("61616161"))
