"""Danish number words in both directions: numbers, years, clock times and dates as words, and words as numbers.

``NUMBER_WORDS`` is the one table of Danish number words (0..19 and the tens); everything else here
is derived from it. Writing: ``number_to_danish(3500)`` 'tre tusind fem hundrede',
``ordinal_to_danish(21)`` 'enogtyvende', ``digits_in_pairs("98455000")`` 'otteoghalvfems femogfyrre
halvtreds nul nul', ``clock_to_danish(10, 30)`` 'ti tredive'. Reading: ``danish_to_number("et hundrede
og fem")`` 105, and ``number_values`` / ``ordinal_values``, the word lookups that the parsers of
spoken and written Danish build for the numbers they understand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from muni_core.danish.calendar import MONTH_NAMES


class NumberWords(NamedTuple):
    """The Danish words of one number: each tuple starts with the word as it is written and spoken."""

    value: int
    cardinals: tuple[str, ...]  # the word and its other forms ('en', 'et', 'én', 'ét')
    ordinals: tuple[str, ...]  # the ordinal and its other forms ('anden', 'andet')
    variants: tuple[str, ...] = ()  # older and spoken spellings ('tredve', 'halvtredsindstyve')
    ordinal_variants: tuple[str, ...] = ()  # ('tredivende')


NUMBER_WORDS: tuple[NumberWords, ...] = (
    NumberWords(0, ("nul",), ("nulte",)),
    NumberWords(1, ("en", "et", "én", "ét"), ("første",)),
    NumberWords(2, ("to",), ("anden", "andet")),
    NumberWords(3, ("tre",), ("tredje",)),
    NumberWords(4, ("fire",), ("fjerde",)),
    NumberWords(5, ("fem",), ("femte",)),
    NumberWords(6, ("seks",), ("sjette",)),
    NumberWords(7, ("syv",), ("syvende",)),
    NumberWords(8, ("otte",), ("ottende",)),
    NumberWords(9, ("ni",), ("niende",)),
    NumberWords(10, ("ti",), ("tiende",)),
    NumberWords(11, ("elleve",), ("ellevte",)),
    NumberWords(12, ("tolv",), ("tolvte",)),
    NumberWords(13, ("tretten",), ("trettende",)),
    NumberWords(14, ("fjorten",), ("fjortende",)),
    NumberWords(15, ("femten",), ("femtende",)),
    NumberWords(16, ("seksten",), ("sekstende",)),
    NumberWords(17, ("sytten",), ("syttende",)),
    NumberWords(18, ("atten",), ("attende",)),
    NumberWords(19, ("nitten",), ("nittende",)),
    NumberWords(20, ("tyve",), ("tyvende",)),
    NumberWords(30, ("tredive",), ("tredivte",), ("tredve",), ("tredivende",)),
    NumberWords(40, ("fyrre",), ("fyrretyvende",), ("fyrretyve",)),
    NumberWords(50, ("halvtreds",), ("halvtredsindstyvende",), ("halvtredsindstyve",)),
    NumberWords(60, ("tres",), ("tresindstyvende",), ("tresindstyve",)),
    NumberWords(70, ("halvfjerds",), ("halvfjerdsindstyvende",), ("halvfjerdsindstyve",)),
    NumberWords(80, ("firs",), ("firsindstyvende",), ("firsindstyve",)),
    NumberWords(90, ("halvfems",), ("halvfemsindstyvende",), ("halvfemsindstyve",)),
)
_BY_VALUE = {words.value: words for words in NUMBER_WORDS}
MAX_NUMBER = 999_999_999


def _word(n: int) -> str:
    """0..19 or a round ten as it is written: 7 'syv', 50 'halvtreds'."""
    return _BY_VALUE[n].cardinals[0]


# --- numbers to words ----------------------------------------------------------------------------


def _below_hundred(n: int) -> str:
    if n in _BY_VALUE:
        return _word(n)
    tens, units = divmod(n, 10)
    return f"{_word(units)}og{_word(tens * 10)}"


def _below_thousand(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    if not hundreds:
        return _below_hundred(rest)
    words = f"{'et' if hundreds == 1 else _word(hundreds)} hundrede"
    return f"{words} og {_below_hundred(rest)}" if rest else words


def _multiplier(n: int) -> str:
    """A count of thousands or millions: 'et' before 'tusind' when it ends in one ('hundrede og et tusind')."""
    words = _below_thousand(n)
    return words[:-2] + "et" if words.endswith(" en") else words


def number_to_danish(n: int) -> str:
    """``n`` (0..999 999 999) in Danish words: 21 'enogtyve', 105 'et hundrede og fem', 3500 'tre tusind fem hundrede'.

    Tens are the Danish vigesimal ones (halvtreds, tres, halvfjerds, firs, halvfems);
    'og' comes before the last tens/units part, 100 and 1000 are 'et hundrede' and 'et tusind'.
    """
    if not 0 <= n <= MAX_NUMBER:
        raise ValueError(f"{n} is outside 0..{MAX_NUMBER}")
    if n == 0:
        return _word(0)
    millions, rest = divmod(n, 1_000_000)
    thousands, units = divmod(rest, 1000)
    parts = []
    if millions:
        parts.append("en million" if millions == 1 else f"{_multiplier(millions)} millioner")
    if thousands:
        parts.append("et tusind" if thousands == 1 else f"{_multiplier(thousands)} tusind")
    if units:
        parts.append(f"og {_below_hundred(units)}" if parts and units < 100 else _below_thousand(units))
    return " ".join(parts)


def ordinal_to_danish(n: int) -> str:
    """``n`` (1..99) as a Danish ordinal: 'første', 'anden', 'enogtyvende', 'tredivte', 'enogtredivte'."""
    if not 0 <= n <= 99:
        raise ValueError(f"{n} is outside 0..99")
    if n in _BY_VALUE:
        return _BY_VALUE[n].ordinals[0]
    tens, units = divmod(n, 10)
    return f"{_word(units)}og{_BY_VALUE[tens * 10].ordinals[0]}"


def year_to_danish(year: int) -> str:
    """A year as Danes say it: 1958 'nitten hundrede og otteoghalvtreds', 2026 'to tusind og seksogtyve'."""
    if 1100 <= year <= 1999:
        hundreds, rest = divmod(year, 100)
        words = f"{_word(hundreds)} hundrede"
        return f"{words} og {_below_hundred(rest)}" if rest else words
    return number_to_danish(year)


def date_to_danish(day: int, month: int, year: int | None = None) -> str:
    """A date as Danes say it: (14, 12) 'fjortende december', (1, 5, 2026) 'første maj to tusind og seksogtyve'."""
    spoken = f"{ordinal_to_danish(day)} {MONTH_NAMES[month - 1]}"
    return f"{spoken} {year_to_danish(year)}" if year is not None else spoken


def spell_digits(digits: str) -> str:
    """Digits one at a time: '0045' 'nul nul fire fem'."""
    return " ".join(_word(int(d)) for d in digits)


def _pair_words(pair: str) -> str:
    """Two digits of a phone number or reference: '98' 'otteoghalvfems', '05' 'nul fem', '00' 'nul nul'."""
    if len(pair) == 1 or pair.startswith("0"):
        return spell_digits(pair)
    return _below_hundred(int(pair))


def digits_in_pairs(digits: str) -> str:
    """A phone number or reference two digits at a time: '98455000' 'otteoghalvfems femogfyrre halvtreds nul nul'."""
    clean = re.sub(r"\D", "", digits)
    return " ".join(_pair_words(clean[i : i + 2]) for i in range(0, len(clean), 2))


def clock_to_danish(hour: int, minute: int) -> str:
    """'ti tredive', 'ni', 'et', 'otte nul fem' (24-hour clock as Danish systems say it)."""
    hour_words = "et" if hour == 1 else number_to_danish(hour)
    if minute == 0:
        return hour_words
    minutes = f"nul {_word(minute)}" if minute < 10 else _below_hundred(minute)
    return f"{hour_words} {minutes}"


def numeral_to_danish(digits: str) -> str:
    """A number written in digits, as words: leading zeros and very long numbers digit by digit."""
    if (len(digits) > 1 and digits.startswith("0")) or len(digits) > 9:
        return spell_digits(digits)
    value = int(digits)
    if len(digits) == 4 and 1100 <= value <= 1999:
        return year_to_danish(value)  # '1500' 'femten hundrede', as Danes say years and round counts
    return number_to_danish(value)


# --- words to numbers ----------------------------------------------------------------------------


def _spellings(n: int, *, ordinal: bool, forms: bool, variants: bool) -> list[str]:
    """The words for ``n`` (0..99), the written one first; compounds ('enogtyve') get the variants of their tens."""
    if n in _BY_VALUE:
        words = _BY_VALUE[n]
        spelled = words.ordinals if ordinal else words.cardinals
        others = words.ordinal_variants if ordinal else words.variants
        return [*(spelled if forms else spelled[:1]), *(others if variants else ())]
    if not 21 <= n <= 99:
        raise ValueError(f"{n} is outside 0..99")
    tens, units = divmod(n, 10)
    tens_words = _spellings(tens * 10, ordinal=ordinal, forms=False, variants=variants)
    return [f"{_word(units)}og{word}" for word in tens_words]


def number_values(numbers: Iterable[int], *, forms: bool = True, variants: bool = True) -> dict[str, int]:
    """The words for ``numbers`` (each 0..99) with their values, for reading Danish.

    Each number as written ('en', 'enogtyve'); with ``forms`` also the other forms of its word
    ('et', 'én', 'ét'); with ``variants`` the older and spoken spellings ('tredve',
    'halvtredsindstyve', 'enoghalvtredsindstyve').
    """
    return {word: n for n in numbers for word in _spellings(n, ordinal=False, forms=forms, variants=variants)}


def ordinal_values(numbers: Iterable[int], *, forms: bool = True, variants: bool = True) -> dict[str, int]:
    """The ordinals for ``numbers`` (each 0..99) with their values, for reading Danish.

    Each as written ('anden', 'tredivte', 'enogtredivte'); with ``forms`` also the other forms
    ('andet'); with ``variants`` the older spellings ('tredivende', 'enogtredivende').
    """
    return {word: n for n in numbers for word in _spellings(n, ordinal=True, forms=forms, variants=variants)}


_WORD_VALUES = number_values(range(100))
_SCALES = {"hundrede": 100, "tusind": 1000, "million": 1_000_000, "millioner": 1_000_000}


def danish_to_number(text: str) -> int | None:
    """The number Danish words say, or None when they say something else.

    Understands what ``number_to_danish`` writes and the other ways it is said: 'enogtyve' 21,
    'et hundrede og fem' and 'hundrede og fem' 105, 'to tusind og seksogtyve' 2026, 'nitten
    hundrede' 1900, 'en million' 1000000, 'ét', 'tredve', 'halvtredsindstyve'.
    """
    words = [w for w in text.lower().split() if w != "og"]
    if not words:
        return None
    total = group = 0  # group: what comes since the last 'tusind' or 'million'
    previous, last_scale = "", MAX_NUMBER
    for word in words:
        if word in _WORD_VALUES:
            if previous in _WORD_VALUES:
                return None  # 'to tre' is two numbers
            group += _WORD_VALUES[word]
        elif word == "hundrede":
            if previous in _SCALES or group >= 100:
                return None
            group = (group or 1) * 100
        elif word in _SCALES:
            scale = _SCALES[word]
            if (previous in _SCALES and previous != "hundrede") or scale >= last_scale:
                return None  # 'tusind tusind', 'tusind en million'
            total += (group or 1) * scale
            group, last_scale = 0, scale
        else:
            return None
        previous = word
    return total + group
