"""What a caller said, read for comparison: words normalised and folded, number words, days and times.

The same readings serve a button's label ('torsdag kl. 10.30', ``when_in_label``) and the caller's
words ('halv elleve på torsdag', ``heard_when``), so the two can be compared.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass

from muni_core.danish.calendar import MONTH_ALIASES, WEEKDAY_NAMES, month_number
from muni_core.danish.numbers import number_values, ordinal_values


def normalise(text: str) -> str:
    """Lowercase words and digits only ('Torsdag kl. 10.30!' -> 'torsdag kl 10 30'), æøå kept."""
    text = unicodedata.normalize("NFC", text or "").lower()
    text = re.sub(r"[^\wæøå]+|_", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def fold(text: str) -> str:
    """A rough sound key that survives spelling and recognition variants: 'Kørekortet' ~ 'koere kortet'."""
    text = normalise(text).replace(" ", "")
    text = text.replace("aa", "å").replace("ae", "æ").replace("oe", "ø")
    for source, target in (("æ", "e"), ("ä", "e"), ("é", "e"), ("ø", "o"), ("ö", "o"), ("å", "o"), ("ü", "y")):
        text = text.replace(source, target)
    for source, target in (("ph", "f"), ("th", "t"), ("ck", "k"), ("c", "k"), ("w", "v"), ("q", "k"), ("z", "s")):
        text = text.replace(source, target)
    return re.sub(r"(.)\1+", r"\1", text)


# Number words a caller may say: 0..59 as written, the other forms of 'en' and the old 'halvtredsindstyve'.
_NUMBER_WORDS = number_values(range(60), variants=False) | number_values([50])
_ORDINAL_WORDS_31 = ordinal_values(range(1, 32), variants=False)
WEEKDAYS = tuple(WEEKDAY_NAMES)
_MONTH_ALIASES = "|".join(MONTH_ALIASES)
_FOLDED_WEEKDAYS = frozenset(fold(d) for d in WEEKDAYS)
_RELATIVE_DAYS = {"i dag": "idag", "idag": "idag", "i morgen": "imorgen", "imorgen": "imorgen",
                  "i overmorgen": "iovermorgen", "iovermorgen": "iovermorgen"}  # fmt: skip


def number_value(token: str) -> int | None:
    """The number a normalised word says ('2', 'to', 'enogtyve'), or None."""
    if token.isdigit():
        return int(token)
    return _NUMBER_WORDS.get(token)


@dataclass(frozen=True)
class When:
    """A day and time as a button offers it or a caller says it; any part may be missing."""

    weekday: str | None = None
    relative: str | None = None
    day: int | None = None
    month: int | None = None
    hour: int | None = None
    minute: int | None = None

    @property
    def empty(self) -> bool:
        """True when it says nothing about the day or the hour."""
        return all(v is None for v in (self.weekday, self.relative, self.day, self.month, self.hour))


def when_in_label(label: str) -> When | None:
    """Day and time of a booking button ('torsdag kl. 10.30', 'mandag den 14. december kl. 13')."""
    lowered = label.lower()
    clock = re.search(r"\bkl\.?\s*(\d{1,2})(?:[.:](\d{2}))?", lowered)
    if not clock:
        return None
    weekday = next((d for d in WEEKDAYS if d in lowered), None)
    relative = next((v for k, v in _RELATIVE_DAYS.items() if f" {k} " in f" {lowered} "), None)
    date = re.search(rf"\b(\d{{1,2}})\.\s*({_MONTH_ALIASES})", lowered)
    return When(
        weekday=weekday,
        relative=relative,
        day=int(date.group(1)) if date else None,
        month=month_number(date.group(2)) if date else None,
        hour=int(clock.group(1)),
        minute=int(clock.group(2) or 0),
    )


def _heard_clock(words: list[str]) -> tuple[int, int] | None:
    """The clock time in heard words: 'klokken ti tredive', 'halv elleve', 'kvart over ni', '10 30', 'tretten'."""
    numbers = [number_value(w) for w in words]
    for i, word in enumerate(words):
        nxt = numbers[i + 1] if i + 1 < len(words) else None
        if word == "halv" and nxt is not None and 1 <= nxt <= 24:
            return (nxt - 1) % 24, 30
        if word == "kvart" and i + 2 < len(words) and numbers[i + 2] is not None:
            hour = numbers[i + 2]
            if words[i + 1] == "over":
                return hour, 15
            if words[i + 1] == "i":
                return (hour - 1) % 24, 45
        if numbers[i] is not None and i + 2 < len(words) and words[i + 1] in ("over", "i"):
            minutes, hour = numbers[i], numbers[i + 2]
            if hour is not None and 0 < minutes < 30 and hour <= 24:
                return (hour, minutes) if words[i + 1] == "over" else ((hour - 1) % 24, 60 - minutes)
    for i, word in enumerate(words):
        if word in ("klokken", "kl", "ved") and i + 1 < len(words) and numbers[i + 1] is not None:
            hour = numbers[i + 1]
            minute = numbers[i + 2] if i + 2 < len(words) and numbers[i + 2] is not None else 0
            if hour <= 24 and minute <= 59:
                return hour, minute
    spoken = [(i, n) for i, n in enumerate(numbers) if n is not None and words[i] not in ("en", "et")]
    for (i, hour), (j, minute) in itertools.pairwise(spoken):
        if j == i + 1 and hour <= 23 and 1 <= minute <= 59:
            return hour, minute
    if len(spoken) == 1 and spoken[0][1] <= 23:
        return spoken[0][1], 0
    return None


def heard_when(words: list[str]) -> When:
    """Day and time in what the caller said: weekday, 'i morgen', 'den 14.'/'fjortende', month, clock."""
    text = " ".join(words)
    folded = fold(text)
    weekday = next((d for d in WEEKDAYS if fold(d) in folded), None)
    relative = next((v for k, v in _RELATIVE_DAYS.items() if f" {k} " in f" {text} "), None)
    month = next((m for m in map(month_number, words) if m), None)
    day = next((_ORDINAL_WORDS_31[w] for w in words if w in _ORDINAL_WORDS_31), None)
    clock_words = []
    for index, word in enumerate(words):
        before = words[index - 1] if index else ""
        after = words[index + 1] if index + 1 < len(words) else ""
        number = number_value(word)
        if number is not None and 1 <= number <= 31 and (before == "den" or (month and month_number(after) == month)):
            day = number
            continue
        if month_number(word) or fold(word) in _FOLDED_WEEKDAYS:
            continue
        clock_words.append(word)
    clock = _heard_clock(clock_words)
    return When(
        weekday=weekday,
        relative=relative,
        day=day,
        month=month,
        hour=clock[0] if clock else None,
        minute=clock[1] if clock else None,
    )
