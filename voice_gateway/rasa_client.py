"""Talking to the Rasa core over its REST channel (loopback HTTP)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aiohttp


class RasaUnavailable(RuntimeError):
    """Rasa did not answer (down, overloaded or timed out)."""


@dataclass
class BotReply:
    """What the assistant answered to one message, split for channels."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    handoff: dict[str, Any] | None = None

    @classmethod
    def from_rest(cls, payload: Any) -> BotReply:
        """Split Rasa's REST reply into displayable messages and the handoff event."""
        reply = cls()
        if not isinstance(payload, list):
            return reply
        for item in payload:
            if not isinstance(item, dict):
                continue
            custom = item.get("custom")
            if isinstance(custom, dict) and isinstance(custom.get("handoff"), dict):
                reply.handoff = custom["handoff"]
                continue
            message = {key: item[key] for key in ("text", "buttons", "image", "custom") if key in item}
            if message:
                reply.messages.append(message)
        return reply


async def send_message(
    session: aiohttp.ClientSession,
    rasa_url: str,
    sender: str,
    text: str,
    *,
    municipality: str | None,
    input_channel: str,
    timeout_s: float,
    metadata: dict[str, Any] | None = None,
) -> BotReply:
    """Send one citizen message to Rasa and return the assistant's reply.

    ``metadata`` adds keys to the message metadata (the phone channel sends the caller's number as ``caller``).
    """
    body: dict[str, Any] = {"sender": sender, "message": text, "input_channel": input_channel}
    merged = dict(metadata or {})
    if municipality:
        merged["municipality"] = municipality
    if merged:
        body["metadata"] = merged
    try:
        async with session.post(
            f"{rasa_url}/webhooks/rest/webhook", json=body, timeout=aiohttp.ClientTimeout(total=timeout_s)
        ) as response:
            if response.status >= 500:
                raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
            if response.status >= 400:
                raise RasaUnavailable(f"Rasa refused the message: HTTP {response.status}")
            return BotReply.from_rest(await response.json(content_type=None))
    except (TimeoutError, aiohttp.ClientError, ValueError) as error:
        raise RasaUnavailable(str(error) or type(error).__name__) from error
