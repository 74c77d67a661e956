"""Chat with the assistant in the terminal, through the same REST channel as the web."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any, TextIO

from muni.config import MuniConfig

PROMPT = "Du: "


def post_message(config: MuniConfig, sender: str, text: str, municipality: str) -> list[dict[str, Any]]:
    """Send one message to Rasa's REST channel and return its replies."""
    body: dict[str, Any] = {"sender": sender, "message": text, "input_channel": "shell"}
    if municipality:
        body["metadata"] = {"municipality": municipality}
    request = urllib.request.Request(  # noqa: S310 - loopback URL from our config
        f"{config.rasa_url}/webhooks/rest/webhook",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as reply:  # noqa: S310
        return json.loads(reply.read())


def render_reply(messages: list[dict[str, Any]], out: TextIO) -> list[dict[str, Any]]:
    """Print the assistant's messages; return the buttons offered (numbered from 1)."""
    buttons: list[dict[str, Any]] = []
    for message in messages:
        if message.get("text"):
            out.write(f"Assistent: {message['text']}\n")
        for button in message.get("buttons") or []:
            buttons.append(button)
            out.write(f"  [{len(buttons)}] {button.get('title')}\n")
        handoff = (message.get("custom") or {}).get("handoff")
        if handoff:
            out.write(f"  (overdragelse til medarbejder: {handoff.get('summary')})\n")
    return buttons


def chat_loop(config: MuniConfig, municipality: str, source: TextIO, out: TextIO) -> int:
    """Read lines until end of input or 'exit'; a number picks a button."""
    sender = f"shell-{uuid.uuid4().hex[:12]}"
    out.write("Skriv til assistenten (tal vælger en knap, 'exit' afslutter).\n")
    buttons: list[dict[str, Any]] = []
    while True:
        out.write(PROMPT)
        out.flush()
        line = source.readline()
        if not line or line.strip().lower() in ("exit", "quit", "/stop"):
            return 0
        text = line.strip()
        if text.isdigit() and 0 < int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        try:
            buttons = render_reply(post_message(config, sender, text, municipality), out)
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            out.write(f"(Assistenten svarer ikke: {error})\n")
