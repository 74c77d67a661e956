"""Session start: remember which municipality the citizen talks to."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import MUNICIPALITY_SLOT, metadata_municipality, registry, settings

# Phone channels put the caller's number in the message metadata under this key.
CALLER_METADATA_KEY = "caller"


class ActionSessionStart(Action):
    """Start a session and set the ``municipality`` slot from the channel's metadata."""

    def name(self) -> str:
        """Rasa's name for the session start action."""
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Carry the municipality over from the metadata (or keep the previous one)."""
        metadata = tracker.get_slot("session_started_metadata")
        municipality = registry().resolve(
            metadata_municipality(metadata),
            tracker.get_slot(MUNICIPALITY_SLOT),
            settings().default_municipality,
        )
        events = [SessionStarted(), SlotSet(MUNICIPALITY_SLOT, municipality.id)]
        caller = metadata.get(CALLER_METADATA_KEY) if isinstance(metadata, dict) else None
        if isinstance(caller, str) and caller.strip():
            events.append(SlotSet("caller_number", caller.strip()[:20]))
        return [*events, ActionExecuted("action_listen")]
