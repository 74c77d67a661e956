"""What every voice channel shares: the app key of the voice services, admission and the municipality."""

from __future__ import annotations

import logging

from aiohttp import web

from voice_gateway.call import CallTransport, VoiceServices
from voice_gateway.directory import MunicipalityDirectory, MunicipalityLine
from voice_gateway.keys import SETTINGS
from voice_gateway.speech.audio import resample

logger = logging.getLogger(__name__)

VOICE_SERVICES = web.AppKey("voice_services", VoiceServices)
DIRECTORY = web.AppKey("municipality_directory", MunicipalityDirectory)


def municipality_for_call(
    app: web.Application, dialled: str | None, requested: str | None = None
) -> MunicipalityLine | None:
    """The municipality of a call: the dialled number, else an explicit id, else the configured default."""
    directory = app[DIRECTORY]
    if dialled:
        line = directory.by_dialled_number(dialled)
        if line is not None:
            return line
        logger.info("no municipality configured for the dialled number; using the default")
    for municipality_id in (requested, app[SETTINGS].default_municipality):
        if municipality_id:
            line = directory.by_id(municipality_id)
            if line is not None:
                return line
    return None


async def admit_call(services: VoiceServices, transport: CallTransport) -> bool:
    """False (after telling the caller and transferring) when the gateway already holds its maximum of calls."""
    if len(services.active_calls) < services.settings.max_calls:
        return True
    logger.warning("call refused: %d calls in progress (max_calls)", len(services.active_calls))
    services.metrics.call_errors.labels(channel=transport.channel, kind="too_busy").inc()
    try:
        prompt = await services.prompts.get(services.settings.prompts.too_busy)
        await transport.send_audio(resample(prompt.pcm, prompt.sample_rate, transport.sample_rate))
        await transport.transfer({"reason": "too_busy", "summary": "", "handoff": {}})
    except Exception:
        logger.exception("could not tell the caller that the lines are busy")
    return False
