"""Running the gateway next to the Rasa stack started by ``muni up``."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Protocol

from aiohttp import web

from muni_core.redaction import install_log_redaction
from voice_gateway.app import create_app
from voice_gateway.paths import DEFAULT_STT_MODEL_DIR
from voice_gateway.settings import GatewaySettings
from voice_gateway.voice_settings import VoiceSettings

logger = logging.getLogger(__name__)


class _Config(Protocol):
    host: str
    gateway_port: int
    rasa_url: str
    default_municipality: str
    voice: str
    stt_model_dir: str
    stt_workers: int
    tts_voice: str
    audiosocket_port: int
    voice_handoff_hook_url: str
    rasa_token: str
    widget_origins: str
    console_secure_cookies: bool
    console_idle_minutes: int


class _Stack(Protocol):
    def failed(self) -> str | None: ...


def voice_settings_for(config: _Config) -> VoiceSettings | None:
    """The voice settings of the configuration, or None when voice is off (or "auto" without a speech model)."""
    if config.voice == "off":
        return None
    model_dir = Path(config.stt_model_dir) if config.stt_model_dir else DEFAULT_STT_MODEL_DIR
    if config.voice == "auto" and not (model_dir / "model.bin").exists():
        logger.warning("voice channels off: no speech model in %s (run `muni models install`)", model_dir)
        return None
    return VoiceSettings(
        stt_model_dir=config.stt_model_dir,
        stt_workers=config.stt_workers,
        tts_voice=config.tts_voice,
        audiosocket_host=config.host,
        audiosocket_port=config.audiosocket_port,
        handoff_hook_url=config.voice_handoff_hook_url,
    )


async def run_gateway(config: _Config, stack: _Stack | None = None, database_url: str = "") -> None:
    """Serve the gateway until interrupted or until a process of the stack dies.

    ``database_url`` (the tracker database) turns on the staff console and the phone-turn figures.
    """
    install_log_redaction()
    settings = GatewaySettings(
        rasa_url=config.rasa_url,
        default_municipality=config.default_municipality,
        rasa_token=config.rasa_token,
        widget_origins=tuple(o.strip() for o in config.widget_origins.split(",") if o.strip()) or ("*",),
        voice=voice_settings_for(config),
        database_url=database_url,
        console_secure_cookies=config.console_secure_cookies,
        console_idle_minutes=config.console_idle_minutes,
    )
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
