"""Danish number words both ways (muni_core.danish.numbers): what is written is read back as the same number."""

import pytest

from muni_core.danish.numbers import (
    MAX_NUMBER,
    NUMBER_WORDS,
    clock_to_danish,
    danish_to_number,
    date_to_danish,
    digits_in_pairs,
    number_to_danish,
    number_values,
    numeral_to_danish,
    ordinal_to_danish,
    ordinal_values,
    spell_digits,
    year_to_danish,
)


def test_every_number_below_ten_thousand_reads_back() -> None:
    for number in range(10_000):
        assert danish_to_number(number_to_danish(number)) == number, number_to_danish(number)


def test_large_numbers_read_back() -> None:
    for number in [*range(0, MAX_NUMBER, 7_654_321), 1_000_000, 1_001_000, 101_001_101, MAX_NUMBER]:
        assert danish_to_number(number_to_danish(number)) == number, number_to_danish(number)


def test_years_read_back() -> None:
    for year in range(1000, 2200):
        assert danish_to_number(year_to_danish(year)) == year, year_to_danish(year)


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (1, "en"),
        (21, "enogtyve"),
        (50, "halvtreds"),
        (84, "fireogfirs"),
        (99, "nioghalvfems"),
        (100, "et hundrede"),
        (105, "et hundrede og fem"),
        (250, "to hundrede og halvtreds"),
        (1000, "et tusind"),
        (1001, "et tusind og en"),
        (2026, "to tusind og seksogtyve"),
        (3500, "tre tusind fem hundrede"),
        (21_000, "enogtyve tusind"),
        (101_000, "et hundrede og et tusind"),
        (1_000_000, "en million"),
        (2_000_001, "to millioner og en"),
    ],
)
def test_number_to_danish_special_forms(number: int, words: str) -> None:
    assert number_to_danish(number) == words
    assert danish_to_number(words) == number


@pytest.mark.parametrize(
    ("words", "number"),
    [
        ("et", 1),
        ("én", 1),
        ("ét", 1),
        ("nul", 0),
        ("halvtredsindstyve", 50),
        ("tredve", 30),
        ("fyrretyve", 40),
        ("enoghalvtredsindstyve", 51),
        ("Fireogfirs", 84),
        ("hundrede og fem", 105),
        ("hundrede", 100),
        ("tusind", 1000),
        ("tusind og en", 1001),
        ("nitten hundrede og otteoghalvtreds", 1958),
        ("femten hundrede", 1500),
        ("fem hundrede tusind", 500_000),
        ("en million to hundrede tusind", 1_200_000),
    ],
)
def test_other_ways_of_saying_a_number(words: str, number: int) -> None:
    assert danish_to_number(words) == number


@pytest.mark.parametrize(
    "words",
    ["", "og", "hej", "to tre", "tyve fem", "tusind tusind", "tusind en million", "fem hundrede to hundrede", "1"],
)
def test_what_is_not_one_number(words: str) -> None:
    assert danish_to_number(words) is None


def test_ordinals_read_back() -> None:
    ordinals = ordinal_values(range(100))
    for number in range(100):
        assert ordinals[ordinal_to_danish(number)] == number


@pytest.mark.parametrize(
    ("number", "ordinal"),
    [
        (1, "første"),
        (2, "anden"),
        (3, "tredje"),
        (20, "tyvende"),
        (21, "enogtyvende"),
        (30, "tredivte"),
        (31, "enogtredivte"),
    ],
)
def test_ordinal_to_danish(number: int, ordinal: str) -> None:
    assert ordinal_to_danish(number) == ordinal


def test_out_of_range_numbers_are_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        number_to_danish(MAX_NUMBER + 1)
    with pytest.raises(ValueError, match="outside"):
        ordinal_to_danish(100)
    with pytest.raises(ValueError, match="outside"):
        number_values([100])


def test_one_table_each_word_once() -> None:
    words = [
        word
        for entry in NUMBER_WORDS
        for word in (*entry.cardinals, *entry.ordinals, *entry.variants, *entry.ordinal_variants)
    ]
    assert len(words) == len(set(words))
    assert [entry.value for entry in NUMBER_WORDS] == [*range(20), *range(20, 100, 10)]


def test_lookups_choose_forms_and_variants() -> None:
    assert number_values([1]) == {"en": 1, "et": 1, "én": 1, "ét": 1}
    assert number_values([1], forms=False) == {"en": 1}
    assert number_values([30, 50]) == {"tredive": 30, "tredve": 30, "halvtreds": 50, "halvtredsindstyve": 50}
    assert number_values([30, 50], variants=False) == {"tredive": 30, "halvtreds": 50}
    assert number_values([51]) == {"enoghalvtreds": 51, "enoghalvtredsindstyve": 51}
    assert ordinal_values([2, 30]) == {"anden": 2, "andet": 2, "tredivte": 30, "tredivende": 30}
    assert ordinal_values([2, 30], forms=False, variants=False) == {"anden": 2, "tredivte": 30}


@pytest.mark.parametrize(
    ("year", "words"),
    [(1958, "nitten hundrede og otteoghalvtreds"), (1900, "nitten hundrede"), (2026, "to tusind og seksogtyve")],
)
def test_year_to_danish(year: int, words: str) -> None:
    assert year_to_danish(year) == words


def test_clock_date_and_digits() -> None:
    assert clock_to_danish(10, 30) == "ti tredive"
    assert clock_to_danish(1, 0) == "et"
    assert clock_to_danish(8, 5) == "otte nul fem"
    assert date_to_danish(14, 12) == "fjortende december"
    assert date_to_danish(1, 5, 2026) == "første maj to tusind og seksogtyve"
    assert digits_in_pairs("98 45 50 00") == "otteoghalvfems femogfyrre halvtreds nul nul"
    assert digits_in_pairs("05") == "nul fem"
    assert spell_digits("0045") == "nul nul fire fem"
    assert numeral_to_danish("007") == "nul nul syv"
    assert numeral_to_danish("1500") == "femten hundrede"
    assert numeral_to_danish("2500") == "to tusind fem hundrede"
