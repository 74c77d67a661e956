"""Municipality profiles: names, contact details, offices and opening hours.

One YAML file per municipality lives in ``content/municipalities/<id>.yml``.
``_generic.yml`` is the profile used when a conversation names no known
municipality: its answers point the citizen to their own municipality instead
of giving another municipality's phone number.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
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
_POSTCODE_RANGE = re.compile(r"^(\d{4})(?:\s*[-\u2013]\s*(\d{4}))?$")
_POSTCODE_IN_TEXT = re.compile(r"(?<!\d)(\d{4})(?!\d)")
# Words around a municipality's name that say nothing about which one it is.
_FILLER_WORDS = frozenset(
    {"jeg", "bor", "i", "kommune", "kommunen", "det", "er", "min", "mit", "postnummer", "by", "en"}
)
_FUZZY_CUTOFF = 0.8


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
    postcodes: tuple[tuple[int, int], ...] = ()  # inclusive ranges; a single postcode is (code, code)
    aliases: tuple[str, ...] = ()  # other names citizens use: towns of the municipality, old spellings

    def has_postcode(self, code: int) -> bool:
        """True when the 4-digit postcode ``code`` lies in this municipality."""
        return any(low <= code <= high for low, high in self.postcodes)

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
        postcodes=_parse_postcodes(raw.get("postcodes"), f"{source}: postcodes"),
        aliases=tuple(str(alias).strip() for alias in raw.get("aliases") or () if str(alias).strip()),
    )


def _parse_postcodes(values: Any, where: str) -> tuple[tuple[int, int], ...]:
    """Postcodes as ``8000``, ``"8000"`` or a range ``"8000-8270"``."""
    if values is None:
        return ()
    if not isinstance(values, list):
        raise MunicipalityConfigError(f'{where}: skal være en liste, fx [9900, "8000-8270"]')
    ranges = []
    for value in values:
        match = _POSTCODE_RANGE.match(str(value).strip())
        if not match or isinstance(value, bool):
            raise MunicipalityConfigError(f"{where}: '{value}' er ikke et postnummer med fire cifre eller et interval")
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        if high < low:
            raise MunicipalityConfigError(f"{where}: intervallet '{value}' slutter før det begynder")
        ranges.append((low, high))
    return tuple(ranges)


def normalise_name(text: str) -> str:
    """A place name compared without case, accents or spelling variants: 'Århus' and 'AARHUS' both give 'aarhus'."""
    text = text.lower().replace("å", "aa").replace("æ", "ae").replace("ø", "oe")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9 ]+", " ", text).strip()


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

    def by_postcode(self, code: int) -> Municipality | None:
        """The one municipality with this postcode; None when none or several have it."""
        found = [profile for key, profile in self._profiles.items() if key != GENERIC_ID and profile.has_postcode(code)]
        return found[0] if len(found) == 1 else None

    def match(self, text: object) -> Municipality | None:
        """The municipality a citizen named: a 4-digit postcode, or a name, id or alias (case and typos forgiven)."""
        if not isinstance(text, str) or not text.strip():
            return None
        by_code = {profile.id for code in _POSTCODE_IN_TEXT.findall(text) if (profile := self.by_postcode(int(code)))}
        if _POSTCODE_IN_TEXT.search(text) and len(by_code) != 1:
            return None  # a postcode of no municipality here, or of several
        by_name = self._match_name(_POSTCODE_IN_TEXT.sub(" ", text))
        if by_code and by_name and by_name.id not in by_code:
            return None  # "Aarhus eller 9900": two different answers
        return by_name or (self._profiles[by_code.pop()] if by_code else None)

    def _match_name(self, text: str) -> Municipality | None:
        """The one municipality named by a word or a few words of ``text`` (exactly, or with a typo)."""
        words = [word for word in normalise_name(text).split() if word not in _FILLER_WORDS]
        if not words or len(words) > 6:
            return None
        names: dict[str, str] = {}
        for key in self.ids:
            profile = self._profiles[key]
            for name in (key, profile.name, profile.full_name, *profile.aliases):
                names[normalise_name(name).removesuffix(" kommune")] = key
        found = set()
        for size in (1, 2, 3):
            for start in range(len(words) - size + 1):
                said = " ".join(words[start : start + size])
                if said in names:
                    found.add(names[said])
                elif len(said) >= 4:
                    found |= {names[name] for name in difflib.get_close_matches(said, names, n=2, cutoff=_FUZZY_CUTOFF)}
        return self._profiles[found.pop()] if len(found) == 1 else None

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
