"""Keypad input (DTMF) on a call: what a pressed key means in the current state of the conversation.

A single key acts at once when the assistant has just offered choices or asked a yes/no
question ("tryk 1 for ja og 2 for nej"); otherwise digits are collected into a number (a
6-digit booking reference, an 8-digit phone number) until "#" or a pause. "0" asks for a
person and "*" asks the assistant to repeat itself.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from voice_gateway.phone_text import SpokenReply

HANDOFF_REQUEST = "Jeg vil gerne tale med en medarbejder"
REPEAT_REQUEST = "gentag"
YES_TEXT, NO_TEXT = "ja", "nej"
DTMF_KEYS = frozenset("0123456789*#")
DEFAULT_TIMEOUT_S = 3.0
MAX_DIGITS = 16


def _handoff_payload(reply: SpokenReply | None) -> str | None:
    """The payload of the reply's handoff button (digit 0 or /human_handoff), if it has one."""
    if reply is None:
        return None
    for choice in reply.choices:
        if choice.digit == "0" or choice.payload.startswith("/human_handoff"):
            return choice.payload
    return None


def dtmf_to_message(digit_or_digits: str, reply: SpokenReply | None) -> str | None:
    """The text to send to Rasa for keypad input, given the reply the caller is answering; None if it means nothing.

    "0" asks for a person (the handoff button's payload when one was offered), "*" asks to
    repeat, "1".."9" pick the choice with that digit, and with a yes/no question "1" is "ja"
    and "2" is "nej". Digits ending with "#" ("482913#") are sent as the number they make.
    """
    keys = "".join((digit_or_digits or "").split())
    if not keys:
        return None
    if keys == "*":
        return REPEAT_REQUEST
    if keys.endswith("#"):
        number = keys[:-1]
        return number if re.fullmatch(r"[0-9]+", number) else None
    if len(keys) != 1 or keys not in "0123456789":
        return None
    if keys == "0":
        return _handoff_payload(reply) or HANDOFF_REQUEST
    if reply is None:
        return None
    for choice in reply.choices:
        if choice.digit == keys:
            return choice.payload
    if reply.expects_yes_no:
        return {"1": YES_TEXT, "2": NO_TEXT}.get(keys)
    return None


def _acts_at_once(reply: SpokenReply | None) -> bool:
    return reply is not None and (bool(reply.choices) or reply.expects_yes_no)


class DtmfCollector:
    """Buffers keypad digits of one call and says when they make a message for the assistant.

    ``press`` returns the text to send at once, or None while digits are being collected.
    Collected digits are sent on "#", when ``max_digits`` are reached, or (via ``poll``)
    when no key came for ``timeout_s``; the gateway calls ``poll`` at ``deadline``. The
    clock is injectable so that tests need not sleep.
    """

    def __init__(
        self,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_digits: int = MAX_DIGITS,
    ) -> None:
        """A collector that sends collected digits after ``timeout_s`` without a key."""
        self.timeout_s = timeout_s
        self.max_digits = max_digits
        self._clock = clock
        self._digits = ""
        self._last_key_at = 0.0
        self._reply: SpokenReply | None = None

    @property
    def pending(self) -> str:
        """The digits collected so far."""
        return self._digits

    @property
    def deadline(self) -> float | None:
        """When (on the collector's clock) the collected digits time out; None when nothing is collected."""
        return self._last_key_at + self.timeout_s if self._digits else None

    def reset(self) -> None:
        """Forget collected digits (e.g. when the caller speaks instead)."""
        self._digits = ""

    def press(self, key: str, reply: SpokenReply | None = None) -> str | None:
        """One key (or several, as some channels send them) in the state of ``reply``; the text to send, or None."""
        result = None
        for single in str(key or ""):
            sent = self._press_one(single.upper(), reply)
            if sent is not None:
                result = sent
        return result

    def poll(self) -> str | None:
        """The collected number once the caller has paused ``timeout_s``; None before that or when empty."""
        if self._digits and self._clock() - self._last_key_at >= self.timeout_s:
            return self.flush()
        return None

    def flush(self) -> str | None:
        """Send what is collected now: the number, or the handoff request for a lone "0"."""
        digits, self._digits = self._digits, ""
        if not digits:
            return None
        if digits == "0":
            return dtmf_to_message("0", self._reply)
        return digits

    def _press_one(self, key: str, reply: SpokenReply | None) -> str | None:
        if key not in DTMF_KEYS:
            return None
        now = self._clock()
        stale = self._digits and now - self._last_key_at >= self.timeout_s
        earlier = self.flush() if stale else None  # a number nobody polled for: it still counts
        self._reply = reply
        self._last_key_at = now
        if key == "*":
            self._digits = ""
            return REPEAT_REQUEST
        if key == "#":
            return self.flush() or earlier
        if not self._digits and _acts_at_once(reply):
            message = dtmf_to_message(key, reply)
            if message is not None:
                return message
        self._digits += key
        if len(self._digits) >= self.max_digits:
            return self.flush()
        return earlier
