"""Who may see, move or cancel a booking: both secrets, compared in constant time, and a bounded number of tries.

A booking is found only by its 6-digit reference *and* the phone number or the name it was
booked with (on the phone the caller's number may stand in for the phone number). A wrong
pair is one failed lookup, whether the reference exists or not; after
``MUNI_BOOKING_LOOKUP_TRIES`` failures in a conversation, or ``MUNI_BOOKING_LOOKUP_ADDRESS_TRIES``
from one client address within ``MUNI_BOOKING_LOOKUP_WINDOW_MINUTES``, no more lookups are made
(see docs/booking.md).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

from rasa_sdk import Tracker

from actions.booking_parsing import clean_name, digits_from_words, looks_like_name
from actions.booking_store import REFERENCE_DIGITS, Booking, BookingProvider, SqlBookingProvider, normalise_phone
from actions.context import TurnContext
from actions.settings import Settings

logger = logging.getLogger(__name__)

FAILURES = "manage_failures"  # failed lookups in this conversation (never reset by the forms)
CLIENT_ADDRESS_KEY = "client_address"  # message metadata set by the REST channel / authenticated gateway
MAX_ADDRESS_CHARS = 64
_DUMMY = b"\0" * 32  # compared against when no booking has the reference, so a miss takes as long as a hit


@dataclass(frozen=True)
class LookupLimits:
    """How many failed lookups are allowed, per conversation and per client address in a time window."""

    per_conversation: int = 5
    per_address: int = 20
    window: timedelta = timedelta(hours=1)

    @classmethod
    def from_env(cls) -> LookupLimits:
        """MUNI_BOOKING_LOOKUP_TRIES, MUNI_BOOKING_LOOKUP_ADDRESS_TRIES, MUNI_BOOKING_LOOKUP_WINDOW_MINUTES."""
        defaults = cls()
        return cls(
            per_conversation=_positive_int("MUNI_BOOKING_LOOKUP_TRIES", defaults.per_conversation),
            per_address=_positive_int("MUNI_BOOKING_LOOKUP_ADDRESS_TRIES", defaults.per_address),
            window=timedelta(
                minutes=_positive_int("MUNI_BOOKING_LOOKUP_WINDOW_MINUTES", int(defaults.window.total_seconds() // 60))
            ),
        )


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    logger.warning("%s=%r er ikke et positivt heltal; standardværdien %d bruges", name, raw, default)
    return default


# --- what the citizen said --------------------------------------------------------------------------------------


def numbers_in(text: str) -> tuple[str | None, str | None]:
    """The 6-digit reference and the 8-digit phone number in a message, written or spoken, in either order."""
    groups = re.findall(r"\d+", text) or digits_from_words(text).split()
    if not groups:
        return None, None
    whole = "".join(groups)
    if len(whole) == REFERENCE_DIGITS:
        return whole, None
    if normalise_phone(whole):
        return None, normalise_phone(whole)
    for cut in range(1, len(groups)):
        first, last = "".join(groups[:cut]), "".join(groups[cut:])
        if len(first) == REFERENCE_DIGITS and normalise_phone(last):
            return first, normalise_phone(last)
        if len(last) == REFERENCE_DIGITS and normalise_phone(first):
            return last, normalise_phone(first)
    return None, None


def name_in(text: str, *, heard_on_phone: bool) -> str | None:
    """A name given as the second secret ('Mette Hansen', 'mit navn er Mette Hansen'), or None."""
    words = re.sub(r"[\d+]", " ", text).strip()
    if not words or not looks_like_name(words):
        return None
    return clean_name(words, heard_on_phone=heard_on_phone)


def _name_key(name: str) -> bytes:
    return " ".join(name.casefold().replace("-", " ").split()).encode()


def matching_booking(
    provider: BookingProvider, municipality: str, reference: str, *, phone: str | None = None, name: str | None = None
) -> Booking | None:
    """The active booking with ``reference`` whose phone number (or name) matches, else None.

    The secrets are compared with :func:`hmac.compare_digest`, and a reference that does not exist is
    compared against a dummy, so neither the answer nor its timing tells whether the reference exists.
    """
    found = provider.find(municipality, reference=reference) if reference else []
    booking = found[0] if len(found) == 1 else None
    matched = False
    if phone:
        expected = booking.phone.encode() if booking else _DUMMY
        matched = hmac.compare_digest(expected, phone.encode())
    elif name:
        expected = _name_key(booking.name) if booking else _DUMMY
        matched = hmac.compare_digest(expected, _name_key(name))
    return booking if matched and booking is not None else None


# --- the limits -------------------------------------------------------------------------------------------------


def client_key(tracker: Tracker) -> str | None:
    """A hash of the client address of the latest message (metadata ``client_address``), or None when unknown.

    Only the hash is stored: enough to count tries, not to tell who the citizen is.
    """
    metadata = (tracker.latest_message or {}).get("metadata")
    address = metadata.get(CLIENT_ADDRESS_KEY) if isinstance(metadata, dict) else None
    if not isinstance(address, str) or not address.strip() or len(address) > MAX_ADDRESS_CHARS:
        return None
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:40]


@lru_cache(maxsize=1)
def _own_store(url: str) -> SqlBookingProvider:
    return SqlBookingProvider(url)


def attempts_store(turn: TurnContext) -> SqlBookingProvider:
    """Where failed lookups per address are counted: the SQL booking store (or the default SQLite file)."""
    provider = turn.bookings()
    if isinstance(provider, SqlBookingProvider):
        return provider
    return _own_store(Settings.booking_db_url)


def conversation_failures(tracker: Tracker) -> int:
    """Failed lookups so far in this conversation."""
    value: Any = tracker.get_slot(FAILURES)
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def lookups_blocked(tracker: Tracker, turn: TurnContext, limits: LookupLimits | None = None) -> bool:
    """True when this conversation, or the client address within the window, has used up its tries."""
    limits = limits or LookupLimits.from_env()
    if conversation_failures(tracker) >= limits.per_conversation:
        return True
    client = client_key(tracker)
    if client is None:
        return False
    since = turn.now.replace(tzinfo=None) - limits.window
    return attempts_store(turn).failed_lookups(client, since) >= limits.per_address


def record_failure(tracker: Tracker, turn: TurnContext, limits: LookupLimits | None = None) -> int:
    """Count one failed lookup for the conversation and the client address; the conversation's new count."""
    limits = limits or LookupLimits.from_env()
    client = client_key(tracker)
    if client is not None:
        now = turn.now.replace(tzinfo=None)
        attempts_store(turn).record_failed_lookup(client, now, forget_before=now - limits.window)
    return conversation_failures(tracker) + 1
