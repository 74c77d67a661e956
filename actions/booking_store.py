"""Booking storage: the provider interface and its built-in SQL implementation.

No double booking, ever: every booking holds one *seat* of its slot, and the
database's unique constraint on (municipality, service, start, seat) is what
stops two bookings from taking the same seat. A booking tries the seats
1..capacity one INSERT at a time; there is no check-then-insert in Python.
A cancelled booking gives its seat back (seat NULL).

Only what the meeting needs is stored: name, phone, service, time, reference,
channel. Never a CPR number.

Other calendar systems plug in by implementing :class:`BookingProvider`
(see docs/booking.md).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    and_,
    create_engine,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

REFERENCE_DIGITS = 6
MAX_REFERENCE_ATTEMPTS = 20
BOOKED, CANCELLED = "booked", "cancelled"

metadata = MetaData()
bookings = Table(
    "muni_bookings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(REFERENCE_DIGITS), nullable=False, unique=True),
    Column("municipality", String(64), nullable=False),
    Column("service", String(32), nullable=False),
    Column("starts_at", DateTime, nullable=False),  # local wall-clock time, Europe/Copenhagen
    Column("seat", Integer, nullable=True),  # NULL once cancelled
    Column("name", String(120), nullable=False),
    Column("phone", String(16), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("municipality", "service", "starts_at", "seat", name="uq_muni_bookings_seat"),
    CheckConstraint("seat IS NULL OR seat >= 1", name="ck_muni_bookings_seat"),
)
# Failed attempts to find a booking, per client (a hash of its address), kept only for the limit's time window
# (actions/booking_access.py).
lookup_failures = Table(
    "muni_booking_lookup_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client", String(64), nullable=False, index=True),
    Column("failed_at", DateTime, nullable=False),  # local wall-clock time, like the bookings
)


class BookingError(Exception):
    """Base class of booking problems the dialogue explains to the citizen."""


class SlotTaken(BookingError):
    """Every seat of the wished slot is booked."""


class BookingNotFound(BookingError):
    """No active booking with that reference (or phone number)."""


@dataclass(frozen=True)
class Booking:
    """One booked (or cancelled) meeting."""

    reference: str
    municipality: str
    service: str
    starts_at: datetime
    name: str
    phone: str
    channel: str
    status: str

    @property
    def spoken_reference(self) -> str:
        """The reference in pairs of digits, easy to say and hear: '48 29 13'."""
        return " ".join(self.reference[i : i + 2] for i in range(0, len(self.reference), 2))


class BookingProvider(Protocol):
    """What the dialogue needs from a calendar system."""

    def booked_count(self, municipality: str, service: str, start: datetime, end: datetime) -> dict[datetime, int]:
        """Number of active bookings per slot start in [start, end)."""

    def book(
        self, municipality: str, service: str, starts_at: datetime, capacity: int, name: str, phone: str, channel: str
    ) -> Booking:
        """Book a seat of the slot or raise :class:`SlotTaken`."""

    def find(self, municipality: str, *, reference: str | None = None, phone: str | None = None) -> list[Booking]:
        """Active bookings by reference or by phone number, earliest first."""

    def cancel(self, reference: str) -> Booking:
        """Cancel an active booking (its seat becomes free) or raise :class:`BookingNotFound`."""

    def reschedule(self, reference: str, starts_at: datetime, capacity: int) -> Booking:
        """Move an active booking to another slot or raise :class:`SlotTaken` / :class:`BookingNotFound`."""


def normalise_phone(text: str) -> str | None:
    """A Danish phone number as 8 digits ('+45 20 30 40 50' -> '20304050'), or None."""
    digits = re.sub(r"\D", "", text)
    if len(digits) == 10 and digits.startswith("45"):
        digits = digits[2:]
    if len(digits) == 12 and digits.startswith("0045"):
        digits = digits[4:]
    return digits if len(digits) == 8 else None


def normalise_reference(text: str) -> str | None:
    """The 6-digit reference in what a citizen typed or said ('48 29 13'), or None."""
    digits = re.sub(r"\D", "", text)
    return digits if len(digits) == REFERENCE_DIGITS else None


def new_reference() -> str:
    """A random 6-digit reference (digits only: easy to say, hear and type on a phone keypad)."""
    return "".join(secrets.choice("0123456789") for _ in range(REFERENCE_DIGITS))


def _row_to_booking(row: object) -> Booking:
    return Booking(
        reference=row.reference,
        municipality=row.municipality,
        service=row.service,
        starts_at=row.starts_at,
        name=row.name,
        phone=row.phone,
        channel=row.channel,
        status=row.status,
    )


class SqlBookingProvider:
    """Bookings in a SQL database: SQLite file by default, PostgreSQL by URL."""

    def __init__(self, url: str, *, create: bool = True, engine: Engine | None = None) -> None:
        """Connect (and create the table if missing) for a SQLAlchemy URL."""
        if engine is None:
            options: dict = {"future": True, "pool_pre_ping": True}
            if url.startswith("sqlite"):
                options["connect_args"] = {"timeout": 30, "check_same_thread": False}
            else:
                options["pool_size"] = 10
                options["max_overflow"] = 20
            engine = create_engine(url, **options)
        self.engine = engine
        if create:
            metadata.create_all(self.engine)

    def booked_count(self, municipality: str, service: str, start: datetime, end: datetime) -> dict[datetime, int]:
        """Number of active bookings per slot start in [start, end)."""
        query = select(bookings.c.starts_at).where(
            and_(
                bookings.c.municipality == municipality,
                bookings.c.service == service,
                bookings.c.status == BOOKED,
                bookings.c.starts_at >= start.replace(tzinfo=None),
                bookings.c.starts_at < end.replace(tzinfo=None),
            )
        )
        counts: dict[datetime, int] = {}
        with self.engine.connect() as connection:
            for (starts_at,) in connection.execute(query):
                counts[starts_at] = counts.get(starts_at, 0) + 1
        return counts

    def book(
        self, municipality: str, service: str, starts_at: datetime, capacity: int, name: str, phone: str, channel: str
    ) -> Booking:
        """Take the first free seat of the slot, letting the unique constraint decide."""
        row = {
            "municipality": municipality,
            "service": service,
            "starts_at": starts_at.replace(tzinfo=None, second=0, microsecond=0),
            "name": name.strip()[:120],
            "phone": phone,
            "channel": channel[:32],
            "status": BOOKED,
            "created_at": datetime.now(),
        }
        for seat in range(1, capacity + 1):
            for _ in range(MAX_REFERENCE_ATTEMPTS):
                reference = new_reference()
                try:
                    with self.engine.begin() as connection:
                        connection.execute(insert(bookings).values(**row, seat=seat, reference=reference))
                    return Booking(
                        reference=reference, municipality=municipality, service=service,
                        starts_at=row["starts_at"], name=row["name"], phone=phone, channel=row["channel"],
                        status=BOOKED,
                    )  # fmt: skip
                except IntegrityError:
                    if not self._reference_exists(reference):
                        break  # the seat is taken: try the next one
        raise SlotTaken(f"{service} {starts_at:%Y-%m-%d %H:%M} er optaget")

    def _reference_exists(self, reference: str) -> bool:
        with self.engine.connect() as connection:
            return (
                connection.execute(select(bookings.c.id).where(bookings.c.reference == reference)).first() is not None
            )

    def find(self, municipality: str, *, reference: str | None = None, phone: str | None = None) -> list[Booking]:
        """Active bookings by reference or phone number, earliest first."""
        if not reference and not phone:
            return []
        condition = bookings.c.reference == reference if reference else bookings.c.phone == phone
        query = (
            select(bookings)
            .where(and_(condition, bookings.c.municipality == municipality, bookings.c.status == BOOKED))
            .order_by(bookings.c.starts_at)
        )
        with self.engine.connect() as connection:
            return [_row_to_booking(row) for row in connection.execute(query)]

    def _active(self, reference: str) -> Booking:
        query = select(bookings).where(and_(bookings.c.reference == reference, bookings.c.status == BOOKED))
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            raise BookingNotFound(reference)
        return _row_to_booking(row)

    def cancel(self, reference: str) -> Booking:
        """Cancel the booking and free its seat."""
        statement = (
            update(bookings)
            .where(and_(bookings.c.reference == reference, bookings.c.status == BOOKED))
            .values(status=CANCELLED, seat=None)
        )
        booking = self._active(reference)
        with self.engine.begin() as connection:
            if connection.execute(statement).rowcount != 1:
                raise BookingNotFound(reference)
        return replace(booking, status=CANCELLED)

    def reschedule(self, reference: str, starts_at: datetime, capacity: int) -> Booking:
        """Move the booking to a seat of another slot; the old seat is freed in the same statement."""
        booking = self._active(reference)
        new_start = starts_at.replace(tzinfo=None, second=0, microsecond=0)
        for seat in range(1, capacity + 1):
            statement = (
                update(bookings)
                .where(and_(bookings.c.reference == reference, bookings.c.status == BOOKED))
                .values(starts_at=new_start, seat=seat)
            )
            try:
                with self.engine.begin() as connection:
                    if connection.execute(statement).rowcount != 1:
                        raise BookingNotFound(reference)
                return replace(booking, starts_at=new_start)
            except IntegrityError:
                continue
        raise SlotTaken(f"{booking.service} {new_start:%Y-%m-%d %H:%M} er optaget")

    def record_failed_lookup(self, client: str, at: datetime, *, forget_before: datetime) -> None:
        """Count one failed lookup of ``client`` and forget those older than the window."""
        with self.engine.begin() as connection:
            connection.execute(delete(lookup_failures).where(lookup_failures.c.failed_at < forget_before))
            connection.execute(insert(lookup_failures).values(client=client[:64], failed_at=at))

    def failed_lookups(self, client: str, since: datetime) -> int:
        """Failed lookups of ``client`` since ``since``."""
        query = select(func.count()).where(
            and_(lookup_failures.c.client == client, lookup_failures.c.failed_at >= since)
        )
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def healthy(self) -> bool:
        """True when the database answers."""
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
            return True
        except OperationalError:
            return False
