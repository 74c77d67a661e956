"""Danish date and time expressions as citizens write and say them.

``parse_when("på torsdag ved 10-tiden", now)`` understands relative days ("i
morgen", "torsdag i næste uge", "næste uge"), dates ("den 14.", "14. december",
"14/12"), clock times ("kl. 10.30", "halv elleve", "kvart i tolv", "fem over
ni"), numbers spoken as words, parts of the day ("om eftermiddagen") and "så
hurtigt som muligt". Impossible dates ("31. februar") and past days ("i går")
are reported as problems, never silently moved.

Hours 1-6 without "om morgenen" mean the afternoon (13-18), as in "klokken to"
at an office.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from muni_core.danish.calendar import MONTH_NAMES, WEEKDAY_ASCII_NAMES, WEEKDAY_NAMES, month_number
from muni_core.danish.numbers import number_values, ordinal_values

# Number words: 0..20 and the tens to 50 as written, with 'et', 'én' and 'ét'.
NUMBER_WORDS = number_values([*range(21), 30, 40, 50], variants=False)
ORDINAL_WORDS = ordinal_values([*range(1, 21), 30])  # with 'andet' and 'tredivende'
_COMPOUNDS = [n for n in range(21, 40) if n % 10]
# 'enogtyve' -> '21', 'femogtyvende' -> '25.' (and 'enogtredivende' -> '31.')
_COMPOUND_DIGITS = {word: str(n) for word, n in number_values(_COMPOUNDS, forms=False, variants=False).items()}
_COMPOUND_DIGITS |= {word: f"{n}." for word, n in ordinal_values(_COMPOUNDS).items()}
_COMPOUND_PATTERN = re.compile(rf"\b({'|'.join(sorted(_COMPOUND_DIGITS, key=len, reverse=True))})\b")
WEEKDAYS = {name: day for day, name in enumerate(WEEKDAY_NAMES)}
WEEKDAYS |= {name: day for day, names in WEEKDAY_ASCII_NAMES.items() for name in names}
_MONTH_PREFIXES = "|".join(name[:3] for name in MONTH_NAMES)
PARTS_OF_DAY = {
    "morgen": (time(7, 0), time(10, 0)),
    "formiddag": (time(8, 0), time(12, 0)),
    "middag": (time(11, 30), time(13, 30)),
    "eftermiddag": (time(12, 0), time(17, 0)),
    "aften": (time(17, 0), time(21, 0)),
}
ASAP_PATTERN = re.compile(
    r"så hurtigt som muligt|saa hurtigt som muligt|hurtigst muligt|snarest|første ledige|hurtigst|asap|"
    r"så snart som muligt|så tidligt som muligt|så hurtig som muligt"
)


@dataclass(frozen=True)
class When:
    """What a text says about when: any part may be missing."""

    day: date | None = None
    clock: time | None = None
    approximate: bool = False
    part_of_day: str | None = None
    earliest: date | None = None
    asap: bool = False
    problem: str | None = None  # "impossible_date" or "past"

    @property
    def found(self) -> bool:
        """True when the text said anything about when."""
        return any([self.day, self.clock, self.part_of_day, self.earliest, self.asap, self.problem])


def _expand_compound_numbers(text: str) -> str:
    """'enogtyve' -> '21', 'femogtyvende' -> '25.' (cardinals and ordinals)."""
    return _COMPOUND_PATTERN.sub(lambda match: _COMPOUND_DIGITS[match.group(1)], text)


def _normalise(text: str) -> str:
    text = " " + re.sub(r"\s+", " ", text.lower().replace("\u00a0", " ")) + " "
    text = _expand_compound_numbers(text)
    for word, value in ORDINAL_WORDS.items():
        text = re.sub(rf"\b{word}\b", f"{value}.", text)
    return text


def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    return NUMBER_WORDS.get(token)


_NUM = r"(\d{1,2}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"


def _office_hour(hour: int, part: str | None) -> int:
    if part in ("eftermiddag", "aften") and hour < 12:
        return hour + 12
    if part in ("morgen", "formiddag"):
        return hour
    return hour + 12 if 1 <= hour <= 6 else hour


def parse_clock(text: str, part: str | None = None) -> tuple[time | None, bool]:
    """The clock time in ``text`` (normalised) and whether it was approximate ("ved 10-tiden")."""
    relative = re.search(rf"\b(kvart|halv|{_NUM})\s+(over|i)\s+{_NUM}\b", text)
    if relative and relative.group(1) != "halv":
        minutes = 15 if relative.group(1) == "kvart" else _number(relative.group(1))
        hour = _number(relative.group(4))
        if minutes is not None and hour is not None and minutes < 60 and hour <= 24:
            hour = _office_hour(hour, part)
            moment = datetime(2000, 1, 1, hour % 24) + (
                timedelta(minutes=minutes) if relative.group(3) == "over" else -timedelta(minutes=minutes)
            )
            return moment.time(), False
    half = re.search(rf"\bhalv\s+{_NUM}\b", text)
    if half:
        hour = _number(half.group(1))
        if hour is not None and 1 <= hour <= 24:
            hour = _office_hour(hour, part)
            return time((hour - 1) % 24, 30), False
    around = re.search(rf"\b(?:ved|omkring|cirka|ca\.?)\s+(?:kl\.?\s*|klokken\s+)?{_NUM}[\s-]*tiden\b", text)
    if around:
        hour = _number(around.group(1))
        if hour is not None and hour <= 24:
            return time(_office_hour(hour, part) % 24), True
    explicit = re.search(r"\b(?:kl\.?|klokken)\s*(\d{1,2})(?:[.:](\d{2}))?\b", text)
    if not explicit:
        explicit = re.search(r"\b(\d{1,2})[.:](\d{2})\b(?!\s*[./-]?\s*\d)", text)
    if explicit:
        hour, minute = int(explicit.group(1)), int(explicit.group(2) or 0)
        if hour <= 23 and minute <= 59:
            return time(_office_hour(hour, part) if hour <= 12 else hour, minute), False
    spoken = re.search(rf"\b(?:klokken|kl\.?)\s+{_NUM}(?:\s+{_NUM})?\b", text)
    if spoken:
        hour = _number(spoken.group(1))
        minute = _number(spoken.group(2)) if spoken.group(2) else 0
        if hour is not None and minute is not None and hour <= 23 and minute <= 59:
            return time(_office_hour(hour, part) if hour <= 12 else hour, minute), False
    approx_word = re.search(rf"\b{_NUM}[\s-]*tiden\b", text)
    if approx_word:
        hour = _number(approx_word.group(1))
        if hour is not None and hour <= 24:
            return time(_office_hour(hour, part) % 24), True
    return None, False


def _part_of_day(text: str) -> str | None:
    for part in ("eftermiddag", "formiddag", "middag", "morgen", "aften"):
        if re.search(rf"\b(?:om |i |sidst på |først på )?{part}(?:en|s)?\b", text):
            if (
                part == "morgen"
                and re.search(r"\bi ?morgen\b(?! ?tidlig)", text)
                and not re.search(r"\bom morgenen\b|\bmorgen(?:en)? tidlig\b|\btidlig\b", text)
            ):
                continue
            return part
    if re.search(r"\btidlig\b", text):
        return "morgen"
    return None


def _date_from(day_number: int, month: int | None, year: int | None, today: date) -> tuple[date | None, str | None]:
    """A calendar day; without a year (or month) the next such day. Returns (day, problem)."""
    explicit_month = month is not None
    try:
        candidate = date(year or today.year, month or today.month, day_number)
    except ValueError:
        return None, "impossible_date"
    if year is None and candidate < today:
        try:
            if explicit_month:
                candidate = candidate.replace(year=today.year + 1)
            else:
                candidate = date(today.year + (today.month == 12), today.month % 12 + 1, day_number)
        except ValueError:
            return None, "impossible_date"
    if candidate < today:
        return None, "past"
    return candidate, None


def parse_day(text: str, today: date) -> tuple[date | None, date | None, str | None]:
    """(day, earliest day, problem) for the day expression in normalised ``text``."""
    if re.search(r"\bi ?forgårs\b|\bi ?går\b|\bigår\b|\bsidste uge\b|\bi sidste\b", text):
        return None, None, "past"
    if re.search(r"\bi ?overmorgen\b", text):
        return today + timedelta(days=2), None, None
    if re.search(r"\bi ?morgen\b", text):
        return today + timedelta(days=1), None, None
    if re.search(r"\bi ?dag\b", text):
        return today, None, None
    iso = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", text)
    if iso:
        day, problem = _date_from(int(iso.group(3)), int(iso.group(2)), int(iso.group(1)), today)
        return day, None, problem
    numeric = re.search(r"\b(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{2,4}))?\b(?!\s*[.:]?\s*\d{2}\b)", text)
    named = re.search(rf"\b(\d{{1,2}})\.?\s*({_MONTH_PREFIXES})[a-zæøå]*\b", text)
    if named:
        day, problem = _date_from(int(named.group(1)), month_number(named.group(2)), None, today)
        return day, None, problem
    if numeric and not re.search(r"\b(?:kl\.?|klokken)\s*" + re.escape(numeric.group(0).strip()), text):
        year_text = numeric.group(3)
        year = (int(year_text) + 2000 if len(year_text) == 2 else int(year_text)) if year_text else None
        if 1 <= int(numeric.group(2)) <= 12:
            day, problem = _date_from(int(numeric.group(1)), int(numeric.group(2)), year, today)
            return day, None, problem
        return None, None, "impossible_date"
    ordinal = re.search(r"\b(?:den|d\.)\s*(\d{1,2})\.?(?!\s*[:.]?\d)", text)
    if ordinal:
        day, problem = _date_from(int(ordinal.group(1)), None, None, today)
        return day, None, problem
    next_week = bool(re.search(r"\b(?:i |på )?næste uge\b|\bnaeste uge\b|\bom en uge\b|\bugen efter\b", text))
    for word, weekday in WEEKDAYS.items():
        match = re.search(rf"\b(næste |naeste |på |paa |om )?{word}(?:en)?\b", text)
        if match:
            # "på onsdag" said on a Wednesday is next Wednesday; today is "i dag"
            ahead = (weekday - today.weekday()) % 7 or 7
            if next_week or (match.group(1) or "").strip() in ("næste", "naeste"):
                # the weekday in next calendar week
                monday_next = today + timedelta(days=7 - today.weekday())
                return monday_next + timedelta(days=weekday), None, None
            return today + timedelta(days=ahead), None, None
    if next_week:
        return None, today + timedelta(days=7 - today.weekday()), None
    if re.search(r"\bom to uger\b|\bom 2 uger\b", text):
        return None, today + timedelta(days=14), None
    return None, None, None


def parse_when(text: str, now: datetime) -> When:
    """Everything ``text`` says about a wished day and time, relative to ``now``."""
    normalised = _normalise(text)
    asap = bool(ASAP_PATTERN.search(text.lower()))
    part = _part_of_day(normalised)
    clock, approximate = parse_clock(normalised, part)
    day, earliest, problem = parse_day(normalised, now.date())
    if day == now.date() and clock is not None and clock <= now.time() and problem is None:
        problem = "past"
    return When(day, clock, approximate, part, earliest, asap, problem)
