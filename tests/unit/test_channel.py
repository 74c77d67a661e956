import pytest

from muni_rasa.channels import CPR_NOTICE, clean_text, privacy_notice, validate_body


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ([], "JSON object"),
        ("hej", "JSON object"),
        (None, "JSON object"),
        ({"sender": 5, "message": "hej"}, "'sender'"),
        ({"sender": "", "message": "hej"}, "'sender'"),
        ({"sender": "x" * 129, "message": "hej"}, "'sender'"),
        ({"sender": "a b", "message": "hej"}, "'sender' may only"),
        ({"sender": "<script>", "message": "hej"}, "'sender' may only"),
        ({"sender": "a", "message": ["hej"]}, "'message' must be a string"),
        ({"sender": "a", "message": 42}, "'message' must be a string"),
        ({"sender": "a", "message": "hej", "metadata": "aarhus"}, "'metadata' must be a JSON object"),
        ({"sender": "a", "message": "hej", "input_channel": "Web Chat!"}, "'input_channel'"),
    ],
)
def test_malformed_bodies_are_refused_with_a_reason(body: object, error: str) -> None:
    message, fields = validate_body(body)
    assert fields is None
    assert error in message


def test_valid_body_keeps_metadata_and_channel() -> None:
    error, fields = validate_body(
        {"sender": "CA123", "message": "hej", "metadata": {"municipality": "aarhus"}, "input_channel": "phone"}
    )
    assert error is None
    assert fields == {
        "sender": "CA123",
        "message": "hej",
        "metadata": {"municipality": "aarhus"},
        "input_channel": "phone",
    }


def test_missing_message_counts_as_empty() -> None:
    assert validate_body({"sender": "a"})[1]["message"] == ""
    assert validate_body({"sender": "a", "message": None})[1]["message"] == ""


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("hej\x00 med\x07 dig", "hej med dig"),
        ("linje1\nlinje2\ttab", "linje1 linje2 tab"),
        ("\u200b\ufeff", ""),  # invisible format characters alone make an empty message
        ("   ", ""),
        ("🙂🙂🙂", "🙂🙂🙂"),
        ("\x1b[31mrød\x1b[0m", "[31mrød[0m"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw, 2000) == clean


def test_clean_text_caps_length() -> None:
    assert len(clean_text("a" * 20000, 2000)) == 2000


@pytest.mark.parametrize(
    "text", ["mit cpr er 010384-1234", "cpr: 0103841234", "nul en nul tre fireogfirs tolv fireogtredive"]
)
def test_a_cpr_number_gets_the_notice(text: str) -> None:
    assert privacy_notice(text) == CPR_NOTICE


@pytest.mark.parametrize(
    "text", ["ring på 20 30 40 50", "hvad koster et pas", "den 01.12.2026 kl. 10.30", "[CPR-nummer]"]
)
def test_no_notice_without_a_cpr_number(text: str) -> None:
    assert privacy_notice(text) is None
