from datetime import date, datetime

import pytest

from actions.opening_hours import describe_day_hours, describe_today, format_clock, weekly_summary
from actions.settings import TIMEZONE
from muni_core.municipalities import load_registry
from muni_core.paths import REPO_ROOT

REGISTRY = load_registry(REPO_ROOT / "content" / "municipalities")
FREDERIKSHAVN = REGISTRY.get("frederikshavn")
AARHUS = REGISTRY.get("aarhus")


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=TIMEZONE)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Monday 30 November 2026
        ("2026-11-30T08:15", "Borgerservice åbner i dag kl. 10 og har åbent til kl. 15."),
        ("2026-11-30T12:00", "Borgerservice har åbent i dag til kl. 15."),
        ("2026-11-30T15:00", "Borgerservice har lukket for i dag. Der er åbent igen i morgen fra kl. 10 til kl. 15."),
        ("2026-12-03T16:59", "Borgerservice har åbent i dag til kl. 17."),
        ("2026-12-04T13:30", "Borgerservice har lukket for i dag. Der er åbent igen på mandag fra kl. 10 til kl. 15."),
        ("2026-12-05T11:00", "Borgerservice har lukket i dag. Der er åbent igen på mandag fra kl. 10 til kl. 15."),
        # 23 December is an extra closed day in Frederikshavn, then Christmas
        ("2026-12-23T11:00", "Borgerservice har lukket i dag. Der er åbent igen på mandag fra kl. 10 til kl. 15."),
        (
            "2026-12-24T09:00",
            "Borgerservice har lukket i dag (juleaftensdag). Der er åbent igen på mandag fra kl. 10 til kl. 15.",
        ),
        # Good Friday 2027 (26 March), Easter Monday 29 March
        (
            "2027-03-26T10:30",
            "Borgerservice har lukket i dag (langfredag). Der er åbent igen på tirsdag fra kl. 10 til kl. 15.",
        ),
    ],
)
def test_today_in_frederikshavn(now: str, expected: str) -> None:
    office = FREDERIKSHAVN.office("borgerservice")
    assert describe_today(FREDERIKSHAVN, office, at(now)) == expected


def test_lunch_break_in_aarhus() -> None:
    office = AARHUS.office("borgerservice")
    text = describe_today(AARHUS, office, at("2026-12-03T12:30"))
    assert text == "Borgerservice Aarhus holder lukket lige nu og åbner igen i dag kl. 13 og har åbent til kl. 18."


def test_asking_about_tomorrow_and_saturday() -> None:
    office = FREDERIKSHAVN.office("borgerservice")
    now = at("2026-12-02T09:00")
    assert describe_day_hours(FREDERIKSHAVN, office, date(2026, 12, 3), now) == (
        "I morgen har Borgerservice åbent fra kl. 10 til kl. 17."
    )
    assert describe_day_hours(FREDERIKSHAVN, office, date(2026, 12, 5), now) == (
        "Borgerservice har lukket på lørdag. Der er åbent igen på mandag fra kl. 10 til kl. 15."
    )


def test_asking_about_a_past_day_answers_for_today() -> None:
    office = FREDERIKSHAVN.office("borgerservice")
    text = describe_day_hours(FREDERIKSHAVN, office, date(2026, 11, 1), at("2026-11-30T12:00"))
    assert text.startswith("Den dag er gået. Borgerservice har åbent i dag til kl. 15.")


def test_jobcentre_has_its_own_hours() -> None:
    office = FREDERIKSHAVN.office("jobcenter")
    assert describe_today(FREDERIKSHAVN, office, at("2026-12-03T16:00")) == (
        "Jobcenter Frederikshavn har åbent i dag til kl. 16.30."
    )


def test_weekly_summary_groups_equal_days() -> None:
    assert weekly_summary(FREDERIKSHAVN.office("borgerservice")) == (
        "Almindelige åbningstider: mandag til onsdag kl. 10-15, torsdag kl. 10-17 og fredag kl. 10-13."
    )
    assert weekly_summary(AARHUS.office("borgerservice")) == (
        "Almindelige åbningstider: mandag til onsdag kl. 10-17, torsdag kl. 10-12 og 13-18, "
        "fredag kl. 10-15 og lørdag kl. 10-13."
    )


def test_clock_format() -> None:
    from datetime import time

    assert format_clock(time(15, 0)) == "kl. 15"
    assert format_clock(time(9, 30)) == "kl. 9.30"
