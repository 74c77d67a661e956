from datetime import date

import pytest

from actions.day_reference import describe_day, find_day

MONDAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("har i åbent i dag", MONDAY),
        ("hvornår lukker i idag", MONDAY),
        ("er der åbent i morgen", date(2026, 12, 1)),
        ("imorgen formiddag", date(2026, 12, 1)),
        ("i overmorgen", date(2026, 12, 2)),
        ("har i åbent på lørdag", date(2026, 12, 5)),
        ("har i åbent i weekenden", date(2026, 12, 5)),
        ("åbent på mandag", date(2026, 12, 7)),  # said on a Monday: next Monday, never today silently
        ("mandag", date(2026, 12, 7)),
        ("har i åbent på tirsdag", date(2026, 12, 1)),
        ("næste mandag", date(2026, 12, 7)),
        ("næste fredag", date(2026, 12, 11)),
        ("hvad med torsdag", date(2026, 12, 3)),
        ("er der åbent den 24/12", date(2026, 12, 24)),
        ("24. december", date(2026, 12, 24)),
        ("2. januar", date(2027, 1, 2)),
        ("1/2-2027", date(2027, 2, 1)),
        ("hvornår kan man komme forbi", None),
        ("åbningstider", None),
        ("31/2", None),
    ],
)
def test_find_day(text: str, expected: date | None) -> None:
    assert find_day(text, MONDAY) == expected


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (MONDAY, "i dag"),
        (date(2026, 12, 1), "i morgen"),
        (date(2026, 12, 4), "på fredag"),
        (date(2026, 12, 8), "tirsdag den 8. december"),
    ],
)
def test_describe_day(day: date, words: str) -> None:
    assert describe_day(day, MONDAY) == words
