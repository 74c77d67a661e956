"""What the gateway tells Rasa about a citizen: its credential and the citizen's address, hashed; proxies trusted only when configured."""

from __future__ import annotations

from unittest import mock

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from multidict import CIMultiDict

from muni_core.channel_trust import GATEWAY_HEADER, client_address_id
from voice_gateway.rasa_client import citizen_address, client_address_for, send_message

SECRET = "gateway-rasa-token"


def request_from(peer: str, forwarded: str | None = None) -> web.Request:
    transport = mock.Mock()
    transport.get_extra_info.return_value = (peer, 40000)
    headers = CIMultiDict({"X-Forwarded-For": forwarded} if forwarded else {})
    return make_mocked_request("POST", "/api/chat", headers=headers, transport=transport)


def test_without_trusted_proxies_x_forwarded_for_is_ignored() -> None:
    spoofed = request_from("203.0.113.7", forwarded="198.51.100.1")
    assert citizen_address(spoofed) == "203.0.113.7"
    assert citizen_address(spoofed, ()) == "203.0.113.7"


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("198.51.100.1", "198.51.100.1"),
        ("6.6.6.6, 198.51.100.1", "198.51.100.1"),  # a client-written first hop is not believed
        ("198.51.100.1, 10.0.0.2", "198.51.100.1"),  # a chain of trusted proxies is skipped
        (None, "10.0.0.1"),
    ],
)
def test_behind_a_trusted_proxy_the_last_untrusted_hop_is_the_citizen(forwarded: str | None, expected: str) -> None:
    assert citizen_address(request_from("10.0.0.1", forwarded), ("10.0.0.0/24",)) == expected


def test_a_proxy_not_in_the_list_is_not_believed() -> None:
    assert citizen_address(request_from("192.0.2.50", "198.51.100.1"), ("10.0.0.0/24",)) == "192.0.2.50"


def test_the_address_leaves_the_gateway_hashed() -> None:
    hashed = client_address_for(request_from("203.0.113.7"), SECRET)
    assert hashed == client_address_id(SECRET, "203.0.113.7")
    assert "203.0.113.7" not in hashed


async def test_send_message_carries_the_credential_and_the_hashed_address(aiohttp_server) -> None:
    seen: list[tuple[str | None, dict]] = []

    async def webhook(request: web.Request) -> web.Response:
        seen.append((request.headers.get(GATEWAY_HEADER), await request.json()))
        return web.json_response([{"text": "Hej"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    server = await aiohttp_server(app)
    url = str(server.make_url("")).rstrip("/")
    address = client_address_id(SECRET, "203.0.113.7")
    async with aiohttp.ClientSession() as session:
        await send_message(session, url, "s1", "hej", municipality="aarhus", input_channel="web", timeout_s=5,
                           gateway_token=SECRET, client_address=address)  # fmt: skip
        await send_message(session, url, "s2", "hej", municipality=None, input_channel="web", timeout_s=5)
    assert seen[0] == (SECRET, {"sender": "s1", "message": "hej", "input_channel": "web",
                                "metadata": {"municipality": "aarhus", "client_address": address}})  # fmt: skip
    assert seen[1][0] is None  # no credential configured: none is sent
