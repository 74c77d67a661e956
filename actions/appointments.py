"""Appointment requests until self-service booking is built: say honestly where to book."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import content, municipality_for
from actions.info import requested_office_key


class ActionAppointmentByPhone(Action):
    """Point the citizen to the jobcentre, the GP or citizen service for appointments."""

    def name(self) -> str:
        """Action name used in rules."""
        return "action_appointment_by_phone"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Explain who books, moves and cancels the meeting and how to reach them."""
        municipality = municipality_for(tracker)
        key = requested_office_key(tracker)
        if key == "laege":
            message = "appointment_doctor"
        elif municipality.is_generic:
            message = "appointment_unknown_municipality"
        elif key in (None, "jobcenter"):
            message = "appointment_jobcentre"
        else:
            message = "appointment_citizen_service"
        dispatcher.utter_message(text=content().message(message, municipality))
        return []
