"""What every action needs to know about the conversation: municipality, settings, content."""

from __future__ import annotations

import importlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from rasa_sdk import Tracker

from actions.booking_store import BookingProvider, SqlBookingProvider
from actions.content import ContentBase, load_content
from actions.settings import Settings
from muni_core.municipalities import Municipality, MunicipalityRegistry, load_registry

MUNICIPALITY_SLOT = "municipality"
METADATA_KEY = "municipality"


def settings() -> Settings:
    """Current settings (cheap: read from the environment)."""
    return Settings.from_env()


def registry() -> MunicipalityRegistry:
    """The municipality profiles of this installation."""
    return load_registry(settings().content_dir / "municipalities")


def content() -> ContentBase:
    """The answers and messages of this installation."""
    return load_content(settings().content_dir)


def metadata_municipality(metadata: Any) -> Any:
    """The municipality id a channel put in message metadata, if any."""
    if isinstance(metadata, dict):
        return metadata.get(METADATA_KEY)
    return None


def municipality_for(tracker: Tracker) -> Municipality:
    """The conversation's municipality: latest message metadata, slot, default, generic."""
    latest_metadata = (tracker.latest_message or {}).get("metadata")
    return registry().resolve(
        metadata_municipality(latest_metadata),
        tracker.get_slot(MUNICIPALITY_SLOT),
        metadata_municipality(tracker.get_slot("session_started_metadata")),
        settings().default_municipality,
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


def booking_provider() -> BookingProvider:
    """The booking store: MUNI_BOOKING_PROVIDER ('module:Class', built with the URL) or the SQL store.

    The URL is MUNI_BOOKING_DB_URL (a SQLite file under var/ by default).
    """
    return _provider(settings().booking_db_url, os.environ.get("MUNI_BOOKING_PROVIDER", ""))
