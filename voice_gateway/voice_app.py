"""Wiring the voice channels into the gateway: engines loaded once per process, routes, AudioSocket server.

``setup_voice(app, settings)`` adds a cleanup context that loads the speech engines and the telephony
secret (the media streams' tokens) at start-up and stops the engines (and every open call) at shutdown,
the media stream and browser voice WebSocket routes, and, when configured, the Asterisk AudioSocket TCP
server (its clients limited to ``voice.audiosocket_allow``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

from aiohttp import web

from voice_gateway.call import VoiceServices
from voice_gateway.channels.common import DIRECTORY, STREAM_AUTH, VOICE_SERVICES
from voice_gateway.channels.stream_token import StreamAuth, telephony_secret
from voice_gateway.directory import MunicipalityDirectory
from voice_gateway.keys import DATABASE, METRICS, RASA_SESSION, SETTINGS
from voice_gateway.paths import DEFAULT_DANISH_VOICE
from voice_gateway.speech.stt import SttSettings, WhisperSpeechToText
from voice_gateway.speech.tts import CachedPrompts, create_tts
from voice_gateway.speech.vad import SileroVad
from voice_gateway.turn_store import SqlTurnRecorder
from voice_gateway.voice_settings import VoiceSettings

logger = logging.getLogger(__name__)


async def build_services(app: web.Application, voice: VoiceSettings) -> VoiceServices:
    """Load the speech engines and cache the fixed prompts."""
    stt_settings = SttSettings()
    if voice.stt_model_dir:
        stt_settings = replace(stt_settings, model_dir=Path(voice.stt_model_dir))
    stt_settings = replace(stt_settings, workers=voice.stt_workers, cpu_threads=voice.stt_cpu_threads)
    stt = await asyncio.to_thread(WhisperSpeechToText, stt_settings)
    await stt.start()
    voice_path = voice.tts_voice or (str(DEFAULT_DANISH_VOICE) if DEFAULT_DANISH_VOICE.exists() else None)
    tts = create_tts(voice_path, workers=voice.tts_workers)
    await tts.start()
    prompts = CachedPrompts(tts)
    services = VoiceServices(
        stt=stt,
        tts=tts,
        prompts=prompts,
        vad=SileroVad(),
        settings=voice,
        metrics=app[METRICS],
        rasa_url=app[SETTINGS].rasa_url,
        rasa_session=app[RASA_SESSION],
        rasa_timeout_s=app[SETTINGS].rasa_timeout_s,
        rasa_token=app[SETTINGS].rasa_token,
    )
    await prompts.warm([voice.prompts.thinking, voice.prompts.not_heard, voice.prompts.silence, voice.prompts.goodbye])
    return services


def setup_voice(app: web.Application, voice: VoiceSettings) -> None:
    """Add the voice channels to the application."""
    from voice_gateway.channels.audiosocket import serve_audiosocket
    from voice_gateway.channels.browser import handle_browser_voice, voice_page
    from voice_gateway.channels.twilio import handle_media_stream

    async def voice_context(app: web.Application) -> AsyncIterator[None]:
        app[DIRECTORY] = MunicipalityDirectory.load()
        app[STREAM_AUTH] = StreamAuth(telephony_secret(voice.telephony_secret))
        services = await build_services(app, voice)
        app[VOICE_SERVICES] = services
        if DATABASE in app:  # the gateway's tracker database (voice_gateway.app.setup_database)
            services.turn_recorder = SqlTurnRecorder(app[DATABASE])
        server = None
        if voice.audiosocket_port:
            server = await serve_audiosocket(app, voice.audiosocket_host, voice.audiosocket_port)
        logger.info("voice channels ready")
        yield
        if server is not None:
            server.close()
        for call in list(services.active_calls):
            await call.close("shutdown")
        if server is not None:
            await server.wait_closed()
        await services.tts.close()
        await services.stt.close()

    app.cleanup_ctx.append(voice_context)
    app.router.add_get("/voice/twilio", handle_media_stream)
    app.router.add_get("/voice/browser", handle_browser_voice)
    app.router.add_get("/ring", voice_page)
