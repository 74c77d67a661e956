"""Danish labels for intents and topics: button texts and conversation summaries."""

from __future__ import annotations

from actions.context import content

INTENT_LABELS = {
    "opening_hours": "Åbningstider",
    "contact_info": "Kontaktoplysninger",
    "book_appointment": "Book en tid",
    "cancel_appointment": "Aflys en tid",
    "reschedule_appointment": "Flyt en tid",
    "check_appointment": "Se min tid",
    "human_handoff": "Tal med en medarbejder",
    "bot_challenge": "Hvem er jeg",
}
FAQ_INTENT = "faq"


def topic_label(label: str) -> str:
    """Danish label for an intent name or a ``faq/<topic>`` key."""
    if label.startswith(f"{FAQ_INTENT}/"):
        return content().title(label.split("/", 1)[1])
    return INTENT_LABELS.get(label, label.replace("_", " "))


def faq_topic_of(parse_data: dict) -> str | None:
    """The FAQ topic the NLU picked for a message (from the response selector)."""
    selector = (parse_data or {}).get("response_selector") or {}
    for key in (FAQ_INTENT, "default"):
        response = (selector.get(key) or {}).get("response") or {}
        full_key = response.get("intent_response_key") or ""
        if full_key.startswith(f"{FAQ_INTENT}/"):
            return full_key.split("/", 1)[1]
    return None


def message_label(parse_data: dict) -> str | None:
    """``faq/<topic>`` or the intent name of a parsed message (None when unknown)."""
    intent = ((parse_data or {}).get("intent") or {}).get("name")
    if intent == FAQ_INTENT:
        topic = explicit_faq_topic(parse_data) or faq_topic_of(parse_data)
        return f"{FAQ_INTENT}/{topic}" if topic else FAQ_INTENT
    return intent


def explicit_faq_topic(parse_data: dict) -> str | None:
    """A topic chosen by button (entity ``faq_topic``), if the message carries one."""
    for entity in (parse_data or {}).get("entities") or []:
        if entity.get("entity") == "faq_topic" and isinstance(entity.get("value"), str):
            return entity["value"]
    return None
