"""Keypad input: what a key means after each kind of answer, and collecting numbers without sleeping."""

from __future__ import annotations

import pytest

from voice_gateway.dtmf import HANDOFF_REQUEST, REPEAT_REQUEST, DtmfCollector, dtmf_to_message
from voice_gateway.phone_text import Choice, SpokenReply, render_for_phone

FALLBACK = render_for_phone(
    [
        {
            "text": "Jeg er ikke helt sikker på, hvad du mener. Handler det om et af disse emner?",
            "buttons": [
                {"title": "Pas", "payload": '/faq{"faq_topic": "pas"}'},
                {"title": "Kørekort", "payload": '/faq{"faq_topic": "koerekort"}'},
                {"title": "Flytning", "payload": '/faq{"faq_topic": "flytning"}'},
            ],
        }
    ]
)
FALLBACK_WITH_HANDOFF = render_for_phone(
    [
        {
            "text": "Handler det om et af disse emner?",
            "buttons": [
                {"title": "Pas", "payload": '/faq{"faq_topic": "pas"}'},
                {"title": "Tal med en medarbejder", "payload": "/human_handoff"},
            ],
        }
    ]
)
TIMES = render_for_phone(
    [
        {
            "text": "Hvilken dag passer dig? De første ledige tider er torsdag kl. 10.30, torsdag kl. 13 eller fredag kl. 9.",
            "buttons": [
                {
                    "title": "torsdag kl. 10.30",
                    "payload": '/inform{"booking_day": "2026-12-10", "booking_time": "10:30"}',
                },
                {"title": "torsdag kl. 13", "payload": '/inform{"booking_day": "2026-12-10", "booking_time": "13:00"}'},
                {"title": "fredag kl. 9", "payload": '/inform{"booking_day": "2026-12-11", "booking_time": "09:00"}'},
            ],
        }
    ]
)
READ_BACK = render_for_phone(
    [
        {
            "text": "Jeg booker en tid hos Jobcentret torsdag kl. 13 til Anna Jensen, telefon 20 30 40 50. Er det korrekt?",
            "buttons": [{"title": "Ja, book tiden", "payload": "/affirm"}, {"title": "Nej", "payload": "/deny"}],
        }
    ]
)
OFFER_HANDOFF = render_for_phone(
    [
        {
            "text": "Jeg forstår desværre stadig ikke dit spørgsmål. Vil du tale med en medarbejder?",
            "buttons": [
                {"title": "Ja, stil mig videre", "payload": "/human_handoff"},
                {"title": "Nej, jeg prøver igen", "payload": "/deny"},
            ],
        }
    ]
)
CONFIRM_CANCEL = render_for_phone(
    [{"text": "Du har en tid hos Jobcenter Frederikshavn torsdag kl. 10.30. Vil du aflyse den?"}]
)
ASK_REFERENCE = render_for_phone(
    [{"text": "Hvad er dit bookingnummer på seks cifre? Du kan også give mig det telefonnummer, du bookede med."}]
)
ASK_PHONE = render_for_phone(
    [{"text": "Hvilket telefonnummer kan vi ringe til, hvis tiden skal ændres? Skriv eller sig de otte cifre."}]
)
NINE_PLUS = SpokenReply(
    text="…",
    choices=[Choice(f"Emne {i}", f"/emne_{i}", str(i) if i <= 9 else "") for i in range(1, 12)],
    expects_yes_no=False,
)


def test_the_fixtures_are_what_the_bot_state_says() -> None:
    assert [c.digit for c in FALLBACK.choices] == ["1", "2", "3"]
    assert READ_BACK.expects_yes_no and CONFIRM_CANCEL.expects_yes_no and OFFER_HANDOFF.expects_yes_no
    assert not ASK_REFERENCE.choices and not ASK_REFERENCE.expects_yes_no


@pytest.mark.parametrize(
    ("keys", "reply", "message"),
    [
        # choices: the digit picks the button's payload
        ("1", FALLBACK, '/faq{"faq_topic": "pas"}'),
        ("2", FALLBACK, '/faq{"faq_topic": "koerekort"}'),
        ("3", FALLBACK, '/faq{"faq_topic": "flytning"}'),
        ("4", FALLBACK, None),
        ("9", FALLBACK, None),
        ("1", TIMES, '/inform{"booking_day": "2026-12-10", "booking_time": "10:30"}'),
        ("3", TIMES, '/inform{"booking_day": "2026-12-11", "booking_time": "09:00"}'),
        ("9", NINE_PLUS, "/emne_9"),
        ("1", NINE_PLUS, "/emne_1"),
        # "0" asks for a person: the handoff button when there is one, else the request in words
        ("0", FALLBACK, HANDOFF_REQUEST),
        ("0", FALLBACK_WITH_HANDOFF, "/human_handoff"),
        ("1", FALLBACK_WITH_HANDOFF, '/faq{"faq_topic": "pas"}'),
        ("2", FALLBACK_WITH_HANDOFF, None),
        ("0", OFFER_HANDOFF, "/human_handoff"),
        ("0", ASK_REFERENCE, HANDOFF_REQUEST),
        ("0", None, HANDOFF_REQUEST),
        # yes/no: the ja/nej buttons, or the words when there are no buttons
        ("1", READ_BACK, "/affirm"),
        ("2", READ_BACK, "/deny"),
        ("3", READ_BACK, None),
        ("1", OFFER_HANDOFF, "/human_handoff"),
        ("2", OFFER_HANDOFF, "/deny"),
        ("1", CONFIRM_CANCEL, "ja"),
        ("2", CONFIRM_CANCEL, "nej"),
        ("3", CONFIRM_CANCEL, None),
        # "*" repeats
        ("*", FALLBACK, REPEAT_REQUEST),
        ("*", None, REPEAT_REQUEST),
        ("*", READ_BACK, REPEAT_REQUEST),
        # numbers typed and ended with "#"
        ("482913#", ASK_REFERENCE, "482913"),
        ("051233#", ASK_REFERENCE, "051233"),
        ("20304050#", ASK_PHONE, "20304050"),
        ("2030 4050 #", ASK_PHONE, "20304050"),
        ("1#", FALLBACK, "1"),
        ("0#", ASK_REFERENCE, "0"),
        # nothing it could mean
        ("1", ASK_REFERENCE, None),
        ("5", None, None),
        ("", FALLBACK, None),
        ("#", ASK_REFERENCE, None),
        ("12", FALLBACK, None),
        ("48*29#", ASK_REFERENCE, None),
        ("A", FALLBACK, None),
        ("x", FALLBACK, None),
        ("**", FALLBACK, None),
    ],
)
def test_dtmf_to_message(keys: str, reply: SpokenReply | None, message: str | None) -> None:
    assert dtmf_to_message(keys, reply) == message


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def collector(clock: FakeClock) -> DtmfCollector:
    return DtmfCollector(timeout_s=3.0, clock=clock)


def press_all(collector: DtmfCollector, keys: str, reply: SpokenReply | None, clock: FakeClock) -> list[str | None]:
    results = []
    for key in keys:
        results.append(collector.press(key, reply))
        clock.advance(0.5)
    return results


def test_a_single_key_acts_at_once_when_choices_are_offered(collector: DtmfCollector) -> None:
    assert collector.press("2", FALLBACK) == '/faq{"faq_topic": "koerekort"}'
    assert collector.pending == ""
    assert collector.deadline is None


@pytest.mark.parametrize(
    ("key", "reply", "message"),
    [
        ("1", READ_BACK, "/affirm"),
        ("2", READ_BACK, "/deny"),
        ("1", CONFIRM_CANCEL, "ja"),
        ("2", CONFIRM_CANCEL, "nej"),
        ("0", FALLBACK, HANDOFF_REQUEST),
        ("0", FALLBACK_WITH_HANDOFF, "/human_handoff"),
        ("3", TIMES, '/inform{"booking_day": "2026-12-11", "booking_time": "09:00"}'),
        ("*", ASK_REFERENCE, REPEAT_REQUEST),
    ],
)
def test_single_keys_in_each_state(collector: DtmfCollector, key: str, reply: SpokenReply, message: str) -> None:
    assert collector.press(key, reply) == message


def test_a_reference_is_collected_until_hash(collector: DtmfCollector, clock: FakeClock) -> None:
    assert press_all(collector, "482913", ASK_REFERENCE, clock) == [None] * 6
    assert collector.pending == "482913"
    assert collector.press("#", ASK_REFERENCE) == "482913"
    assert collector.pending == ""


def test_a_reference_starting_with_zero_is_not_a_handoff(collector: DtmfCollector, clock: FakeClock) -> None:
    assert press_all(collector, "051233#", ASK_REFERENCE, clock) == [None] * 6 + ["051233"]


def test_a_phone_number_is_sent_after_the_pause(collector: DtmfCollector, clock: FakeClock) -> None:
    press_all(collector, "20304050", ASK_PHONE, clock)
    assert collector.poll() is None  # 0.5 s since the last key
    assert collector.deadline == pytest.approx(clock.now - 0.5 + 3.0)
    clock.advance(2.4)
    assert collector.poll() is None
    clock.advance(0.2)
    assert collector.poll() == "20304050"
    assert collector.poll() is None
    assert collector.deadline is None


def test_the_timeout_is_configurable(clock: FakeClock) -> None:
    collector = DtmfCollector(timeout_s=5.0, clock=clock)
    collector.press("4", ASK_REFERENCE)
    clock.advance(4.0)
    assert collector.poll() is None
    clock.advance(1.0)
    assert collector.poll() == "4"


def test_a_lone_zero_means_a_person_after_the_pause(collector: DtmfCollector, clock: FakeClock) -> None:
    assert collector.press("0", ASK_REFERENCE) is None
    clock.advance(3.0)
    assert collector.poll() == HANDOFF_REQUEST


def test_a_lone_zero_with_hash_means_a_person(collector: DtmfCollector) -> None:
    collector.press("0", None)
    assert collector.press("#", None) == HANDOFF_REQUEST


def test_digits_are_collected_when_nothing_was_offered(collector: DtmfCollector, clock: FakeClock) -> None:
    assert press_all(collector, "12", None, clock) == [None, None]
    assert collector.pending == "12"


def test_a_key_without_a_choice_starts_a_number(collector: DtmfCollector, clock: FakeClock) -> None:
    """'7' offers nothing among three topics: the caller may be typing a number."""
    assert press_all(collector, "71", FALLBACK, clock) == [None, None]
    assert collector.press("#", FALLBACK) == "71"


def test_star_repeats_and_clears_what_was_typed(collector: DtmfCollector, clock: FakeClock) -> None:
    press_all(collector, "4829", ASK_REFERENCE, clock)
    assert collector.press("*", ASK_REFERENCE) == REPEAT_REQUEST
    assert collector.pending == ""
    clock.advance(10)
    assert collector.poll() is None


def test_hash_alone_does_nothing(collector: DtmfCollector) -> None:
    assert collector.press("#", ASK_REFERENCE) is None
    assert collector.press("#", FALLBACK) is None


@pytest.mark.parametrize("key", ["A", "D", "x", "", " ", "?"])
def test_unknown_keys_are_ignored(collector: DtmfCollector, key: str) -> None:
    assert collector.press(key, FALLBACK) is None
    assert collector.pending == ""


def test_a_number_nobody_polled_for_is_sent_with_the_next_key(collector: DtmfCollector, clock: FakeClock) -> None:
    press_all(collector, "482913", ASK_REFERENCE, clock)
    clock.advance(5)
    assert collector.press("2", ASK_REFERENCE) == "482913"
    assert collector.pending == "2"


def test_the_number_is_cut_at_max_digits(clock: FakeClock) -> None:
    collector = DtmfCollector(timeout_s=3.0, clock=clock, max_digits=8)
    assert press_all(collector, "2030405", ASK_PHONE, clock) == [None] * 7
    assert collector.press("0", ASK_PHONE) == "20304050"


def test_several_keys_in_one_event(collector: DtmfCollector) -> None:
    assert collector.press("482913#", ASK_REFERENCE) == "482913"


def test_reset_forgets_the_digits(collector: DtmfCollector, clock: FakeClock) -> None:
    press_all(collector, "48", ASK_REFERENCE, clock)
    collector.reset()
    clock.advance(5)
    assert collector.poll() is None


def test_default_clock_and_timeout() -> None:
    collector = DtmfCollector()
    assert collector.timeout_s == 3.0
    assert collector.press("1", READ_BACK) == "/affirm"
