"""What every action needs to know about the conversation: municipality, settings, content."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from actions.content import ContentBase, load_content
from actions.municipalities import Municipality, MunicipalityRegistry, load_registry
from actions.settings import Settings

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
