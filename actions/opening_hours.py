"""Danish answers about when an office is open, from config and the current time.

The sentences are messages of content/messages.yml (``hours_*``); a municipality can override them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from actions.content import load_content
from actions.day_reference import describe_day
from actions.settings import Settings
from muni_core.danish.calendar import WEEKDAY_NAMES, holiday_name
from muni_core.municipalities import Municipality, Office, OpeningInterval

LOOKAHEAD_DAYS = 21


def _say(key: str, municipality: Municipality | None, **values: str) -> str:
    """Message ``key`` of this installation's content, in the municipality's words when it has its own."""
    return load_content(Settings.from_env().content_dir).message(key, municipality, **values)


def format_clock(moment: time) -> str:
    """Danish clock time: "kl. 15" or "kl. 15.30"."""
    if moment.minute == 0:
        return f"kl. {moment.hour}"
    return f"kl. {moment.hour}.{moment.minute:02d}"


def _short(moment: time) -> str:
    return f"{moment.hour}" if moment.minute == 0 else f"{moment.hour}.{moment.minute:02d}"


def closed_reason(municipality: Municipality, day: date) -> str | None:
    """Why every office is closed on ``day`` (a holiday's name), or None."""
    if day in municipality.closed_days:
        return "lukkedag"
    if municipality.closed_on_public_holidays:
        return holiday_name(day)
    return None


def intervals_on(municipality: Municipality, office: Office, day: date) -> list[OpeningInterval]:
    """Opening intervals of ``office`` on a calendar day (empty when closed)."""
    if closed_reason(municipality, day):
        return []
    return office.intervals_on(day.weekday())


def _span(intervals: list[OpeningInterval]) -> str:
    parts = [f"fra {format_clock(i.opens)} til {format_clock(i.closes)}" for i in intervals]
    return " og ".join(parts)


def next_open_day(municipality: Municipality, office: Office, after: date) -> date | None:
    """The first day after ``after`` on which ``office`` opens (within three weeks)."""
    for offset in range(1, LOOKAHEAD_DAYS + 1):
        day = after + timedelta(days=offset)
        if intervals_on(municipality, office, day):
            return day
    return None


def _reopens(municipality: Municipality, office: Office, after: date, today: date) -> str:
    day = next_open_day(municipality, office, after)
    if day is None:
        return _say("hours_see_website", municipality)
    span = _span(intervals_on(municipality, office, day))
    return _say("hours_reopens", municipality, day=describe_day(day, today), span=span)


def _closed_sentence(municipality: Municipality, office: Office, day: date, today: date) -> str:
    reason = closed_reason(municipality, day)
    when = describe_day(day, today)
    if reason and reason != "lukkedag":
        return _say("hours_closed_holiday", municipality, office_name=office.name, day=when, reason=reason)
    return _say("hours_closed", municipality, office_name=office.name, day=when)


def describe_today(municipality: Municipality, office: Office, now: datetime) -> str:
    """Answer "are you open now / today?" for the current moment."""
    today, clock = now.date(), now.time()
    intervals = intervals_on(municipality, office, today)
    if not intervals:
        return f"{_closed_sentence(municipality, office, today, today)} {_reopens(municipality, office, today, today)}"
    for interval in intervals:
        opens, closes = format_clock(interval.opens), format_clock(interval.closes)
        if clock < interval.opens:
            key = "hours_opens_today" if interval is intervals[0] else "hours_opens_again_today"
            return _say(key, municipality, office_name=office.name, opens=opens, closes=closes)
        if clock < interval.closes:
            return _say("hours_open_now", municipality, office_name=office.name, closes=closes)
    closed = _say("hours_closed_for_today", municipality, office_name=office.name)
    return f"{closed} {_reopens(municipality, office, today, today)}"


def describe_day_hours(municipality: Municipality, office: Office, day: date, now: datetime) -> str:
    """Answer "are you open on <day>?" for a day other than today."""
    today = now.date()
    if day == today:
        return describe_today(municipality, office, now)
    if day < today:
        return f"{_say('hours_day_past', municipality)} {describe_today(municipality, office, now)}"
    intervals = intervals_on(municipality, office, day)
    if not intervals:
        return f"{_closed_sentence(municipality, office, day, today)} {_reopens(municipality, office, day, today)}"
    text = _say(
        "hours_on_day", municipality, day=describe_day(day, today), office_name=office.name, span=_span(intervals)
    )
    return text[0].upper() + text[1:]


def weekly_summary(office: Office, municipality: Municipality | None = None) -> str:
    """The ordinary week in one sentence: "mandag til onsdag kl. 10-15, torsdag kl. 10-17".

    In the municipality's words when given (its message overrides), else in the common ones.
    """
    groups: list[tuple[int, int, str]] = []
    for weekday in range(7):
        intervals = office.intervals_on(weekday)
        text = " og ".join(f"{_short(i.opens)}-{_short(i.closes)}" for i in intervals) if intervals else ""
        if groups and groups[-1][2] == text and groups[-1][1] == weekday - 1:
            groups[-1] = (groups[-1][0], weekday, text)
        else:
            groups.append((weekday, weekday, text))
    parts = []
    for first, last, text in groups:
        if not text:
            continue
        days = WEEKDAY_NAMES[first] if first == last else f"{WEEKDAY_NAMES[first]} til {WEEKDAY_NAMES[last]}"
        parts.append(f"{days} kl. {text}")
    if not parts:
        return _say("hours_no_regular", municipality, office_name=office.name)
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " og " + parts[-1]
    return _say("hours_regular", municipality, week=listed)
