from datetime import date

import pytest

from muni_core.danish.calendar import (
    MONTH_ALIASES,
    MONTH_NAMES,
    WEEKDAY_NAMES,
    danish_holidays,
    easter_sunday,
    holiday_name,
    month_number,
)


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),
        (2000, date(2000, 4, 23)),
    ],
)
def test_easter_sunday(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_moveable_holidays_2026() -> None:
    days = danish_holidays(2026)
    assert days[date(2026, 4, 2)] == "skærtorsdag"
    assert days[date(2026, 4, 3)] == "langfredag"
    assert days[date(2026, 4, 6)] == "2. påskedag"
    assert days[date(2026, 5, 14)] == "Kristi himmelfartsdag"
    assert days[date(2026, 5, 25)] == "2. pinsedag"


def test_store_bededag_only_before_2024() -> None:
    assert "store bededag" in danish_holidays(2023).values()
    assert "store bededag" not in danish_holidays(2024).values()


def test_ordinary_day_is_no_holiday() -> None:
    assert holiday_name(date(2026, 11, 30)) is None
    assert holiday_name(date(2026, 12, 24)) == "juleaftensdag"


def test_weekday_names_follow_python_weekdays() -> None:
    assert WEEKDAY_NAMES[date(2026, 11, 30).weekday()] == "mandag"
    assert WEEKDAY_NAMES[date(2026, 12, 6).weekday()] == "søndag"


@pytest.mark.parametrize(
    ("word", "number"),
    [("januar", 1), ("Maj", 5), ("sept", 9), ("sep.", 9), ("december", 12), ("dec", 12), ("ma", None), ("uge", None)],
)
def test_month_number(word: str, number: int | None) -> None:
    assert month_number(word) == number


def test_every_month_alias_names_its_month() -> None:
    assert [month_number(name) for name in MONTH_NAMES] == list(range(1, 13))
    assert all(month_number(alias) for alias in MONTH_ALIASES)
