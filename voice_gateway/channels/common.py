"""What every voice channel shares: the app keys (voice services, directory, stream tokens) and the municipality."""

from __future__ import annotations

import logging

from aiohttp import web

from voice_gateway.call import VoiceServices
from voice_gateway.channels.stream_token import StreamAuth
from voice_gateway.directory import MunicipalityDirectory, MunicipalityLine
from voice_gateway.keys import SETTINGS

logger = logging.getLogger(__name__)

VOICE_SERVICES = web.AppKey("voice_services", VoiceServices)
DIRECTORY = web.AppKey("municipality_directory", MunicipalityDirectory)
STREAM_AUTH = web.AppKey("stream_auth", StreamAuth)
"""Checks the signed token of each telephony media stream (``channels.stream_token``)."""


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
