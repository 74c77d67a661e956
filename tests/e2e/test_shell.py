"""`muni shell`: the terminal chat against the running assistant."""

from __future__ import annotations

import io

import pytest

from muni.shell import chat_loop

pytestmark = pytest.mark.stack


def test_shell_answers_and_buttons_can_be_picked_by_number(stack) -> None:
    config, _ = stack
    source = io.StringIO("/nlu_fallback\n/nlu_fallback\n1\nexit\n")
    out = io.StringIO()
    assert chat_loop(config, "frederikshavn", source, out) == 0
    text = out.getvalue()
    assert "[1] Ja, hvordan?" in text  # the web/terminal offer of a person (content: offer_handoff_yes_web)
    assert "(overdragelse til medarbejder: Borgeren" in text
    assert "98 45 50 00" in text


def test_shell_survives_an_unreachable_assistant(stack) -> None:
    from dataclasses import replace

    config, _ = stack
    from conftest import free_port

    down = replace(config, rasa_port=free_port())
    out = io.StringIO()
    assert chat_loop(down, "", io.StringIO("hej\n"), out) == 0
    assert "Assistenten svarer ikke" in out.getvalue()
