"""Running the gateway next to the Rasa stack started by ``muni up``."""

from __future__ import annotations

import asyncio
from typing import Protocol

from aiohttp import web

from voice_gateway.app import create_app
from voice_gateway.settings import GatewaySettings


class _Config(Protocol):
    host: str
    gateway_port: int
    rasa_url: str
    default_municipality: str


class _Stack(Protocol):
    def failed(self) -> str | None: ...


async def run_gateway(config: _Config, stack: _Stack | None = None) -> None:
    """Serve the gateway until interrupted or until a process of the stack dies."""
    settings = GatewaySettings(rasa_url=config.rasa_url, default_municipality=config.default_municipality)
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.gateway_port)
    await site.start()
    try:
        while stack is None or stack.failed() is None:
            await asyncio.sleep(1)
        print(f"{stack.failed()} stoppede uventet; lukker ned.", flush=True)
    finally:
        await runner.cleanup()
