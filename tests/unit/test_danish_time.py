"""Table of Danish date and time expressions, with fixed "now" dates."""

from datetime import date, datetime, time

import pytest

from actions.danish_time import parse_when
from actions.settings import TIMEZONE

# Wednesday 2 December 2026, 08:30
NOW = datetime(2026, 12, 2, 8, 30, tzinfo=TIMEZONE)
WED, THU, FRI = date(2026, 12, 2), date(2026, 12, 3), date(2026, 12, 4)
NEXT_MON, NEXT_THU = date(2026, 12, 7), date(2026, 12, 10)

CASES = [
    # text, day, clock, extra expectations
    ("i dag", WED, None, {}),
    ("idag kl 14", WED, time(14), {}),
    ("i morgen", THU, None, {}),
    ("imorgen", THU, None, {}),
    ("i overmorgen", FRI, None, {}),
    ("på torsdag", THU, None, {}),
    ("torsdag", THU, None, {}),
    ("paa fredag", FRI, None, {}),
    ("på onsdag", date(2026, 12, 9), None, {}),  # said on a Wednesday: next Wednesday, never today
    ("onsdag kl 10", date(2026, 12, 9), time(10), {}),
    ("på torsdag", date(2026, 12, 3), None, {}),
    ("i dag kl 10", WED, time(10), {}),
    ("mandag", NEXT_MON, None, {}),
    ("torsdag i næste uge", NEXT_THU, None, {}),
    ("på torsdag i næste uge", NEXT_THU, None, {}),
    ("næste torsdag", NEXT_THU, None, {}),
    ("næste uge", None, None, {"earliest": NEXT_MON}),
    ("engang i næste uge", None, None, {"earliest": NEXT_MON}),
    ("den 14.", date(2026, 12, 14), None, {}),
    ("d. 14", date(2026, 12, 14), None, {}),
    ("den 1.", date(2027, 1, 1), None, {}),
    ("den fjortende", date(2026, 12, 14), None, {}),
    ("den enogtyvende", date(2026, 12, 21), None, {}),
    ("14. december", date(2026, 12, 14), None, {}),
    ("14 december", date(2026, 12, 14), None, {}),
    ("den 14. dec", date(2026, 12, 14), None, {}),
    ("fjortende december", date(2026, 12, 14), None, {}),
    ("14/12", date(2026, 12, 14), None, {}),
    ("14-12", date(2026, 12, 14), None, {}),
    ("14.12.2026", date(2026, 12, 14), None, {}),
    ("2027-01-05", date(2027, 1, 5), None, {}),
    ("5. januar", date(2027, 1, 5), None, {}),
    ("3. marts klokken 9", date(2027, 3, 3), time(9), {}),
    ("klokken 10", None, time(10), {}),
    ("kl. 10", None, time(10), {}),
    ("kl 10", None, time(10), {}),
    ("kl. 10.30", None, time(10, 30), {}),
    ("10:30", None, time(10, 30), {}),
    ("klokken ti", None, time(10), {}),
    ("klokken elleve tredive", None, time(11, 30), {}),
    ("halv elleve", None, time(10, 30), {}),
    ("halv to", None, time(13, 30), {}),
    ("kvart over ni", None, time(9, 15), {}),
    ("kvart i tolv", None, time(11, 45), {}),
    ("fem over ti", None, time(10, 5), {}),
    ("ti i elleve", None, time(10, 50), {}),
    ("tyve over ni", None, time(9, 20), {}),
    ("klokken to", None, time(14), {}),
    ("kl 2 om eftermiddagen", None, time(14), {}),
    ("ved 10-tiden", None, time(10), {"approximate": True}),
    ("ved ti tiden", None, time(10), {"approximate": True}),
    ("omkring klokken 13", None, time(13), {}),
    ("en lægetid på torsdag ved 10-tiden", THU, time(10), {"approximate": True}),
    ("om formiddagen", None, None, {"part_of_day": "formiddag"}),
    ("i morgen formiddag", THU, None, {"part_of_day": "formiddag"}),
    ("fredag om eftermiddagen", FRI, None, {"part_of_day": "eftermiddag"}),
    ("i morgen tidlig", THU, None, {"part_of_day": "morgen"}),
    ("så hurtigt som muligt", None, None, {"asap": True}),
    ("hurtigst muligt tak", None, None, {"asap": True}),
    ("første ledige tid", None, None, {"asap": True}),
    ("31. februar", None, None, {"problem": "impossible_date"}),
    ("30/2", None, None, {"problem": "impossible_date"}),
    ("14/13", None, None, {"problem": "impossible_date"}),
    ("i går", None, None, {"problem": "past"}),
    ("igår klokken 10", None, time(10), {"problem": "past"}),
    ("i dag klokken 8", WED, time(8), {"problem": "past"}),
    ("1/11/2026", None, None, {"problem": "past"}),
    ("torsdag den 3. december kl. 13.15", THU, time(13, 15), {}),
    ("jeg vil gerne komme på torsdag klokken halv elleve", THU, time(10, 30), {}),
    ("hej jeg skal bruge en tid", None, None, {"found": False}),
]


@pytest.mark.parametrize(("text", "day", "clock", "extra"), CASES, ids=[c[0] for c in CASES])
def test_expression(text: str, day: date | None, clock: time | None, extra: dict) -> None:
    when = parse_when(text, NOW)
    assert when.day == day
    assert when.clock == clock
    for key, value in extra.items():
        assert getattr(when, key) == value, key
    if "problem" not in extra:
        assert when.problem is None


def test_at_least_fifty_expressions() -> None:
    assert len(CASES) >= 50


def test_late_in_the_month_den_14_means_next_month() -> None:
    assert parse_when("den 14.", datetime(2026, 11, 28, 10, tzinfo=TIMEZONE)).day == date(2026, 12, 14)


def test_december_to_january() -> None:
    late = datetime(2026, 12, 30, 10, tzinfo=TIMEZONE)
    assert parse_when("i overmorgen", late).day == date(2027, 1, 1)
    assert parse_when("den 4.", late).day == date(2027, 1, 4)
