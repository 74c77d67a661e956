"""Typed keys for what the aiohttp application holds."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from voice_gateway.metrics import VoiceMetrics
from voice_gateway.settings import GatewaySettings

SETTINGS = web.AppKey("settings", GatewaySettings)
RASA_SESSION = web.AppKey("rasa_session", aiohttp.ClientSession)
METRICS = web.AppKey("metrics", VoiceMetrics)
