"""What every action needs to know about the conversation, resolved once per turn into a :class:`TurnContext`."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from rasa_sdk import Tracker

from actions.booking_calendar import ServiceCalendar
from actions.booking_slots import SERVICE
from actions.booking_store import BookingProvider, SqlBookingProvider
from actions.content import ContentBase, load_content
from actions.settings import Settings
from muni_core.municipalities import Municipality, MunicipalityRegistry, load_registry

MUNICIPALITY_SLOT = "municipality"
METADATA_KEY = "municipality"


def settings() -> Settings:
    """Current settings (cheap: read from the environment)."""
    return Settings.from_env()


def registry(config: Settings | None = None) -> MunicipalityRegistry:
    """The municipality profiles of this installation."""
    return load_registry((config or settings()).content_dir / "municipalities")


def content(config: Settings | None = None) -> ContentBase:
    """The answers and messages of this installation."""
    return load_content((config or settings()).content_dir)


def metadata_municipality(metadata: Any) -> Any:
    """The municipality id a channel put in message metadata, if any."""
    if isinstance(metadata, dict):
        return metadata.get(METADATA_KEY)
    return None


def municipality_for(tracker: Tracker, config: Settings | None = None) -> Municipality:
    """The conversation's municipality: latest message metadata, slot, session metadata, default, generic."""
    config = config or settings()
    latest_metadata = (tracker.latest_message or {}).get("metadata")
    return registry(config).resolve(
        metadata_municipality(latest_metadata),
        tracker.get_slot(MUNICIPALITY_SLOT),
        metadata_municipality(tracker.get_slot("session_started_metadata")),
        config.default_municipality,
    )


@lru_cache(maxsize=2)
def _provider(url: str, plugin: str) -> BookingProvider:
    if plugin:
        module_name, _, class_name = plugin.partition(":")
        provider_class = getattr(importlib.import_module(module_name), class_name)
        return provider_class(url)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return SqlBookingProvider(url)


def booking_provider(config: Settings | None = None) -> BookingProvider:
    """The booking store: MUNI_BOOKING_PROVIDER ('module:Class', built with the URL) or the SQL store.

    The URL is MUNI_BOOKING_DB_URL (a SQLite file under var/ by default).
    """
    return _provider((config or settings()).booking_db_url, os.environ.get("MUNI_BOOKING_PROVIDER", ""))


@dataclass(frozen=True)
class TurnContext:
    """One turn of the conversation as the actions see it, resolved once when an action starts."""

    municipality: Municipality
    calendar: ServiceCalendar | None  # of the chosen booking service, when the municipality offers it
    now: datetime
    channel: str | None  # 'web', 'phone', 'kiosk' … of the latest message (None when not given)
    settings: Settings
    content: ContentBase

    @classmethod
    def of(cls, tracker: Tracker) -> TurnContext:
        """Resolve the turn: municipality (see :func:`municipality_for`), service calendar, clock, channel."""
        config = settings()
        municipality = municipality_for(tracker, config)
        return cls(
            municipality=municipality,
            calendar=ServiceCalendar.of(municipality, tracker.get_slot(SERVICE)),
            now=config.now(),
            channel=tracker.get_latest_input_channel(),
            settings=config,
            content=content(config),
        )

    @property
    def today(self) -> date:
        """The local date of the turn."""
        return self.now.date()

    @property
    def on_phone(self) -> bool:
        """True when the latest message came from a phone call (speech recognised by the gateway)."""
        return self.channel == "phone"

    def message(self, key: str, **values: str) -> str:
        """The action message ``key`` in the municipality's words (content/messages.yml), filled in."""
        return self.content.message(key, self.municipality, **values)

    def with_service(self, service_key: str | None) -> TurnContext:
        """The same turn with ``service_key`` as the chosen booking service."""
        return replace(self, calendar=ServiceCalendar.of(self.municipality, service_key))

    def bookings(self) -> BookingProvider:
        """The booking store of this installation (see :func:`booking_provider`)."""
        return booking_provider(self.settings)
