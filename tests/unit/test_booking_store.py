"""The SQL booking provider on SQLite and on the machine's real PostgreSQL."""

from __future__ import annotations

import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, inspect, text

from actions import booking_store
from actions.booking_calendar import ServiceCalendar
from actions.booking_store import BookingNotFound, SlotTaken, SqlBookingProvider, normalise_phone, normalise_reference
from actions.settings import TIMEZONE
from muni_core.municipalities import MunicipalityRegistry
from muni_core.paths import REPO_ROOT

PG_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
SLOT = datetime(2026, 12, 3, 10, 0, tzinfo=TIMEZONE)
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=TIMEZONE)
FREDERIKSHAVN = MunicipalityRegistry(REPO_ROOT / "content" / "municipalities").get("frederikshavn")


def sqlite_provider(tmp_path) -> SqlBookingProvider:
    return SqlBookingProvider(f"sqlite:///{tmp_path / 'bookings.db'}")


@pytest.fixture
def pg_provider():
    """A provider in a fresh PostgreSQL schema, dropped afterwards."""
    schema = f"muni_test_{secrets.token_hex(4)}"
    admin = create_engine(PG_URL, future=True)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_engine(
        PG_URL, future=True, pool_size=25, max_overflow=30, connect_args={"options": f"-csearch_path={schema}"}
    )
    try:
        yield SqlBookingProvider(PG_URL, engine=engine)
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def provider(request, tmp_path):
    if request.param == "sqlite":
        return sqlite_provider(tmp_path)
    return request.getfixturevalue("pg_provider")


def book(provider, start=SLOT, capacity=2, phone="20304050", name="Mette Hansen"):
    return provider.book("frederikshavn", "jobcenter", start, capacity, name, phone, "web")


def test_book_and_find_by_reference_and_phone(provider) -> None:
    booking = book(provider)
    assert len(booking.reference) == 6 and booking.reference.isdigit()
    assert booking.spoken_reference.count(" ") == 2
    [found] = provider.find("frederikshavn", reference=booking.reference)
    assert found.starts_at == SLOT.replace(tzinfo=None)
    assert found.name == "Mette Hansen" and found.channel == "web"
    assert provider.find("frederikshavn", phone="20304050") == [found]
    assert provider.find("aarhus", reference=booking.reference) == []
    assert provider.find("frederikshavn") == []


def test_capacity_is_never_exceeded(provider) -> None:
    book(provider, phone="11111111")
    book(provider, phone="22222222")
    with pytest.raises(SlotTaken):
        book(provider, phone="33333333")
    assert provider.booked_count("frederikshavn", "jobcenter", SLOT, SLOT + timedelta(hours=1)) == {
        SLOT.replace(tzinfo=None): 2
    }


def test_cancel_frees_the_seat(provider) -> None:
    first = book(provider, capacity=1)
    cancelled = provider.cancel(first.reference)
    assert cancelled.status == "cancelled"
    assert provider.find("frederikshavn", reference=first.reference) == []
    book(provider, capacity=1, phone="99999999")
    with pytest.raises(BookingNotFound):
        provider.cancel(first.reference)


def test_reschedule_moves_or_refuses_without_losing_the_booking(provider) -> None:
    later = SLOT + timedelta(hours=1)
    mine = book(provider, capacity=1)
    book(provider, start=later, capacity=1, phone="12121212")
    with pytest.raises(SlotTaken):
        provider.reschedule(mine.reference, later, 1)
    assert provider.find("frederikshavn", reference=mine.reference)[0].starts_at == SLOT.replace(tzinfo=None)
    moved = provider.reschedule(mine.reference, SLOT + timedelta(hours=2), 1)
    assert moved.starts_at == (SLOT + timedelta(hours=2)).replace(tzinfo=None)
    book(provider, capacity=1, phone="34343434")  # the old slot is free again
    with pytest.raises(BookingNotFound):
        provider.reschedule("000000", later, 1)


def test_reference_collision_is_retried(provider, monkeypatch) -> None:
    references = iter(["123456", "123456", "654321"])
    monkeypatch.setattr(booking_store, "new_reference", lambda: next(references))
    first = book(provider, start=SLOT)
    second = book(provider, start=SLOT + timedelta(hours=1))
    assert (first.reference, second.reference) == ("123456", "654321")


def test_only_what_the_meeting_needs_is_stored(tmp_path) -> None:
    provider = sqlite_provider(tmp_path)
    columns = {c["name"] for c in inspect(provider.engine).get_columns("muni_bookings")}
    assert columns == {
        "id", "reference", "municipality", "service", "starts_at", "seat", "name", "phone", "channel", "status",
        "created_at",
    }  # fmt: skip
    assert not any("cpr" in c for c in columns)


def test_fifty_concurrent_bookings_of_one_slot_on_postgresql(pg_provider) -> None:
    capacity = 3
    calendar = ServiceCalendar(FREDERIKSHAVN, FREDERIKSHAVN.booking["jobcenter"])
    barrier = threading.Barrier(50)

    def attempt(index: int) -> tuple[str, list[datetime]]:
        barrier.wait()
        try:
            pg_provider.book("frederikshavn", "jobcenter", SLOT, capacity, f"Borger {index}", f"{index:08d}", "phone")
            return "booked", []
        except SlotTaken:
            return "taken", calendar.nearest_free(pg_provider, NOW, wished=SLOT)

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(attempt, range(50)))
    booked = [r for r in results if r[0] == "booked"]
    taken = [r for r in results if r[0] == "taken"]
    assert len(booked) == capacity
    assert len(taken) == 50 - capacity
    for _, alternatives in taken:
        assert 1 <= len(alternatives) <= 3
        assert SLOT not in alternatives
    with pg_provider.engine.connect() as connection:
        seats = connection.execute(text("SELECT seat FROM muni_bookings ORDER BY seat")).scalars().all()
    assert seats == [1, 2, 3]


def test_concurrent_bookings_on_sqlite(tmp_path) -> None:
    provider = sqlite_provider(tmp_path)
    barrier = threading.Barrier(10)

    def attempt(index: int) -> bool:
        barrier.wait()
        try:
            provider.book("frederikshavn", "laege", SLOT, 1, "Borger", f"{index:08d}", "web")
            return True
        except SlotTaken:
            return False

    with ThreadPoolExecutor(max_workers=10) as pool:
        assert sum(pool.map(attempt, range(10))) == 1


def test_failed_lookups_are_counted_per_client_within_the_window(provider) -> None:
    for minutes in (0, 10, 50):
        provider.record_failed_lookup("client-a", NOW.replace(tzinfo=None) + timedelta(minutes=minutes),
                                      forget_before=NOW.replace(tzinfo=None) - timedelta(hours=1))  # fmt: skip
    provider.record_failed_lookup("client-b", NOW.replace(tzinfo=None), forget_before=NOW.replace(tzinfo=None))
    assert provider.failed_lookups("client-a", NOW.replace(tzinfo=None)) == 3
    assert provider.failed_lookups("client-a", NOW.replace(tzinfo=None) + timedelta(minutes=5)) == 2
    assert provider.failed_lookups("client-c", NOW.replace(tzinfo=None)) == 0
    later = NOW.replace(tzinfo=None) + timedelta(hours=2)
    provider.record_failed_lookup("client-b", later, forget_before=later - timedelta(hours=1))
    with provider.engine.connect() as connection:  # rows older than the window are deleted, not only ignored
        kept = connection.execute(text("SELECT client FROM muni_booking_lookup_failures")).scalars().all()
    assert kept == ["client-b"]


@pytest.mark.parametrize(
    ("raw", "phone"),
    [("20304050", "20304050"), ("20 30 40 50", "20304050"), ("+45 20 30 40 50", "20304050"),
     ("0045 20304050", "20304050"), ("tyve tredive", None), ("1234", None), ("203040501", None)],
)  # fmt: skip
def test_normalise_phone(raw: str, phone: str | None) -> None:
    assert normalise_phone(raw) == phone


@pytest.mark.parametrize(("raw", "reference"), [("48 29 13", "482913"), ("482913", "482913"), ("4829", None)])
def test_normalise_reference(raw: str, reference: str | None) -> None:
    assert normalise_reference(raw) == reference


class RecordingProvider(SqlBookingProvider):
    """A stand-in for a municipality's own calendar system, loaded by MUNI_BOOKING_PROVIDER."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


def test_another_provider_can_be_plugged_in(monkeypatch, tmp_path) -> None:
    from actions import context

    url = f"sqlite:///{tmp_path / 'plugged.db'}"
    monkeypatch.setenv("MUNI_BOOKING_PROVIDER", f"{__name__}:RecordingProvider")
    monkeypatch.setenv("MUNI_BOOKING_DB_URL", url)
    provider = context.booking_provider()
    assert type(provider).__name__ == "RecordingProvider" and provider.url == url
