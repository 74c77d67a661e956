"""Talking to the Rasa core over its REST channel (loopback HTTP).

Every message carries the gateway's credential (header ``X-Muni-Gateway`` with the secret the gateway
shares with Rasa, ``MUNI_RASA_TOKEN`` / ``var/rasa_token``): only then does the REST channel take the
metadata ``caller`` (sent for authenticated telephony calls only) and ``client_address`` (the citizen's
address as the gateway sees it, hashed with that secret: :func:`client_address_for`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from muni_core.channel_trust import GATEWAY_HEADER, client_address_id


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


def _in_networks(address: str, networks: Iterable[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for network in networks:
        try:
            if ip in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def citizen_address(request: web.BaseRequest, trusted_proxies: Iterable[str] = ()) -> str | None:
    """The citizen's IP address as the gateway sees it.

    The socket's peer, unless that peer is one of ``trusted_proxies`` (IP addresses or networks,
    ``MUNI_TRUSTED_PROXIES``): then ``X-Forwarded-For`` is read from the right, skipping trusted
    proxies, and the first address not a trusted proxy is the citizen's. No proxy is trusted by default.
    """
    peer = request.remote
    proxies = tuple(trusted_proxies)
    if not peer or not proxies or not _in_networks(peer, proxies):
        return peer
    hops = [hop.strip() for header in request.headers.getall("X-Forwarded-For", []) for hop in header.split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if not _in_networks(hop, proxies):
            return hop
    return peer


def client_address_for(request: web.BaseRequest, secret: str, trusted_proxies: Iterable[str] = ()) -> str | None:
    """The citizen's address, hashed with the secret shared with Rasa (no IP address leaves the gateway in clear)."""
    return client_address_id(secret, citizen_address(request, trusted_proxies))


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
    gateway_token: str = "",
    client_address: str | None = None,
) -> BotReply:
    """Send one citizen message to Rasa and return the assistant's reply.

    ``metadata`` adds keys to the message metadata (an authenticated phone call sends the caller's
    number as ``caller``); ``gateway_token`` authenticates the message (without it Rasa drops ``caller``
    and ``client_address`` and takes the message as ``web``); ``client_address`` is the hashed address
    of :func:`client_address_for`.
    """
    body: dict[str, Any] = {"sender": sender, "message": text, "input_channel": input_channel}
    merged = dict(metadata or {})
    if municipality:
        merged["municipality"] = municipality
    if client_address:
        merged["client_address"] = client_address
    if merged:
        body["metadata"] = merged
    headers = {GATEWAY_HEADER: gateway_token} if gateway_token else None
    try:
        async with session.post(
            f"{rasa_url}/webhooks/rest/webhook",
            json=body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as response:
            if response.status >= 500:
                raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
            if response.status >= 400:
                raise RasaUnavailable(f"Rasa refused the message: HTTP {response.status}")
            return BotReply.from_rest(await response.json(content_type=None))
    except (TimeoutError, aiohttp.ClientError, ValueError) as error:
        raise RasaUnavailable(str(error) or type(error).__name__) from error
