"""Municipality profiles: names, contact details, offices and opening hours.

One YAML file per municipality lives in ``content/municipalities/<id>.yml``.
``_generic.yml`` is the profile used when a conversation names no known
municipality: its answers point the citizen to their own municipality instead
of giving another municipality's phone number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from muni_core.danish.calendar import WEEKDAY_NAMES
from muni_core.danish.grammar import genitive

GENERIC_ID = "_generic"
WEEKDAY_KEYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
OFFICE_KEYS = ("borgerservice", "jobcenter", "raadhus")
_ID_PATTERN = re.compile(r"^[a-z0-9_-]{1,64}$")
_HOURS_PATTERN = re.compile(r"^(\d{1,2})[:.](\d{2})\s*-\s*(\d{1,2})[:.](\d{2})$")


class MunicipalityConfigError(ValueError):
    """A municipality file is missing a field or has a malformed value."""


@dataclass(frozen=True)
class OpeningInterval:
    """One opening interval on a weekday, e.g. 10:00-15:00."""

    opens: time
    closes: time


@dataclass(frozen=True)
class Office:
    """A place citizens can visit or call: citizen service, jobcentre, town hall."""

    key: str
    name: str
    address: str
    phone: str
    email: str
    hours: dict[int, list[OpeningInterval]]
    note: str = ""

    def intervals_on(self, weekday: int) -> list[OpeningInterval]:
        """Opening intervals on a weekday (0 = Monday); empty when closed."""
        return self.hours.get(weekday, [])


BOOKABLE_SERVICES = ("jobcenter", "laege")


@dataclass(frozen=True)
class BookableService:
    """A calendar citizens can book meetings in: the jobcentre or a doctor's practice."""

    key: str
    name: str
    address: str
    phone: str
    slot_minutes: int
    capacity: int
    hours: dict[int, list[OpeningInterval]]
    closed_days: frozenset[date] = frozenset()


@dataclass(frozen=True)
class Municipality:
    """Everything the assistant says about one municipality."""

    id: str
    name: str
    full_name: str
    website: str
    phone: str
    email: str
    offices: dict[str, Office]
    closed_days: frozenset[date] = frozenset()
    closed_on_public_holidays: bool = True
    dialled_numbers: tuple[str, ...] = ()
    faq_overrides: dict[str, str] = field(default_factory=dict)
    message_overrides: dict[str, str] = field(default_factory=dict)
    booking: dict[str, BookableService] = field(default_factory=dict)

    @property
    def is_generic(self) -> bool:
        """True for the fallback profile used when no municipality is known."""
        return self.id == GENERIC_ID

    def office(self, key: str | None) -> Office:
        """The office for ``key``, falling back to citizen service."""
        if key and key in self.offices:
            return self.offices[key]
        return self.offices.get("borgerservice") or next(iter(self.offices.values()))

    def placeholders(self) -> dict[str, str]:
        """Values for the placeholders allowed in answer texts."""
        citizen = self.office("borgerservice")
        jobcentre = self.office("jobcenter")
        return {
            "municipality_name": self.name,
            "municipality_name_genitive": genitive(self.name),  # "Aarhus'", "Frederikshavns"
            "municipality_full_name": self.full_name,
            "phone": self.phone,
            "email": self.email,
            "website": self.website,
            "citizen_service_address": citizen.address,
            "jobcentre_phone": jobcentre.phone,
            "jobcentre_address": jobcentre.address,
        }


def _parse_interval(text: str, where: str) -> OpeningInterval:
    match = _HOURS_PATTERN.match(text.strip())
    if not match:
        raise MunicipalityConfigError(f"{where}: '{text}' er ikke på formen 10:00-15:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        opens, closes = time(h1, m1), time(h2, m2)
    except ValueError as error:
        raise MunicipalityConfigError(f"{where}: '{text}' er ikke et gyldigt klokkeslæt") from error
    if closes <= opens:
        raise MunicipalityConfigError(f"{where}: lukketid skal ligge efter åbningstid ('{text}')")
    return OpeningInterval(opens, closes)


def _parse_hours(raw: Any, where: str) -> dict[int, list[OpeningInterval]]:
    hours: dict[int, list[OpeningInterval]] = {}
    if raw is None:
        return hours
    if not isinstance(raw, dict):
        raise MunicipalityConfigError(f"{where}: opening_hours skal være en liste over ugedage")
    for key, value in raw.items():
        if key not in WEEKDAY_KEYS:
            raise MunicipalityConfigError(f"{where}: ukendt ugedag '{key}'")
        if value in (None, "closed", "lukket", False):
            continue
        parts = value if isinstance(value, list) else str(value).split(",")
        intervals = [_parse_interval(str(part), f"{where}.{key}") for part in parts]
        hours[WEEKDAY_KEYS.index(key)] = sorted(intervals, key=lambda i: i.opens)
    return hours


def _require(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str | int) or not str(value).strip():
        raise MunicipalityConfigError(f"{where}: feltet '{key}' mangler")
    return str(value).strip()


def parse_municipality(raw: dict[str, Any], source: str) -> Municipality:
    """Validate one municipality document and build a :class:`Municipality`."""
    if not isinstance(raw, dict):
        raise MunicipalityConfigError(f"{source}: filen skal indeholde et YAML-objekt")
    municipality_id = _require(raw, "id", source)
    if not _ID_PATTERN.match(municipality_id):
        raise MunicipalityConfigError(f"{source}: id '{municipality_id}' må kun have a-z, 0-9, - og _")
    offices_raw = raw.get("offices") or {}
    if not isinstance(offices_raw, dict) or "borgerservice" not in offices_raw:
        raise MunicipalityConfigError(f"{source}: 'offices' skal mindst have 'borgerservice'")
    offices = {}
    for key, office_raw in offices_raw.items():
        where = f"{source}: offices.{key}"
        if key not in OFFICE_KEYS:
            raise MunicipalityConfigError(f"{where}: ukendt kontor (brug {', '.join(OFFICE_KEYS)})")
        offices[key] = Office(
            key=key,
            name=_require(office_raw, "name", where),
            address=_require(office_raw, "address", where),
            phone=str(office_raw.get("phone") or raw.get("phone") or ""),
            email=str(office_raw.get("email") or raw.get("email") or ""),
            hours=_parse_hours(office_raw.get("opening_hours"), where),
            note=str(office_raw.get("note") or ""),
        )
    closed_days = _parse_days(raw.get("closed_days"), f"{source}: closed_days")
    booking = _parse_booking(raw.get("booking") or {}, offices, str(raw.get("phone") or ""), source)
    overrides = raw.get("faq_overrides") or {}
    message_overrides = raw.get("message_overrides") or {}
    if not isinstance(overrides, dict) or not isinstance(message_overrides, dict):
        raise MunicipalityConfigError(f"{source}: faq_overrides og message_overrides skal være nøgle: tekst")
    name = _require(raw, "name", source)
    return Municipality(
        id=municipality_id,
        name=name,
        full_name=str(raw.get("full_name") or f"{name} Kommune"),
        website=_require(raw, "website", source),
        phone=_require(raw, "phone", source),
        email=_require(raw, "email", source),
        offices=offices,
        closed_days=frozenset(closed_days),
        closed_on_public_holidays=bool(raw.get("closed_on_public_holidays", True)),
        dialled_numbers=tuple(str(n) for n in raw.get("dialled_numbers") or ()),
        faq_overrides={str(k): str(v).strip() for k, v in overrides.items()},
        message_overrides={str(k): str(v).strip() for k, v in message_overrides.items()},
        booking=booking,
    )


def _parse_days(values: Any, where: str) -> frozenset[date]:
    days = set()
    for value in values or []:
        try:
            days.add(value if isinstance(value, date) else date.fromisoformat(str(value)))
        except ValueError as error:
            raise MunicipalityConfigError(f"{where}: '{value}' er ikke en dato") from error
    return frozenset(days)


def _positive_int(raw: dict[str, Any], key: str, default: int, where: str, maximum: int) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= maximum:
        raise MunicipalityConfigError(f"{where}: {key} skal være et helt tal mellem 1 og {maximum}")
    return value


def _parse_booking(raw: Any, offices: dict[str, Office], default_phone: str, source: str) -> dict[str, BookableService]:
    if not isinstance(raw, dict):
        raise MunicipalityConfigError(f"{source}: booking skal være service: indstillinger")
    services = {}
    for key, service_raw in raw.items():
        where = f"{source}: booking.{key}"
        if key not in BOOKABLE_SERVICES:
            raise MunicipalityConfigError(f"{where}: ukendt service (brug {', '.join(BOOKABLE_SERVICES)})")
        if not isinstance(service_raw, dict):
            raise MunicipalityConfigError(f"{where}: skal være et YAML-objekt")
        office = offices.get(key)
        hours_raw = service_raw.get("opening_hours")
        hours = _parse_hours(hours_raw, where) if hours_raw is not None else (office.hours if office else {})
        if not hours:
            raise MunicipalityConfigError(f"{where}: opening_hours mangler")
        services[key] = BookableService(
            key=key,
            name=str(service_raw.get("name") or (office.name if office else "")).strip()
            or _require(service_raw, "name", where),
            address=str(service_raw.get("address") or (office.address if office else "")).strip()
            or _require(service_raw, "address", where),
            phone=str(service_raw.get("phone") or (office.phone if office else default_phone)),
            slot_minutes=_positive_int(service_raw, "slot_minutes", 30, where, 240),
            capacity=_positive_int(service_raw, "capacity", 1, where, 50),
            hours=hours,
            closed_days=_parse_days(service_raw.get("closed_days"), f"{where}.closed_days"),
        )
    return services


class MunicipalityRegistry:
    """All municipality profiles found in a folder, looked up by id."""

    def __init__(self, folder: Path) -> None:
        """Load and validate every ``*.yml`` profile in ``folder``."""
        self.folder = folder
        self._profiles: dict[str, Municipality] = {}
        for path in sorted(folder.glob("*.yml")):
            with path.open(encoding="utf-8") as handle:
                profile = parse_municipality(yaml.safe_load(handle), path.name)
            if profile.id != path.stem:
                raise MunicipalityConfigError(f"{path.name}: id '{profile.id}' skal svare til filnavnet")
            self._profiles[profile.id] = profile
        if GENERIC_ID not in self._profiles:
            raise MunicipalityConfigError(f"{folder}: {GENERIC_ID}.yml mangler")

    @property
    def ids(self) -> list[str]:
        """Ids of the real municipalities (without the generic profile)."""
        return [key for key in self._profiles if key != GENERIC_ID]

    def get(self, municipality_id: object) -> Municipality | None:
        """The profile with this id, or None (ids are matched case-insensitively)."""
        if not isinstance(municipality_id, str):
            return None
        key = municipality_id.strip().lower()
        if key == GENERIC_ID:
            return None
        return self._profiles.get(key)

    def resolve(self, *candidates: object) -> Municipality:
        """The first known municipality among ``candidates``, else the generic profile."""
        for candidate in candidates:
            profile = self.get(candidate)
            if profile:
                return profile
        return self._profiles[GENERIC_ID]

    def by_dialled_number(self, number: str) -> Municipality | None:
        """The municipality whose phone line was dialled (digits compared)."""
        digits = re.sub(r"\D", "", number)[-8:]
        for profile in self._profiles.values():
            if any(re.sub(r"\D", "", n)[-8:] == digits for n in profile.dialled_numbers):
                return profile
        return None


@lru_cache(maxsize=4)
def load_registry(folder: Path) -> MunicipalityRegistry:
    """Load (once per process) the municipality profiles in ``folder``."""
    return MunicipalityRegistry(folder)


def weekday_name(weekday: int) -> str:
    """Danish name of a weekday (0 = mandag)."""
    return WEEKDAY_NAMES[weekday]
