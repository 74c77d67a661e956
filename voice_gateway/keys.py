"""Typed keys for what the aiohttp application holds."""

from __future__ import annotations

import aiohttp
import sqlalchemy as sa
from aiohttp import web

from voice_gateway.metrics import VoiceMetrics
from voice_gateway.settings import GatewaySettings

SETTINGS = web.AppKey("settings", GatewaySettings)
RASA_SESSION = web.AppKey("rasa_session", aiohttp.ClientSession)
METRICS = web.AppKey("metrics", VoiceMetrics)
DATABASE = web.AppKey("database", sa.engine.Engine)
"""The tracker database's engine (when ``database_url`` is set): the console and the phone-turn figures share it."""
