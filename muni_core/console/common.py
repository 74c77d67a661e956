"""What the console's queries share: the time zone, the channels, a conversation's summary columns, the page size."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from muni_core.conversations.schema import conversations

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
CHANNELS = {"web": "Chat", "phone": "Telefon", "kiosk": "Kiosk", "browser": "Browser-tale", "rest": "API"}
"""Input channels as stored by Rasa, with the label the console shows."""
VOICE_CHANNELS = frozenset({"phone", "browser"})
PAGE_SIZE = 50
SUMMARY_COLUMNS = (
    conversations.c.id,
    conversations.c.conversation_id,
    conversations.c.municipality,
    conversations.c.channel,
    conversations.c.started_at,
    conversations.c.last_at,
    conversations.c.user_turns,
    conversations.c.fallback,
    conversations.c.handed_over,
    conversations.c.rating,
    conversations.c.first_message,
)
"""The columns of ``muni_conversations`` the list and a conversation's header show (not the transcript)."""


def day_start(day: date) -> float:
    """Unix time of midnight at the start of ``day`` in Europe/Copenhagen."""
    return datetime(day.year, day.month, day.day, tzinfo=COPENHAGEN).timestamp()


def local_time(timestamp: float | None) -> datetime | None:
    """A Unix time as an aware Europe/Copenhagen datetime."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(float(timestamp), COPENHAGEN)
