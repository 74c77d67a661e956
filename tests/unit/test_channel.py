import json

import pytest

from muni_core.channel_trust import client_address_id, same_secret
from muni_rasa.channels import (
    CPR_NOTICE,
    MAX_BODY_BYTES,
    MAX_JSON_DEPTH,
    MuniRestInput,
    clean_text,
    gateway_secret,
    json_depth,
    parse_request_body,
    privacy_notice,
    trusted_fields,
    validate_body,
)

SECRET = "shared-gateway-secret"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ([], "JSON-objekt"),
        ("hej", "JSON-objekt"),
        (None, "JSON-objekt"),
        ({"message": "hej"}, "'sender'"),  # no sender: it would land in Rasa's shared 'default' conversation
        ({"sender": 5, "message": "hej"}, "'sender'"),
        ({"sender": "", "message": "hej"}, "'sender'"),
        ({"sender": "x" * 129, "message": "hej"}, "'sender'"),
        ({"sender": "a b", "message": "hej"}, "'sender' må kun"),
        ({"sender": "<script>", "message": "hej"}, "'sender' må kun"),
        ({"sender": "../etc", "message": "hej"}, "'sender' må kun"),
        ({"sender": "a/b", "message": "hej"}, "'sender' må kun"),
        ({"sender": "..", "message": "hej"}, "'sender' må ikke være '..'"),
        ({"sender": ".", "message": "hej"}, "'sender' må ikke være '.'"),
        ({"sender": "....", "message": "hej"}, "'sender' må ikke"),
        ({"sender": "default", "message": "hej"}, "'sender' må ikke være 'default'"),
        ({"sender": "DEFAULT", "message": "hej"}, "'sender' må ikke"),
        ({"sender": "a", "message": ["hej"]}, "'message' skal være en tekst"),
        ({"sender": "a", "message": 42}, "'message' skal være en tekst"),
        ({"sender": "a", "message": "hej", "metadata": "aarhus"}, "'metadata' skal være et JSON-objekt"),
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


# --- media type, size and nesting ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonp",
        "application/json-patch+json",
    ],
)
def test_anything_but_json_is_refused_with_415(content_type: str | None) -> None:
    status, error, body = parse_request_body(content_type, b'{"sender": "a", "message": "hej"}')
    assert (status, body) == (415, None)
    assert "application/json" in error


@pytest.mark.parametrize("content_type", ["application/json", "Application/JSON", "application/json; charset=utf-8"])
def test_json_is_taken(content_type: str) -> None:
    assert parse_request_body(content_type, b'{"sender": "a"}') == (200, None, {"sender": "a"})


def test_too_large_and_too_deep_and_broken_bodies() -> None:
    big = json.dumps({"sender": "a", "message": "x" * MAX_BODY_BYTES}).encode()
    assert parse_request_body("application/json", big)[0] == 413
    deep = b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)
    status, error, _ = parse_request_body("application/json", deep)
    assert status == 400 and "indlejret" in error
    very_deep = b'{"a":' * 100_000 + b"1" + b"}" * 100_000  # would blow the parser's recursion: refused before
    assert parse_request_body("application/json", very_deep[:MAX_BODY_BYTES])[0] == 400
    assert parse_request_body("application/json", b"not json")[0:2] == (400, "Forespørgslen er ikke gyldig JSON.")


def test_json_depth_skips_brackets_in_strings() -> None:
    for text in ("[[[[{{{{", "ends with a backslash \\", 'a quote " then [[[', '\\" [[ {{'):
        assert json_depth(json.dumps({"a": text}).encode()) == 1, text
    assert json_depth(b'{"a": [{"b": [1]}]}') == 4
    assert json_depth(b'"plain"') == 0


# --- what only the gateway may say ---------------------------------------------------------------------


def fields(**body: object) -> dict:
    error, cleaned = validate_body({"sender": "CA123", "message": "hej", **body})
    assert error is None
    return cleaned


def test_a_client_without_the_credential_cannot_set_caller_address_or_channel() -> None:
    body = fields(
        input_channel="phone",
        metadata={"municipality": "aarhus", "caller": "+4520304050", "client_address": "addr1-" + "0" * 32},
    )
    channel, metadata = trusted_fields(body, from_gateway=False, remote_address="203.0.113.7", address_key=SECRET)
    assert channel == "web"
    assert "caller" not in metadata
    assert metadata["municipality"] == "aarhus"
    assert metadata["client_address"] == client_address_id(SECRET, "203.0.113.7") != "addr1-" + "0" * 32


def test_the_gateway_sets_caller_on_a_phone_call_and_its_hashed_address() -> None:
    address = client_address_id(SECRET, "198.51.100.4")
    body = fields(input_channel="phone", metadata={"caller": "+4520304050", "client_address": address})
    channel, metadata = trusted_fields(body, from_gateway=True, remote_address="127.0.0.1", address_key=SECRET)
    assert channel == "phone"
    assert metadata == {"caller": "+4520304050", "client_address": address}


@pytest.mark.parametrize(
    ("channel", "metadata"),
    [
        ("web", {"caller": "+4520304050"}),  # a number typed in a chat never becomes the caller
        ("browser", {"caller": "+4520304050"}),
        ("phone", {"caller": "ring mig på 20304050"}),
        ("phone", {"caller": ["+4520304050"]}),
        ("phone", {"client_address": "203.0.113.7"}),  # an address in clear is never stored
    ],
)
def test_even_the_gateway_cannot_put_a_non_number_or_a_clear_address(channel: str, metadata: dict) -> None:
    _, kept = trusted_fields(
        fields(input_channel=channel, metadata=metadata),
        from_gateway=True,
        remote_address="127.0.0.1",
        address_key=SECRET,
    )
    assert not kept


def test_the_gateway_without_an_address_does_not_get_its_own() -> None:
    _, kept = trusted_fields(
        fields(input_channel="web"), from_gateway=True, remote_address="127.0.0.1", address_key=SECRET
    )
    assert kept is None  # the gateway's loopback address is not the citizen's


def test_the_credential_is_compared_exactly() -> None:
    assert same_secret(SECRET, SECRET)
    assert not same_secret(SECRET, SECRET[:-1])
    assert not same_secret(SECRET, SECRET + "x")
    assert not same_secret(SECRET, "")
    assert not same_secret(SECRET, None)
    assert not same_secret("", "")  # no secret configured: nobody is the gateway


def test_addresses_are_hashed_per_secret_ipv4_and_ipv6_network() -> None:
    one = client_address_id(SECRET, "203.0.113.7")
    assert one.startswith("addr1-") and "203" not in one and len(one) == 38
    assert client_address_id(SECRET, "::ffff:203.0.113.7") == one
    assert client_address_id("other-secret", "203.0.113.7") != one
    assert client_address_id(SECRET, "203.0.113.8") != one
    assert client_address_id(SECRET, "2001:db8:1:2::1") == client_address_id(SECRET, "2001:db8:1:2:ffff::9")
    assert client_address_id(SECRET, "2001:db8:1:3::1") != client_address_id(SECRET, "2001:db8:1:2::1")
    assert client_address_id(SECRET, "not an ip") is None
    assert client_address_id(SECRET, None) is None


def test_the_channel_reads_the_shared_secret_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUNI_RASA_TOKEN", "from-env")
    assert gateway_secret() == "from-env"
    assert MuniRestInput().gateway_token == "from-env"
    assert MuniRestInput(gateway_token="given").gateway_token == "given"  # noqa: S106
