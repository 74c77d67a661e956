"""CPR numbers in every typed shape and digit script; identifiers, timestamps and file names left alone.

Issue 13: ``ddmmyy/xxxx``, ``ddmmyy_xxxx``, ``ddmmyy.xxxx``, ``ddmmyy\\xxxx``, ``ddmm yyxxxx`` and
full-width digits were stored in clear, while Rasa's ids and model file names were rewritten.
All numbers here are synthetic.
"""

from __future__ import annotations

import logging
import uuid

import pytest

from muni_core.redaction import (
    CPR_PLACEHOLDER,
    NUMBER_PLACEHOLDER,
    PHONE_PLACEHOLDER,
    RedactingLogRecordFactory,
    redact_text,
)

CPR = CPR_PLACEHOLDER

ISSUE_SHAPES = [
    "010384/1234",
    "010384_1234",
    "010384.1234",
    "010384\\1234",
    "0103 841234",
    "０１０３８４－１２３４",
    "０１０３８４１２３４",
]

MORE_SHAPES = [
    "01 03 84 1234",
    "01-03-84-1234",
    "01/03/84/1234",
    "01.03.84.1234",
    "01_03_84_1234",
    "01 03 841234",
    "0103 84 1234",
    "010384 / 1234",
    "010384\u00a01234",  # no-break space
    "010384\u20091234",  # thin space
    "0103\u202f841234",  # narrow no-break space
    "01\u00a003\u00a084\u00a01234",
    "０１０３８４／１２３４",  # full-width solidus
    "０１０３８４＿１２３４",
    "０１０３８４．１２３４",
    "０１０３８４＼１２３４",
    "010384\u22121234",  # minus sign
    "010384\u20111234",  # non-breaking hyphen
    "٠١٠٣٨٤-١٢٣٤",  # Arabic-Indic
    "۰۱۰۳۸۴/۱۲۳۴",  # Extended Arabic-Indic
    "०१०३८४-१२३४",  # Devanagari
    "๐๑๐๓๘๔_๑๒๓๔",  # Thai
    "\U0001d7ce\U0001d7cf\U0001d7ce\U0001d7d1\U0001d7d6\U0001d7d2-\U0001d7cf\U0001d7d0\U0001d7d1\U0001d7d2",  # bold
    "0１0３8４-1２3４",  # mixed
    "0103\u200b841234",  # a hidden zero-width space
    "010384\u00ad1234",  # a soft hyphen
    "2902 001234",  # 29 February
]


@pytest.mark.parametrize("text", ISSUE_SHAPES + MORE_SHAPES)
def test_every_cpr_shape_is_redacted_exactly(text: str) -> None:
    assert redact_text(text) == CPR
    assert redact_text(f"Mit CPR-nummer er {text}, tak.") == f"Mit CPR-nummer er {CPR}, tak."
    assert redact_text(f"cpr:{text}\nMvh. Karen") == f"cpr:{CPR}\nMvh. Karen"


def test_the_replacement_covers_exactly_the_original_characters() -> None:
    text = "Hej\u00a0–\u00a0cpr\u2009０１０３\u200b８４／１２３４\u00a0(tak) ٠١٠٣٨٤-١٢٣٤."
    assert redact_text(text) == f"Hej\u00a0–\u00a0cpr\u2009{CPR}\u00a0(tak) {CPR}."
    assert redact_text("ring ２０ ３０ ４０ ５０ i dag") == f"ring {PHONE_PLACEHOLDER} i dag"


@pytest.mark.parametrize(
    "text",
    [
        "321284/1234",  # day 32
        "011384_1234",  # month 13
        "000384.1234",  # day 00
        "300284\\1234",  # 30 February
        "0103 84123",  # nine digits
        "01038/41234",  # the separator inside the date
    ],
)
def test_an_impossible_date_is_no_cpr_number(text: str) -> None:
    assert CPR not in redact_text(text)


NOT_CPR = [
    # booking references, dates, times
    "Din reference er 48 29 13 (482913).",
    "Mødet er den 24.12.2026 kl. 10.30.",
    "24/12-26",
    "fra 24/12-2026 til 02/01-2027",
    "2026-12-24",
    "24/12/26 kl. 10:30",
    "01.12.26 10.30",
    "kl. 10.30-11.00",
    # amounts and postcodes
    "3.500,00 kr",
    "Beløbet er 1.234.567,89 kr.",
    "DKK 250.000",
    "9900 Frederikshavn",
    # case and order numbers with prefixes
    "sagsnr. 2026-004512",
    "SAG-2026-4512",
    "J.nr. 2026-1234",
    "ordrenr. ORD-48291234",
    "sag nr. 26/04512",
    # identifiers, file names, timestamps
    "model_id 00072c12345678efa6e2b1a0c9d8e7f6",
    "message_id=1f0c2b3a4d5e6f708192a3b4c5d6e7f8",
    "6e720082-3003-4af5-a34d-568eb2f523da",
    "DE9B1D0C-1234-5678-9ABC-0103841234AB",
    "Loading model models/20261206-055626-principal-wood.tar.gz",
    "tracker_20261206_055626.db",
    "2026-12-06T05:56:26.123456+00:00",
    "2026-12-06 05:56:26,123 INFO rasa.core.processor",
    "timestamp 1765000586.123456",
]


@pytest.mark.parametrize("text", NOT_CPR)
def test_references_dates_amounts_case_numbers_and_identifiers_are_kept(text: str) -> None:
    assert redact_text(text) == text


def test_the_issue_ids_are_no_longer_rewritten() -> None:
    model_id = "00072c12345678efa6" + "0" * 14
    assert redact_text(model_id) == model_id
    for _ in range(200):
        identifier = uuid.uuid4()
        assert redact_text(identifier.hex) == identifier.hex
        assert redact_text(str(identifier)) == str(identifier)


def test_personal_data_next_to_an_identifier_is_still_redacted() -> None:
    text = "message 1f0c2b3a4d5e6f708192a3b4c5d6e7f8: mit cpr er 010384/1234, ring 20304050"
    assert redact_text(text) == f"message 1f0c2b3a4d5e6f708192a3b4c5d6e7f8: mit cpr er {CPR}, ring {PHONE_PLACEHOLDER}"
    assert redact_text("ring 20304050 / 2026-12-06") == f"ring {PHONE_PLACEHOLDER} / 2026-12-06"
    assert redact_text("konto DK5000400440116243") == f"konto DK{NUMBER_PLACEHOLDER}"
    for prefix in ("tlf-", "tlfnr", "telefonnr.", "mobil-", "Tlf:", "nr."):
        assert redact_text(f"{prefix}20304050") == f"{prefix}{PHONE_PLACEHOLDER}"
    assert redact_text("SAG-0103841234") == f"SAG-{CPR}"  # a prefix never hides a CPR number


def test_log_lines_keep_model_files_ids_and_timestamps() -> None:
    factory = RedactingLogRecordFactory(logging.LogRecord)
    model = "models/20261206-055626-principal-wood.tar.gz"
    message_id = uuid.uuid4().hex
    record = factory(
        "rasa.core.processor",
        logging.INFO,
        __file__,
        1,
        "Loaded %s (model_id %s) at %s; message %s from %s: %s",
        (
            model,
            "00072c12345678efa6e2b1a0c9d8e7f6",
            "2026-12-06T05:56:26.123+00:00",
            message_id,
            "e2e-a1b2",
            "0103 841234",
        ),
        None,
    )
    record.created = 1765000586.123456
    line = logging.Formatter("%(asctime)s %(created)f %(levelname)s %(message)s").format(record)
    assert model in line and "00072c12345678efa6e2b1a0c9d8e7f6" in line and message_id in line
    assert "2026-12-06T05:56:26.123+00:00" in line and "1765000586.123456" in line
    assert "0103 841234" not in line and line.endswith(f"from e2e-a1b2: {CPR}")
