"""Settings of the gateway."""

from __future__ import annotations

from dataclasses import dataclass

MAX_BODY_BYTES = 64 * 1024
MAX_MESSAGE_CHARS = 2000


@dataclass(frozen=True)
class GatewaySettings:
    """Where Rasa is and how much the gateway accepts."""

    rasa_url: str = "http://127.0.0.1:5005"
    default_municipality: str = ""
    rasa_timeout_s: float = 30.0
    max_message_chars: int = MAX_MESSAGE_CHARS
