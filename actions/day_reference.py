"""Find which day a citizen asks about ("i morgen", "på lørdag", "24/12") in free text.

This covers what opening-hours questions need; booking needs a fuller Danish
date and time parser.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from muni_core.danish.calendar import MONTH_NAMES, WEEKDAY_ASCII_NAMES, WEEKDAY_NAMES, month_number

# Each weekday as named ('mandag', 'mandagen', 'lordag'); a question about the weekend asks about its Saturday.
_WEEKDAY_SPELLINGS = {
    day: (name, f"{name}en", *WEEKDAY_ASCII_NAMES.get(day, ())) for day, name in enumerate(WEEKDAY_NAMES)
}
_WEEKDAY_SPELLINGS[5] += ("weekend", "weekenden")
_MONTH_PATTERN = "|".join(name[:3] + r"\w*" for name in MONTH_NAMES)


def _normalise(text: str) -> str:
    return " " + re.sub(r"\s+", " ", text.lower()) + " "


def find_day(text: str, today: date) -> date | None:
    """The day ``text`` refers to, relative to ``today``; None when it names no day."""
    lowered = _normalise(text)
    if re.search(r"\bi ?overmorgen\b", lowered):
        return today + timedelta(days=2)
    if re.search(r"\bi ?morgen\b", lowered):
        return today + timedelta(days=1)
    if re.search(r"\bi ?dag\b|\blige nu\b|\bnu\b", lowered):
        return today
    explicit = _find_explicit_date(lowered, today)
    if explicit:
        return explicit
    for weekday, spellings in _WEEKDAY_SPELLINGS.items():
        words = "|".join(spellings)
        match = re.search(rf"\b(næste |naeste |på |paa |om )?({words})\b", lowered)
        if match:
            days_ahead = (weekday - today.weekday()) % 7
            if match.group(1) and match.group(1).strip() in ("næste", "naeste"):
                days_ahead = days_ahead + 7 if days_ahead else 7
            elif not days_ahead and not match.group(2).startswith("weekend"):
                days_ahead = 7  # "på onsdag" said on a Wednesday is next Wednesday; today is "i dag"
            return today + timedelta(days=days_ahead)
    return None


def _find_explicit_date(lowered: str, today: date) -> date | None:
    numeric = re.search(r"\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?\b", lowered)
    named = re.search(rf"\b(\d{{1,2}})\.? ({_MONTH_PATTERN})\b", lowered)
    if named:
        day_number = int(named.group(1))
        month = month_number(named.group(2))
        year = None
    elif numeric:
        day_number, month = int(numeric.group(1)), int(numeric.group(2))
        year_text = numeric.group(3)
        year = int(year_text) + (2000 if year_text and len(year_text) == 2 else 0) if year_text else None
    else:
        return None
    if month is None:  # never: the pattern names a month
        return None
    try:
        candidate = date(year or today.year, month, day_number)
    except ValueError:
        return None
    if year is None and candidate < today:
        try:
            candidate = candidate.replace(year=today.year + 1)
        except ValueError:
            return None
    return candidate


def describe_day(day: date, today: date) -> str:
    """Danish words for ``day`` seen from ``today``: e.g. "i dag", "i morgen", "på fredag"."""
    delta = (day - today).days
    if delta == 0:
        return "i dag"
    if delta == 1:
        return "i morgen"
    if 1 < delta < 7:
        return f"på {WEEKDAY_NAMES[day.weekday()]}"
    return f"{WEEKDAY_NAMES[day.weekday()]} den {day.day}. {MONTH_NAMES[day.month - 1]}"
