"""Names the domain (``bot/domain/``) gives the booking forms and their slots, and the intents that interrupt them."""

from __future__ import annotations

FORM, MANAGE_FORM = "booking_form", "manage_booking_form"
SERVICE, DAY, TIME, WINDOW = "booking_service", "booking_day", "booking_time", "booking_window"
NAME, PHONE, CONFIRMED = "citizen_name", "citizen_phone", "booking_confirmed"
OFFERED, NOTICE, CALLER, CALLER_DECLINED = "offered_slots", "booking_notice", "caller_number", "caller_declined"
MANAGE_ACTION, REFERENCE, MANAGE_CONFIRMED = "manage_action", "manage_reference", "manage_confirmed"
REQUESTED = "requested_slot"

FORM_SLOTS = (SERVICE, DAY, TIME, WINDOW, NAME, PHONE, CONFIRMED, OFFERED, NOTICE, CALLER_DECLINED)
# Slots the extractors set besides the form's required slots.
HELPER_SLOTS = frozenset({WINDOW, OFFERED, NOTICE, CALLER_DECLINED, SERVICE})
# The booking form's slots and those of manage_booking_form: forgotten when either form ends.
ALL_FORM_SLOTS = (*FORM_SLOTS, MANAGE_ACTION, REFERENCE, MANAGE_CONFIRMED)
MANAGE_SLOTS = (MANAGE_ACTION, REFERENCE, MANAGE_CONFIRMED, SERVICE, DAY, TIME, WINDOW, OFFERED, NOTICE)

# Intents that interrupt the form (answered by rules, then the form continues or stops).
INTERRUPTIONS = frozenset(
    {"faq", "human_handoff", "opening_hours", "contact_info", "bot_challenge", "repeat", "out_of_scope",
     "greet", "thank", "goodbye", "stop", "cancel_appointment", "check_appointment", "nlu_fallback"}
)  # fmt: skip
# Interruptions that win even when the message also mentions a day or time.
STRONG_INTERRUPTIONS = frozenset(
    {"faq", "human_handoff", "opening_hours", "contact_info", "bot_challenge", "repeat", "stop",
     "cancel_appointment", "check_appointment"}
)  # fmt: skip
