"""What the booking forms share beyond rasa-sdk: validation that keeps the extractors' helper slots."""

from __future__ import annotations

from collections.abc import Collection

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict


async def validate_keeping_helpers(
    form: FormValidationAction,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: DomainDict,
    helpers: Collection[str],
) -> list[EventType]:
    """Extract and validate as rasa-sdk does, but keep the ``helpers`` slots the extractors set.

    rasa-sdk drops extracted slots that are not required slots of the form; a helper slot a validation
    set itself is not repeated.
    """
    extraction_events = await form.get_extraction_events(dispatcher, tracker, domain)
    tracker.add_slots(extraction_events)
    validation_events = await form._extract_validation_events(dispatcher, tracker, domain)
    validated = {event["name"] for event in validation_events if event.get("event") == "slot"}
    kept = [event for event in extraction_events if event["name"] in helpers and event["name"] not in validated]
    return kept + validation_events
