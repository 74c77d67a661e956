"""Redaction of CPR numbers, phone numbers, e-mail addresses and long digit runs (muni_core.redaction).

All numbers and addresses here are synthetic.
"""

from __future__ import annotations

import logging
import time
from collections import namedtuple
from collections.abc import Iterator

import pytest

from muni_core.redaction import (
    CPR_PLACEHOLDER,
    EMAIL_PLACEHOLDER,
    NUMBER_PLACEHOLDER,
    PHONE_PLACEHOLDER,
    RedactingLogRecordFactory,
    contains_personal_data,
    install_log_redaction,
    redact_text,
    redact_value,
)

CPR, PHONE, EMAIL, NUMBER = CPR_PLACEHOLDER, PHONE_PLACEHOLDER, EMAIL_PLACEHOLDER, NUMBER_PLACEHOLDER

CPR_FORMS = [
    "010384-1234",
    "0103841234",
    "010384 1234",
    "010384 - 1234",
    "010384–1234",
    "01 03 84 12 34",
    "01.03.84-1234",
    "01.03.84 1234",
    "01-03-84-1234",
    "01 03 84 - 12 34",
    "010384 12 34",
    "311299-9876",
    "290200-4321",
    # spoken, as the speech recogniser writes it
    "nul en nul tre fireogfirs tolv fireogtredive",
    "nul et nul tre otte fire et to tre fire",
    "nul en, nul tre, firs fire, tolv, fireogtredive",
    "nul en nul tre otte fire - et to tre fire",
    "Nul en. Nul tre. Fireogfirs. Tolv. Fireogtredive",
    "NUL EN NUL TRE FIREOGFIRS TOLV FIREOGTREDIVE",
    "nul-en-nul-tre-fireogfirs-tolv-fireogtredive",
]

PHONE_FORMS = [
    "12345678",
    "12 34 56 78",
    "1234 5678",
    "1234-5678",
    "12-34-56-78",
    "12.34.56.78",
    "+45 12 34 56 78",
    "+45 12345678",
    "+4512345678",
    "0045 12345678",
    "0045 12 34 56 78",
    "(+45) 1234 5678",
    "45 12 34 56 78",
    "4512345678",
    "+44 20 7946 0958",
    "+1 (555) 123-4567",
    "+46 70 123 45 67",
    "0044 20 7946 0958",
    "+491511234567",
    # spoken
    "tolv fireogtredive seksoghalvtreds otteoghalvfjerds",
    "et to tre fire fem seks syv otte",
    "tyve tredive fyrre halvtreds",
    "plus femogfyrre tolv fireogtredive seksoghalvtreds otteoghalvfjerds",
    "to nul, tre nul, fire nul, fem nul",
    "tolv, fireogtredive, seksoghalvtreds, otteoghalvfjerds",
]

EMAIL_FORMS = [
    "jens@example.dk",
    "jens.hansen@gmail.com",
    "Jens.Hansen@Mail.Example.COM",
    "søren.æblegård@post.dk",
    "jens+kommune@example.dk",
    "jens-peter_hansen84@sub.example.co.uk",
    "jens @ example.dk",
    # spoken
    "jens punktum hansen snabel-a gmail punktum com",
    "jens snabel a mail punktum dk",
    "jens snabela mail punktum dk",
    "Jens Snabel-A Gmail Punktum Com",
    "jens at gmail dot com",
    "jens punktum hansen at gmail punktum com",
    "jens snabel-a gmail.com",
]

NUMBER_FORMS = [
    "123456789",  # nine digits
    "1234567890",  # ten digits, 12/34 is no date, no 45 prefix
    "12345678901234",
    "0103841234567",  # longer than a CPR number
    "5701234567890",
]


@pytest.mark.parametrize("text", CPR_FORMS)
def test_cpr_numbers_are_redacted(text: str) -> None:
    assert redact_text(text) == CPR
    assert redact_text(f"Mit CPR-nummer er {text}, tak.") == f"Mit CPR-nummer er {CPR}, tak."


@pytest.mark.parametrize("text", PHONE_FORMS)
def test_phone_numbers_are_redacted(text: str) -> None:
    assert redact_text(text) == PHONE
    assert redact_text(f"Ring til mig på {text} i morgen.") == f"Ring til mig på {PHONE} i morgen."


@pytest.mark.parametrize("text", EMAIL_FORMS)
def test_email_addresses_are_redacted(text: str) -> None:
    assert redact_text(text) == EMAIL
    assert redact_text(f"Min mail er {text}. Skriv gerne.") == f"Min mail er {EMAIL}. Skriv gerne."


@pytest.mark.parametrize("text", NUMBER_FORMS)
def test_other_long_digit_runs_are_redacted(text: str) -> None:
    assert redact_text(text) == NUMBER
    assert redact_text(f"Kontonummer {text}.") == f"Kontonummer {NUMBER}."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mit cpr er 010384-1234 og tlf 12 34 56 78", f"Mit cpr er {CPR} og tlf {PHONE}"),
        ("010384-1234 og 020485-5678", f"{CPR} og {CPR}"),
        ("Skriv til jens@example.dk eller ring 20304050.", f"Skriv til {EMAIL} eller ring {PHONE}."),
        ("Jeg har en 12 34 56 78", f"Jeg har en {PHONE}"),
        ("en nul en nul tre fireogfirs tolv fireogtredive", f"en {CPR}"),
        ("Reference 48 29 13, tlf 12345678", f"Reference 48 29 13, tlf {PHONE}"),
        ("Kontonummer 1234 1234567890", f"Kontonummer 1234 {NUMBER}"),
        ("+45 1234 5678 og 2026", f"{PHONE} og 2026"),
        ("husk at jens snabel a mail punktum dk er min mail", f"husk at {EMAIL} er min mail"),
        ("jens.hansen@example.com.", f"{EMAIL}."),
        ("tlf.: 20304050\nmail: a@b.dk", f"tlf.: {PHONE}\nmail: {EMAIL}"),
        ("Den 01.12.2026 kl. 10.30, ring 12345678", f"Den 01.12.2026 kl. 10.30, ring {PHONE}"),
        (
            "Jeg er fireogfyrre år, mit nummer er tolv fireogtredive seksoghalvtreds otteoghalvfjerds",
            f"Jeg er fireogfyrre år, mit nummer er {PHONE}",
        ),
    ],
)
def test_only_the_matched_span_changes(text: str, expected: str) -> None:
    assert redact_text(text) == expected


NOT_PERSONAL = [
    # dates
    "01.12.2026",
    "1/12-2026",
    "2026-12-01",
    "01-12-2026",
    "01 12 2026",
    "den 3. december 2026",
    "d. 12/12",
    "d. 1.-5. december",
    "Mødet er den 01.12.2026 kl. 10.30-11.00 i lokale 2.14",
    "01.12.26 10.30",
    "2025/2026",
    "skoleåret 2025-2026",
    "skoleåret 2025 - 2026",
    "Uge 48-49 2026",
    # times
    "kl. 10.30",
    "10:30",
    "kl. 10.30 - 11.30",
    "Kl. 8.00-9.00 og 13.00-14.00",
    "klokken ti tredive",
    "fra klokken ti til tolv",
    "åbent 10-12, 13-15",
    "Åbningstider: man-fre 8-15, tors 10-18",
    # years, postcodes, addresses
    "2026",
    "9900 Frederikshavn",
    "Postnummer 2100 København Ø",
    "Vestergade 12, 2. th, 8000 Aarhus C",
    # amounts and percentages
    "1.250 kr.",
    "12.500 kroner",
    "250.000 kr",
    "1.250.000 kr",
    "12.500.000 kr",
    "Beløbet er 1.250,50 kr.",
    "Jeg betaler 125.000,- om måneden",
    "Huslejen er kr. 12500000",
    "12500000 kroner",
    "25 %",
    "12,5 %",
    # PINs, references, versions
    "Min pinkode er 1234",
    "Din reference er 48 29 13.",
    "Reference 482913",
    "Reference otteogfyrre niogtyve tretten",
    "version 1.2.3.4",
    "IP 192.168.1.100",
    # ordinary sentences with numbers
    "to og tre børn",
    "jeg har to børn",
    "den femte",
    "Jeg er fireogfyrre år gammel og har to børn",
    "fire og firs",
    "Vi er 4 - 5 personer",
    "Jeg har 2 børn på 3 og 5 år",
    "en to tre",
    "nul en nul tre",
    "Jeg har en søn og en datter",
    # e-mail look-alikes
    "Husk at borger.dk er lukket",
    "Jeg prøvede at logge på borger punktum dk",
    "Se mere på www.kommune.dk",
    "info@",
    "@kommunen",
    "Jeg kan ikke huske at jeg skrev punktum",
    # placeholders themselves
    f"{CPR} {PHONE} {EMAIL} {NUMBER}",
    "",
]


@pytest.mark.parametrize("text", NOT_PERSONAL)
def test_dates_times_amounts_and_references_are_kept(text: str) -> None:
    assert redact_text(text) == text
    assert not contains_personal_data(text)


@pytest.mark.parametrize("reference", ["000000", "482913", "999999", "100001", "310199"])
def test_booking_references_survive_in_both_forms(reference: str) -> None:
    spoken = " ".join(reference[i : i + 2] for i in range(0, 6, 2))  # Booking.spoken_reference
    text = f"Din booking har reference {spoken} ({reference}). Mødet er den 01.12.2026 kl. 10.30."
    assert redact_text(text) == text


def test_words_around_a_match_are_kept_byte_for_byte() -> None:
    text = "Hej!\tMit nr. er\u00a012 34 56 78 — ring efter kl. 16 (gerne).\n\nMvh. Æble"
    assert redact_text(text) == f"Hej!\tMit nr. er\u00a0{PHONE} — ring efter kl. 16 (gerne).\n\nMvh. Æble"


ALL_SAMPLES = CPR_FORMS + PHONE_FORMS + EMAIL_FORMS + NUMBER_FORMS + NOT_PERSONAL


@pytest.mark.parametrize("text", ALL_SAMPLES)
def test_redaction_is_idempotent(text: str) -> None:
    once = redact_text(text)
    assert redact_text(once) == once


def test_contains_personal_data() -> None:
    assert contains_personal_data("ring 12345678")
    assert contains_personal_data("jens@example.dk")
    assert contains_personal_data("nul en nul tre fireogfirs tolv fireogtredive")
    assert not contains_personal_data("Mødet er den 01.12.2026 kl. 10.30")
    assert not contains_personal_data("")


def test_redact_value_walks_dicts_lists_and_tuples() -> None:
    Pair = namedtuple("Pair", "label value")
    value = {
        "text": "Ring 12345678",
        "count": 3,
        "confidence": 0.91,
        "missing": None,
        "12345678": "keys are kept",
        "entities": [{"entity": "phone", "value": "12 34 56 78"}, ("mail", "jens@example.dk")],
        "pair": Pair("cpr", "010384-1234"),
        "nested": {"deeper": ["ingen persondata", {"cpr": "0103841234"}]},
    }
    result = redact_value(value)
    assert result == {
        "text": f"Ring {PHONE}",
        "count": 3,
        "confidence": 0.91,
        "missing": None,
        "12345678": "keys are kept",
        "entities": [{"entity": "phone", "value": PHONE}, ("mail", EMAIL)],
        "pair": Pair("cpr", CPR),
        "nested": {"deeper": ["ingen persondata", {"cpr": CPR}]},
    }
    assert isinstance(result["pair"], Pair)
    assert value["text"] == "Ring 12345678"  # a new object, the original is untouched
    assert value["nested"]["deeper"][1]["cpr"] == "0103841234"
    assert result is not value
    assert redact_value(42) == 42
    assert redact_value(None) is None
    assert redact_value(b"12345678") == b"12345678"


@pytest.fixture
def restore_factory() -> Iterator[None]:
    original = logging.getLogRecordFactory()
    # Start from the plain factory: importing `actions` (other tests) installs redaction process-wide.
    logging.setLogRecordFactory(logging.LogRecord)
    try:
        yield
    finally:
        logging.setLogRecordFactory(original)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, _Capture]]:
    logger = logging.getLogger("muni.test_redaction")
    handler = _Capture()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield logger, handler
    finally:
        logger.removeHandler(handler)


def test_log_records_are_redacted(restore_factory: None, captured: tuple[logging.Logger, _Capture]) -> None:
    logger, handler = captured
    install_log_redaction()
    logger.info("Ring til %s", "12345678")
    logger.warning("Bruger %s skrev: %r", "jens@example.dk", {"cpr": "010384-1234"})
    logger.info("Ingen persondata den 01.12.2026 kl. 10.30")
    first, second, third = handler.records
    assert first.getMessage() == "Ring til [telefonnummer]"
    assert first.msg == "Ring til [telefonnummer]"
    assert first.args == ()
    assert second.getMessage() == f"Bruger {EMAIL} skrev: {{'cpr': '{CPR}'}}"
    assert third.getMessage() == "Ingen persondata den 01.12.2026 kl. 10.30"


def test_log_records_are_redacted_with_caplog(restore_factory: None, caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    with caplog.at_level(logging.INFO, logger="muni.test_redaction"):
        logging.getLogger("muni.test_redaction").info("Ring til %s", "12345678")
    assert caplog.messages == ["Ring til [telefonnummer]"]
    assert "12345678" not in caplog.text


def test_tracebacks_in_log_records_are_redacted(
    restore_factory: None, captured: tuple[logging.Logger, _Capture]
) -> None:
    logger, handler = captured
    install_log_redaction()
    try:
        raise ValueError("unknown phone 12345678")
    except ValueError:
        logger.exception("Failed for %s", "jens@example.dk")
    (record,) = handler.records
    assert record.getMessage() == f"Failed for {EMAIL}"
    formatted = logging.Formatter().format(record)
    assert "12345678" not in formatted
    assert f"unknown phone {PHONE}" in formatted


def test_install_twice_wraps_once(restore_factory: None, captured: tuple[logging.Logger, _Capture]) -> None:
    original = logging.getLogRecordFactory()
    install_log_redaction()
    factory = logging.getLogRecordFactory()
    assert isinstance(factory, RedactingLogRecordFactory)
    assert factory.wrapped is original
    install_log_redaction()
    assert logging.getLogRecordFactory() is factory
    logger, handler = captured
    logger.info("Ring til %s", "12345678")
    assert handler.records[0].getMessage() == "Ring til [telefonnummer]"


def test_factory_keeps_a_record_it_cannot_format() -> None:
    factory = RedactingLogRecordFactory(logging.LogRecord)
    record = factory("muni.test", logging.INFO, __file__, 1, "%d apples", ("12345678",), None)
    assert record.msg == "%d apples"
    assert record.args == ("12345678",)


def test_factory_wraps_a_custom_factory_and_handles_non_string_messages() -> None:
    made: list[logging.LogRecord] = []

    def custom(*args: object, **kwargs: object) -> logging.LogRecord:
        record = logging.LogRecord(*args, **kwargs)  # type: ignore[arg-type]
        record.custom = True
        made.append(record)
        return record

    factory = RedactingLogRecordFactory(custom)
    record = factory("muni.test", logging.INFO, __file__, 1, {"phone": "12345678"}, (), None)
    assert made == [record]
    assert record.custom is True
    assert record.getMessage() == f"{{'phone': '{PHONE}'}}"


def test_long_mixed_text_is_fast() -> None:
    chunk = (
        "Hej, jeg vil gerne booke en tid den 01.12.2026 kl. 10.30. Mit nummer er 12 34 56 78 og min mail er "
        "jens@example.dk. Mit CPR er 010384-1234. Det koster 1.250 kr. Reference 48 29 13. "
        "nul en nul tre fireogfirs tolv fireogtredive. Vi er to og tre børn i 9900 Frederikshavn. "
        "jens punktum hansen snabel-a gmail punktum com, at gmail, snabel a, ti tyve tredive, +45 "
    )
    text = (chunk * (100_000 // len(chunk) + 1))[:100_000]
    started = time.perf_counter()
    result = redact_text(text)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0
    assert "010384" not in result
    assert "12 34 56 78" not in result
    assert "jens@example.dk" not in result
    assert "01.12.2026" in result


@pytest.mark.parametrize(
    "text",
    [
        "a" * 100_000,
        "1" * 100_000,
        "@" * 100_000,
        "a." * 50_000,
        "a punktum " * 10_000,
        "jens at " * 12_000,
        "x snabel a " * 9_000,
        "12 34 " * 16_000,
        "firs fire " * 10_000,
    ],
    ids=["letters", "digits", "ats", "dotted", "punktum", "at", "snabel", "digit-groups", "number-words"],
)
def test_pathological_input_has_no_catastrophic_backtracking(text: str) -> None:
    started = time.perf_counter()
    redact_text(text)
    assert time.perf_counter() - started < 5.0


def test_redact_value_with_another_redactor_and_kept_keys() -> None:
    value = {"turn_id": "a12345678b", "name": "20304050", "text": "ring 20304050", "nested": [{"turn_id": "99887766"}]}
    result = redact_value(value, redact=lambda text: text.upper(), keep_keys={"turn_id"})
    assert result == {
        "turn_id": "a12345678b",
        "name": "20304050",
        "text": "RING 20304050",
        "nested": [{"turn_id": "99887766"}],
    }
