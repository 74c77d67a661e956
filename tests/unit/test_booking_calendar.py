from datetime import date, datetime, time, timedelta

import pytest

from actions.booking_calendar import ServiceCalendar, speak_choices
from actions.booking_store import SqlBookingProvider
from actions.settings import TIMEZONE
from muni_core.municipalities import MunicipalityConfigError, MunicipalityRegistry, parse_municipality
from muni_core.paths import REPO_ROOT

REGISTRY = MunicipalityRegistry(REPO_ROOT / "content" / "municipalities")
FREDERIKSHAVN = REGISTRY.get("frederikshavn")
DOCTOR = ServiceCalendar(FREDERIKSHAVN, FREDERIKSHAVN.booking["laege"])
JOBCENTRE = ServiceCalendar(FREDERIKSHAVN, FREDERIKSHAVN.booking["jobcenter"])
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=TIMEZONE)  # Tuesday


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TIMEZONE)


def test_slots_follow_hours_length_and_lunch() -> None:
    slots = DOCTOR.slots_on(date(2026, 12, 3))
    assert slots[0] == at(3, 8) and slots[1] == at(3, 8, 15)
    assert at(3, 11, 30) not in slots and at(3, 12, 30) in slots
    assert slots[-1] == at(3, 16, 45)
    assert JOBCENTRE.slots_on(date(2026, 12, 4)) == [at(4, 9), at(4, 9, 30), at(4, 10), at(4, 10, 30), at(4, 11)]


@pytest.mark.parametrize(
    ("start", "problem"),
    [
        (at(1, 8, 30), "past"),
        (at(1, 9, 30), "too_soon"),
        (at(5, 10), "closed"),  # Saturday
        (at(24, 10), "closed"),  # juleaftensdag
        (at(28, 10), "closed"),  # the practice's own closed day
        (at(3, 18), "outside_hours"),
        (at(3, 10, 10), "off_grid"),  # inside the hours, between two 15-minute slots
        (at(3, 16, 50), "off_grid"),  # after the last slot start (16:45), before closing
        (at(3, 17, 0), "outside_hours"),  # closing time
        (at(3, 11, 45), "outside_hours"),  # lunch
        (datetime(2027, 6, 1, 10, tzinfo=TIMEZONE), "too_far"),
        (at(3, 10, 15), None),
    ],
)
def test_problem_with(start: datetime, problem: str | None) -> None:
    assert DOCTOR.problem_with(start, NOW) == problem


def test_nearest_free_skips_full_slots_and_keeps_to_the_part_of_day(tmp_path) -> None:
    provider = SqlBookingProvider(f"sqlite:///{tmp_path / 'b.db'}")
    wished = at(3, 10)
    provider.book("frederikshavn", "laege", wished, 1, "A", "11111111", "web")
    choices = DOCTOR.nearest_free(provider, NOW, wished=wished)
    assert choices == [at(3, 9, 45), at(3, 10, 15), at(3, 10, 30)]
    afternoon = DOCTOR.nearest_free(provider, NOW, day=date(2026, 12, 3), window=(time(12), time(17)))
    assert afternoon == [at(3, 12, 30), at(3, 12, 45), at(3, 13)]
    earliest = DOCTOR.nearest_free(provider, NOW)
    assert earliest[0] == NOW + timedelta(hours=1)


def test_spoken_choices() -> None:
    today = date(2026, 12, 1)
    assert speak_choices([at(3, 10, 30), at(3, 13), at(4, 9)], today) == (
        "torsdag kl. 10.30, torsdag kl. 13 eller fredag kl. 9"
    )
    assert speak_choices([at(2, 9), at(14, 10)], today) == "i morgen kl. 9 eller mandag den 14. december kl. 10"


def test_booking_config_errors_are_clear() -> None:
    import yaml

    raw = yaml.safe_load((REPO_ROOT / "content" / "municipalities" / "frederikshavn.yml").read_text(encoding="utf-8"))
    raw["booking"]["tandlaege"] = {"slot_minutes": 10}
    with pytest.raises(MunicipalityConfigError, match="ukendt service"):
        parse_municipality(raw, "f.yml")
    del raw["booking"]["tandlaege"]
    raw["booking"]["laege"]["capacity"] = 0
    with pytest.raises(MunicipalityConfigError, match="capacity skal være et helt tal"):
        parse_municipality(raw, "f.yml")
