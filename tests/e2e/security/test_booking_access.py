"""Attacks on a citizen's booking, sent to the real running stack (Rasa + action server + trained model).

Each test books a real meeting, then tries to read, move or cancel it as a stranger would, and checks
that nothing about the booking comes back and that it is still booked. Messages are sent as the gateway
sends them (header ``X-Muni-Gateway``) with a client address of the test's own, so the per-address limit
of one test does not touch another's.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid

import pytest
from conftest import TOKEN

pytestmark = pytest.mark.stack

PER_CONVERSATION, PER_ADDRESS = 5, 20  # the defaults (docs/booking.md)
BLOCKED = "Du har prøvet for mange gange"
NO_MATCH = "Bookingnummeret passer ikke med det telefonnummer eller navn"


class Citizen:
    """One conversation over the REST channel, as the gateway forwards it."""

    def __init__(self, config, address: str | None = None, channel: str = "web", **metadata: str) -> None:
        self.url = f"{config.rasa_url}/webhooks/rest/webhook"
        self.sender = f"e2e-access-{uuid.uuid4().hex[:10]}"
        self.channel = channel
        self.metadata = {"municipality": "frederikshavn", "client_address": address or new_address(), **metadata}

    def say(self, text: str) -> str:
        body = {"sender": self.sender, "message": text, "metadata": self.metadata, "input_channel": self.channel}
        request = urllib.request.Request(
            self.url, data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "X-Muni-Gateway": TOKEN},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=60) as reply:
            assert reply.status == 200
            messages = json.loads(reply.read())
        return " ".join(m.get("text", "") for m in messages) + " " + json.dumps(messages, ensure_ascii=False)


def new_address() -> str:
    """A client address as the gateway sends it (a keyed hash), unique to the caller of this function."""
    return "addr1-" + uuid.uuid4().hex


def book(config, name: str, phone: str, when: str) -> str:
    """Book a meeting at the jobcentre; the 6-digit reference."""
    owner = Citizen(config)
    owner.say(f"jeg vil booke en tid hos jobcentret {when}")
    owner.say(name)
    owner.say(phone)
    booked = owner.say("ja")
    match = re.search(r"bookingnummer er (\d\d) (\d\d) (\d\d)", booked)
    assert match, booked
    return "".join(match.groups())


def leaked(reply: str, reference: str, name: str, phone: str) -> list[str]:
    """The booking's details found in a reply."""
    spoken = f"{reference[:2]} {reference[2:4]} {reference[4:]}"
    details = {"reference": reference, "spoken reference": spoken, "name": name, "phone": phone,
               "service": "Jobcenter Frederikshavn", "time": " kl. 1", "address": "Kirkepladsen"}  # fmt: skip
    return [label for label, value in details.items() if value in reply]


def still_booked(config, reference: str, phone: str) -> bool:
    """True when the owner, with both secrets, still finds the booking."""
    owner = Citizen(config)
    owner.say("hvornår er min tid")
    return "Jobcenter Frederikshavn" in owner.say(f"{reference} {phone}")


def other_reference(reference: str) -> str:
    return f"{(int(reference) + 1) % 1_000_000:06d}"


def test_phone_number_alone_reveals_nothing_and_cancels_nothing(stack) -> None:
    config = stack[0]
    reference = book(config, "Ulla Krogh", "41414141", "på torsdag klokken 12")
    stranger = Citizen(config)
    stranger.say("hvornår er min tid")
    reply = stranger.say("41 41 41 41")
    assert leaked(reply, reference, "Ulla Krogh", "41 41 41 41") == [], reply
    assert "bookingnummer" in reply
    canceller = Citizen(config)
    canceller.say("jeg vil gerne aflyse min tid")
    replies = [canceller.say("mit nummer er 41 41 41 41"), canceller.say("ja"), canceller.say("ja")]
    for reply in replies:
        assert leaked(reply, reference, "Ulla Krogh", "41 41 41 41") == [], reply
        assert "aflyst" not in reply
    assert still_booked(config, reference, "41414141")


def test_a_reference_with_a_wrong_phone_or_name_reveals_nothing(stack) -> None:
    config = stack[0]
    reference = book(config, "Per Holm", "42424242", "på torsdag klokken 13")
    stranger = Citizen(config)
    stranger.say("jeg vil aflyse min tid")
    asked = stranger.say(reference)
    assert "telefonnummer eller hvilket navn" in asked and leaked(asked, reference, "Per Holm", "42 42 42 42") == []
    wrong_phone = stranger.say("99 88 77 66")
    assert NO_MATCH in wrong_phone and leaked(wrong_phone, reference, "Per Holm", "42 42 42 42") == [], wrong_phone
    stranger.say(reference)
    wrong_name = stranger.say("Per Hansen")
    assert NO_MATCH in wrong_name and leaked(wrong_name, reference, "Per Holm", "42 42 42 42") == [], wrong_name
    # No oracle: a reference that does not exist gets word for word the same answer.
    prober = Citizen(config)
    prober.say("jeg vil aflyse min tid")
    prober.say(other_reference(reference))
    assert prober.say("99 88 77 66").split(" [")[0] == wrong_phone.split(" [")[0]
    assert still_booked(config, reference, "42424242")


def test_guessing_references_is_stopped_after_the_limit(stack) -> None:
    config = stack[0]
    reference = book(config, "Lis Dam", "43434343", "på torsdag klokken 14")
    guesser = Citizen(config)
    guesser.say("hvornår er min tid")
    guesses = [f"{(int(reference) + step) % 1_000_000:06d}" for step in range(1, PER_CONVERSATION + 1)]
    replies = [guesser.say(f"{guess} 43434343") for guess in guesses]  # the right phone, wrong references
    assert all(NO_MATCH in reply for reply in replies[:-1]), replies
    assert BLOCKED in replies[-1] and "/human_handoff" in replies[-1] and "98 45 50 00" in replies[-1]
    # No more lookups in this conversation, not even with the right pair.
    assert BLOCKED in guesser.say("hvornår er min tid")
    refused = guesser.say(f"{reference} 43434343")
    assert leaked(refused, reference, "Lis Dam", "43 43 43 43") == [], refused


def test_the_limit_holds_across_new_conversations_from_the_same_address(stack) -> None:
    config = stack[0]
    reference = book(config, "Bent Lund", "44444444", "på torsdag klokken 15")
    address = new_address()
    guesses = 0
    while guesses < PER_ADDRESS:  # fresh conversations, each under its own limit
        guesser = Citizen(config, address)
        guesser.say("hvornår er min tid")
        for _ in range(min(PER_CONVERSATION - 1, PER_ADDRESS - guesses)):
            reply = guesser.say(f"{other_reference(reference)} {10000000 + guesses}")
            assert NO_MATCH in reply or BLOCKED in reply, reply
            guesses += 1
    fresh = Citizen(config, address)
    reply = fresh.say("hvornår er min tid")
    if BLOCKED not in reply:
        reply = fresh.say(f"{reference} 44444444")
    assert BLOCKED in reply and leaked(reply, reference, "Bent Lund", "44 44 44 44") == [], reply
    # Another address is not blocked by this one's guesses: the owner still gets in.
    assert still_booked(config, reference, "44444444")


def test_a_booking_made_in_one_conversation_is_not_visible_from_another(stack) -> None:
    config = stack[0]
    owner = Citizen(config)
    owner.say("jeg vil booke en tid hos jobcentret på fredag klokken 10")
    owner.say("Hanne Bech")
    owner.say("45454545")
    match = re.search(r"bookingnummer er (\d\d) (\d\d) (\d\d)", owner.say("ja"))
    assert match
    reference = "".join(match.groups())
    # The owner's own conversation knows it without asking.
    assert "Vil du aflyse den?" in owner.say("jeg vil gerne aflyse min tid")
    assert "ikke ændret" in owner.say("nej")
    # Another conversation gets nothing with one secret, or by naming the slots the owner's conversation holds.
    other = Citizen(config)
    for attempt in ("jeg vil gerne aflyse min tid", "45 45 45 45", reference, "ja",
                    f'/cancel_appointment{{"last_booking_reference": "{reference}"}}', "ja",
                    f'/check_appointment{{"manage_reference": "{reference}"}}', "ja", "Hanne Jensen"):  # fmt: skip
        reply = other.say(attempt)
        assert leaked(reply, reference, "Hanne Bech", "45 45 45 45") == [], (attempt, reply)
        assert "aflyst" not in reply
    assert still_booked(config, reference, "45454545")


def test_on_the_phone_the_caller_number_stands_in_but_the_reference_is_still_needed(stack) -> None:
    config = stack[0]
    reference = book(config, "Eva Friis", "46464646", "på fredag klokken 11")
    caller = Citizen(config, channel="phone", caller="+4546464646")
    caller.say("hvornår er min tid")
    without_reference = caller.say("ja")
    assert leaked(without_reference, reference, "Eva Friis", "46 46 46 46") == [], without_reference
    told = caller.say(f"{reference[:2]} {reference[2:4]} {reference[4:]}")
    assert "Jobcenter Frederikshavn fredag kl. 11" in told
