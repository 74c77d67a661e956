"""Numbers in a screen text as the phone says them: clock times, dates, amounts, phone numbers, references.

``say_numbers`` rewrites every number written in digits ('kl. 10.30', '24.12.', '3.500 kr.', '98 45 50 00',
'2,5', '15-17 år') as Danish words, the most specific pattern first; the words themselves come from
``muni_core.danish.numbers``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from muni_core.danish.calendar import MONTH_ALIASES, MONTH_NAMES, month_number
from muni_core.danish.numbers import (
    MAX_NUMBER,
    clock_to_danish,
    date_to_danish,
    digits_in_pairs,
    number_to_danish,
    numeral_to_danish,
    ordinal_to_danish,
    spell_digits,
)

# Numbers Danes say in their own way.
SPECIAL_NUMBERS = {"112": "et et to", "114": "et et fire", "1813": "atten tretten", "24/7": "hele døgnet"}
_MONTH_ALIASES = "|".join(MONTH_ALIASES)
_SENTENCE_END = re.compile(r"\s*$|\s+[A-ZÆØÅ\"'(]")


def sentence_ends_after(match: re.Match[str]) -> bool:
    """True when the text after ``match`` is the end or a new sentence (so a swallowed '.' must stay)."""
    return bool(_SENTENCE_END.match(match.string, match.end()))


def _clock_expression(match: re.Match[str]) -> str:
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 24 or minute > 59:
        return match.group(0)
    spoken = f"klokken {clock_to_danish(hour, minute)}"
    if match.group(3):
        hour2, minute2 = int(match.group(3)), int(match.group(4) or 0)
        if hour2 > 24 or minute2 > 59:
            return match.group(0)
        spoken += f" til {clock_to_danish(hour2, minute2)}"
    return spoken


def _bare_time_range(match: re.Match[str]) -> str:
    hour, minute, hour2, minute2 = (int(g or 0) for g in match.groups())
    if max(hour, hour2) > 24 or max(minute, minute2) > 59:
        return match.group(0)
    return f"{clock_to_danish(hour, minute)} til {clock_to_danish(hour2, minute2)}"


def _bare_time(match: re.Match[str]) -> str:
    return clock_to_danish(int(match.group(1)), int(match.group(2)))


def _named_date(match: re.Match[str]) -> str:
    day, month = int(match.group(1)), month_number(match.group(2))
    if not 1 <= day <= 31 or month is None:
        return match.group(0)
    year = match.group(4)
    spoken = date_to_danish(day, month, int(year) if year else None)
    if not year and match.group(3) and (match.group(2).lower() == MONTH_NAMES[month - 1] or sentence_ends_after(match)):
        spoken += "."  # the sentence's full stop, not the abbreviation's
    return spoken


def _numeric_date(match: re.Match[str]) -> str:
    day, month = int(match.group("d")), int(match.group("m"))
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return match.group(0)
    year = match.groupdict().get("y")
    spoken = date_to_danish(day, month, int(year) + (2000 if len(year) == 2 else 0) if year else None)
    if not year and match.group(0).endswith(".") and sentence_ends_after(match):
        spoken += "."
    return spoken


def _ordinal(match: re.Match[str]) -> str:
    number = int(match.group(2))
    if not 1 <= number <= 99:
        return match.group(0)
    spoken = f"{match.group(1) or ''}{ordinal_to_danish(number)}"
    return spoken + "." if match.group(3) and sentence_ends_after(match) else spoken


def _amount(match: re.Match[str]) -> str:
    kroner = int(match.group("kr").replace(".", ""))
    if kroner > MAX_NUMBER:
        return match.group(0)
    spoken = f"{number_to_danish(kroner)} {'krone' if kroner == 1 else 'kroner'}"
    ore = match.group("ore")
    if ore and ore.isdigit() and int(ore):
        spoken += f" og {number_to_danish(int(ore.ljust(2, '0')))} øre"
    if match.group(0).endswith(".") and sentence_ends_after(match):
        spoken += "."
    return spoken


def _decimal(match: re.Match[str]) -> str:
    whole, fraction = match.group(1), match.group(2)
    spell = fraction.startswith("0") or len(fraction) > 2
    fraction_words = spell_digits(fraction) if spell else numeral_to_danish(fraction)
    return f"{numeral_to_danish(whole)} komma {fraction_words}"


# (pattern, replacement) in the order they run; numbers go from the most to the least specific.
_NUMBER_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str] | str]] = [
    (  # kl. 10.30 / klokken 9 / kl. 10-15 / kl. 8.30-16.30
        re.compile(
            r"\b(?:kl\.?|klokken)\s*(\d{1,2})(?:[.:](\d{2}))?(?!\d)"
            r"(?:\s*(?:-|–|til)\s*(?:kl\.?\s*|klokken\s*)?(\d{1,2})(?:[.:](\d{2}))?(?![\d]|[.:]\d))?",
            re.IGNORECASE,
        ),
        _clock_expression,
    ),
    (  # 13.30-18 / 10-16.30 (a range with minutes is a time range)
        re.compile(r"\b(\d{1,2})[.:](\d{2})\s*[-–]\s*(\d{1,2})(?:[.:](\d{2}))?\b(?![.:]\d)"),
        _bare_time_range,
    ),
    (re.compile(r"\b(\d{1,2})()\s*[-–]\s*(\d{1,2})[.:](\d{2})\b(?![.:]\d)"), _bare_time_range),
    (  # 1. december 2026 / 14. dec
        re.compile(rf"\b(\d{{1,2}})\.\s?({_MONTH_ALIASES})\b(\.)?(?:\s+(\d{{4}})\b)?", re.IGNORECASE),
        _named_date,
    ),
    (re.compile(r"\b(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})\b"), _numeric_date),  # 24.12.2026
    (re.compile(r"\b(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?!\d)"), _numeric_date),  # den 24.12.
    (re.compile(r"(?<=\bden )(?P<d>\d{1,2})\.(?P<m>\d{1,2})\b(?![.:/]?\d)"), _numeric_date),  # den 24.12
    (re.compile(r"\b(?P<d>\d{1,2})/(?P<m>\d{1,2})\b(?![/-]?\d)"), _numeric_date),  # 24/12
    (re.compile(r"\b(?P<d>\d{1,2})/(?P<m>\d{1,2})[/-](?P<y>\d{4}|\d{2})\b"), _numeric_date),  # 24/12-2026
    (re.compile(r"(\bden )(\d{1,2})(\.)(?!\d)", re.IGNORECASE), _ordinal),  # den 14.
    (re.compile(r"()\b(\d{1,2})\.()(?=\s+[a-zæøå])"), _ordinal),  # 2. påskedag, 3. sal
    (  # 3.500 kr. / 12,50 kr / 100 kroner / 3.500,-
        re.compile(
            r"(?<![\w.,])(?P<kr>\d{1,3}(?:\.\d{3})+|\d+)(?:,(?P<ore>\d{1,2}|-))?"
            r"(?:\s*(?:kr\.|kr\b|kroner\b|DKK\b)|(?<=,-))",
            re.IGNORECASE,
        ),
        _amount,
    ),
    (  # kr. 3.500
        re.compile(r"\b(?:kr\.|DKK)\s*(?P<kr>\d{1,3}(?:\.\d{3})+|\d+)(?:,(?P<ore>\d{1,2}|-))?(?![\d])", re.IGNORECASE),
        _amount,
    ),
    (  # phone numbers: +45 98 45 50 00 / 98455000 / 9845 5000
        re.compile(r"(?<![\w.,:+])(?:\+45\s?|0045\s?)?(\d{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{2})(?!\w|[.,:]\d)"),
        lambda m: digits_in_pairs(m.group(1)),
    ),
    (  # booking references: 48 29 13 / 482913
        re.compile(r"(?<![\w.,:])(\d{2} ?\d{2} ?\d{2})(?!\w|[.,:]\d)"),
        lambda m: digits_in_pairs(m.group(1)),
    ),
    (  # any other pairs: 'slutter på 40 50'
        re.compile(r"(?<![\w.,:])(\d{2}(?: \d{2})+)(?!\w|[.,:]\d)"),
        lambda m: digits_in_pairs(m.group(1)),
    ),
    (re.compile(r"\b(\d+),(\d+)\b"), _decimal),  # 2,5
    (  # 1.000.000
        re.compile(r"\b\d{1,3}(?:\.\d{3})+\b"),
        lambda m: (
            number_to_danish(int(m.group(0).replace(".", "")))
            if int(m.group(0).replace(".", "")) <= MAX_NUMBER
            else spell_digits(m.group(0).replace(".", ""))
        ),
    ),
    (  # 15-17 år
        re.compile(r"\b(\d+)\s?[-–]\s?(\d+)\b"),
        lambda m: f"{numeral_to_danish(m.group(1))} til {numeral_to_danish(m.group(2))}",
    ),
    (re.compile(r"\b([01]?\d|2[0-3])[.:]([0-5]\d)\b(?![.:]\d)"), _bare_time),  # 10.30
    (re.compile(r"\b\d+\b"), lambda m: numeral_to_danish(m.group(0))),
]


def say_numbers(text: str) -> str:
    """``text`` with its numbers, times, dates and amounts written in digits said as Danish words."""
    text = re.sub(
        r"(?<![\w/.,])(" + "|".join(re.escape(n) for n in SPECIAL_NUMBERS) + r")(?![\w/]|[.,]\d)",
        lambda m: SPECIAL_NUMBERS[m.group(1)],
        text,
    )
    for pattern, replacement in _NUMBER_RULES:
        text = pattern.sub(replacement, text)
    return text
