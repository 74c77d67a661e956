"""The Danish calendar: weekday and month names, and the public holidays (with the moveable ones after Easter)."""

from __future__ import annotations

from datetime import date, timedelta

WEEKDAY_NAMES = ["mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"]
# Weekday names as they are typed without æ, ø and å, by weekday number (0 is Monday).
WEEKDAY_ASCII_NAMES = {5: ("loerdag", "lordag"), 6: ("soendag", "sondag")}
MONTH_NAMES = [
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
]  # fmt: skip
# Month abbreviations as they are written (with or without a full stop); 'maj' has none.
MONTH_ABBREVIATIONS = ("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sept", "sep", "okt", "nov", "dec")
MONTH_ALIASES = (*MONTH_NAMES, *MONTH_ABBREVIATIONS)


def month_number(word: str) -> int | None:
    """1..12 for a month's name, abbreviation or inflection ('dec', 'sept.', 'januars'), by its first three letters."""
    if len(word) < 3:
        return None
    lowered = word.lower()
    return next((i + 1 for i, name in enumerate(MONTH_NAMES) if lowered.startswith(name[:3])), None)


def easter_sunday(year: int) -> date:
    """Easter Sunday (Gregorian calendar, anonymous algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_offset = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_offset) // 451
    month, day = divmod(h + weekday_offset - 7 * m + 114, 31)
    return date(year, month, day + 1)


def danish_holidays(year: int) -> dict[date, str]:
    """Days on which Danish public offices are closed, with their Danish names.

    Besides the official public holidays this includes Grundlovsdag, juleaftensdag
    and nytårsaftensdag, on which municipal offices are closed in practice.
    Store bededag was abolished from 2024.
    """
    easter = easter_sunday(year)
    days = {
        date(year, 1, 1): "nytårsdag",
        easter - timedelta(days=3): "skærtorsdag",
        easter - timedelta(days=2): "langfredag",
        easter: "påskedag",
        easter + timedelta(days=1): "2. påskedag",
        easter + timedelta(days=39): "Kristi himmelfartsdag",
        easter + timedelta(days=49): "pinsedag",
        easter + timedelta(days=50): "2. pinsedag",
        date(year, 6, 5): "grundlovsdag",
        date(year, 12, 24): "juleaftensdag",
        date(year, 12, 25): "1. juledag",
        date(year, 12, 26): "2. juledag",
        date(year, 12, 31): "nytårsaftensdag",
    }
    if year < 2024:
        days[easter + timedelta(days=26)] = "store bededag"
    return days


def holiday_name(day: date) -> str | None:
    """The Danish name of the holiday on ``day``, or None on an ordinary day."""
    return danish_holidays(day.year).get(day)
