"""The action server registers the package as `rasa run actions --actions actions` does."""

from rasa_sdk.executor import ActionExecutor

DOMAIN_ACTIONS = {
    "action_session_start", "action_answer_faq", "action_clarify", "action_offer_handoff", "action_repeat",
    "action_core_fallback", "action_handoff", "action_opening_hours", "action_contact_info",
    "validate_booking_form", "validate_manage_booking_form", "action_ask_booking_service", "action_ask_booking_day",
    "action_ask_booking_time", "action_ask_citizen_name", "action_ask_citizen_phone", "action_ask_booking_confirmed",
    "action_submit_booking", "action_stop_booking", "action_handle_inform", "action_start_manage",
    "action_ask_manage_reference", "action_ask_manage_confirmed", "action_submit_manage",
    "action_ask_municipality_answer", "validate_municipality_form", "action_answer_pending",
}  # fmt: skip


def test_every_domain_action_is_registered() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    assert DOMAIN_ACTIONS <= set(executor.actions)


def test_domain_lists_exactly_the_custom_actions() -> None:
    import yaml

    from muni_core.paths import REPO_ROOT

    declared = set()
    for path in (REPO_ROOT / "bot" / "domain").glob("*.yml"):
        declared |= set(yaml.safe_load(path.read_text(encoding="utf-8")).get("actions") or [])
    assert declared == DOMAIN_ACTIONS
