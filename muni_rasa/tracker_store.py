"""Rasa's SQL tracker store with personal data removed before anything is written.

Configured in ``bot/endpoints*.yml`` as ``type: muni_rasa.tracker_store.RedactingSQLTrackerStore``
(same arguments as Rasa's ``SQL`` store). On every save, before the events reach the database
or the event broker:

* citizen texts (the message, the NLU's copy of it, entity values, metadata such as the caller's
  number) and the bot's texts and payloads go through :func:`muni_core.redaction.redact_text`:
  CPR numbers, phone numbers and e-mail addresses are replaced for good. The municipalities'
  own public numbers and addresses (found in ``content/``) are kept in the bot's answers;
* the values of the slots in :data:`ENCRYPTED_SLOTS` (name and phone number of a booking, the
  caller's number) are encrypted with the installation's data key (Fernet: AES-128-CBC + HMAC),
  because an ongoing booking needs them in the next turn; they are decrypted when Rasa loads the
  conversation and are never in the database in clear. Key: ``MUNI_DATA_KEY`` or the file
  ``var/data_key`` (made on first start, mode 600). All Rasa replicas must share it;
* identifiers and names are kept as they are: Rasa's ``model_id``, ``assistant_id`` and message ids,
  sender ids, timestamps and the names of intents, actions, responses and entity types
  (:data:`_KEEP_KEYS`); UUIDs, hex ids, timestamps and model file names inside texts are kept by
  :func:`~muni_core.redaction.redact_text` itself;
* the console's index (``muni_conversations``) is updated in the same transaction.

Log records of the process are redacted too (:func:`muni_core.redaction.install_log_redaction`).
Rasa falls back to an in-memory store (with a warning) when this class cannot be imported; the
end-to-end tests read the database the running stack wrote, so such a fallback fails them.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from rasa.core.tracker_store import SQLTrackerStore, TrackerEventDiffEngine
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from muni_core.conversations.index import index_events
from muni_core.conversations.schema import ENCRYPTED_PREFIX, create_schema
from muni_core.paths import CONTENT_DIR, VAR_DIR
from muni_core.redaction import NAME_PLACEHOLDER, install_log_redaction, redact_text, redact_value

logger = logging.getLogger(__name__)

ENCRYPTED_SLOTS = frozenset({"citizen_name", "citizen_phone", "caller_number"})
NAME_SLOTS = frozenset({"citizen_name"})
MIN_NAME_CHARS = 3
UNREADABLE_VALUE = None
"""What an encrypted value becomes when the key has changed: the slot is empty and asked again."""
_KEEP_KEYS = frozenset(
    {
        # what an event is and when: never citizen text
        "event",
        "timestamp",
        "name",
        "policy",
        "confidence",
        "input_channel",
        # identifiers Rasa and the gateway write into events and their metadata
        "turn_id",
        "message_id",
        "model_id",
        "assistant_id",
        "sender_id",
        "conversation_id",
        # names of intents, actions, responses and entity types
        "action_name",
        "intent_name",
        "utter_action",
        "intent_response_key",
        "template_name",
        "retrieval_intent",
        "all_retrieval_intents",
        "entity",
        "extractor",
        "processors",
    }
)
"""Keys whose values are kept as they are wherever they occur in an event (ids, names, times, not citizen text)."""
_SAFE_EVENTS = frozenset(
    {
        "action",
        "active_loop",
        "session_started",
        "restart",
        "rewind",
        "undo",
        "pause",
        "resume",
        "action_execution_rejected",
        "followup",
        "loop_interrupted",
        "user_featurization",
        "stack",
        "export",
    }
)
_PUBLIC_PHONE = re.compile(r"(?<![\d+])(?:\+45 ?)?\d{2}(?: ?\d{2}){3}(?!\d)|(?<![\d+])\d{4} \d{4}(?!\d)")
_PUBLIC_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def data_key(var_dir: Path | None = None) -> bytes:
    """The installation's Fernet key: ``MUNI_DATA_KEY``, or ``var/data_key`` (created with mode 600)."""
    from_env = os.environ.get("MUNI_DATA_KEY", "").strip()
    if from_env:
        return from_env.encode("ascii")
    path = (var_dir or Path(os.environ.get("MUNI_VAR_DIR", VAR_DIR))) / "data_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
    return path.read_bytes().strip()


def public_contact_strings(content_dir: Path | None = None) -> frozenset[str]:
    """Phone numbers and e-mail addresses the municipality publishes (in ``content/``): not personal data."""
    root = content_dir or Path(os.environ.get("MUNI_CONTENT_DIR", CONTENT_DIR))
    found: set[str] = set()
    for path in sorted(root.rglob("*.yml")) if root.exists() else []:
        text = path.read_text(encoding="utf-8")
        found.update(match.group(0) for match in _PUBLIC_PHONE.finditer(text))
        found.update(match.group(0) for match in _PUBLIC_EMAIL.finditer(text))
    return frozenset(value for value in found if len(value) >= 8)


class EventRedactor:
    """Turns an event dict into what may be stored; reverses only the slot encryption."""

    def __init__(self, key: bytes, public: Iterable[str] = ()) -> None:
        self._fernet = Fernet(key)
        # Longest first, so that "+45 98 45 50 00" is protected before "98 45 50 00".
        self._public = sorted(set(public), key=len, reverse=True)

    def text(self, value: str, *, keep_public: bool = False, names: tuple[str, ...] = ()) -> str:
        """Redact one text; ``names`` (the booking's name) become ``[navn]``; public numbers stay in bot texts."""
        for name in names:
            value = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", NAME_PLACEHOLDER, value, flags=re.IGNORECASE)
        if not keep_public or not self._public:
            return redact_text(value)
        kept: list[str] = []
        protected = value
        for public in self._public:
            if public in protected:
                kept.append(public)
                protected = protected.replace(public, f"\ue000{len(kept) - 1}\ue001")
        redacted = redact_text(protected)
        for index, public in enumerate(kept):
            redacted = redacted.replace(f"\ue000{index}\ue001", public)
        return redacted

    def value(self, value: Any, *, keep_public: bool = False, names: tuple[str, ...] = ()) -> Any:
        """Redact every string inside ``value`` except those under keys that hold no citizen text."""
        return redact_value(
            value, redact=functools.partial(self.text, keep_public=keep_public, names=names), keep_keys=_KEEP_KEYS
        )

    def encrypt(self, value: Any) -> str:
        """A slot value as stored: ``enc:v1:`` + Fernet token of its JSON."""
        token = self._fernet.encrypt(json.dumps(value, ensure_ascii=False).encode("utf-8"))
        return ENCRYPTED_PREFIX + token.decode("ascii")

    def decrypt(self, stored: Any) -> Any:
        """The slot value of :meth:`encrypt`; other values as they are."""
        if not isinstance(stored, str) or not stored.startswith(ENCRYPTED_PREFIX):
            return stored
        try:
            return json.loads(self._fernet.decrypt(stored[len(ENCRYPTED_PREFIX) :].encode("ascii")))
        except (InvalidToken, ValueError):
            logger.warning("an encrypted slot value could not be decrypted (was the data key changed?)")
            return UNREADABLE_VALUE

    def event(self, data: dict[str, Any], names: tuple[str, ...] = ()) -> dict[str, Any]:
        """The storable form of one event dict (a new dict; the tracker in memory is not touched).

        ``names``: the citizen's name as the booking recorded it, replaced in every text of the event.
        """
        kind = data.get("event")
        if kind in _SAFE_EVENTS:
            return data
        if kind == "user":
            stored = dict(data)
            if isinstance(stored.get("text"), str):
                stored["text"] = self.text(stored["text"], names=names)
            if isinstance(stored.get("parse_data"), dict):
                # Text, entities, the metadata copy Rasa keeps in it; the bot's answer in the response selector.
                stored["parse_data"] = {
                    key: self.value(item, keep_public=key == "response_selector", names=names)
                    for key, item in stored["parse_data"].items()
                }
            if "metadata" in stored:
                stored["metadata"] = self.value(stored["metadata"], names=names)
            return stored
        if kind == "bot":
            return self.value(data, keep_public=True, names=names)
        if kind == "slot":
            stored = dict(data)
            if stored.get("name") in ENCRYPTED_SLOTS and stored.get("value") is not None:
                stored["value"] = self.encrypt(stored["value"])
            else:
                stored["value"] = self.value(stored.get("value"), names=names)
            return stored
        return self.value(data, names=names)

    def restore(self, data: dict[str, Any]) -> dict[str, Any]:
        """An event dict as read from the database, with encrypted slot values decrypted."""
        if data.get("event") == "slot" and data.get("name") in ENCRYPTED_SLOTS:
            return {**data, "value": self.decrypt(data.get("value"))}
        return data


class RedactingSQLTrackerStore(SQLTrackerStore):
    """:class:`SQLTrackerStore` that stores only redacted events and keeps the console's index."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        install_log_redaction()
        super().__init__(*args, **kwargs)
        self.redactor = EventRedactor(data_key(), public_contact_strings())
        create_schema(self.engine)
        logger.info("Redacting SQL tracker store ready (%s)", self.engine.dialect.name)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
            ).all()
            events = [self.redactor.restore(json.loads(row.data)) for row in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    @staticmethod
    def known_names(tracker: DialogueStateTracker) -> tuple[str, ...]:
        """The citizen's name(s) the booking form recorded in this session, longest first."""
        names = {
            event.value.strip()
            for event in tracker.events
            if isinstance(event, SlotSet) and event.key in NAME_SLOTS and isinstance(event.value, str)
        }
        return tuple(sorted((n for n in names if len(n) >= MIN_NAME_CHARS), key=len, reverse=True))

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publish the new events, redacted, to the event broker (if one is configured)."""
        if self.event_broker is None:
            return
        old_tracker = await self.retrieve(tracker.sender_id)
        names = self.known_names(tracker)
        for event in TrackerEventDiffEngine.event_difference(old_tracker, tracker):
            self.event_broker.publish({"sender_id": tracker.sender_id, **self.redactor.event(event.as_dict(), names)})

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the tracker's new events, redacted, and update the console's index with them."""
        await self.stream_events(tracker)
        names = self.known_names(tracker)
        with self.session_scope() as session:
            stored: list[dict[str, Any]] = []
            for event in self._additional_events(session, tracker):
                data = self.redactor.event(event.as_dict(), names)
                stored.append(data)
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=((data.get("parse_data") or {}).get("intent") or {}).get("name"),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.flush()
            index_events(session.connection(), tracker.sender_id, stored)
            session.commit()
