"""The gateway's aiohttp application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from muni_core.conversations.database import open_engine
from muni_core.conversations.schema import create_schema
from voice_gateway.chat_page import security_headers, setup_chat_page
from voice_gateway.chat_session import WIDGET_SECRET, widget_secret
from voice_gateway.keys import DATABASE, METRICS, RASA_SESSION, SETTINGS
from voice_gateway.metrics import VoiceMetrics, metrics_handler
from voice_gateway.settings import MAX_BODY_BYTES, GatewaySettings
from voice_gateway.webchat import handle_chat
from voice_gateway.widget import cors, setup_widget


async def _rasa_session(app: web.Application) -> AsyncIterator[None]:
    async with aiohttp.ClientSession() as session:
        app[RASA_SESSION] = session
        yield


def setup_database(app: web.Application, database_url: str) -> None:
    """Open the tracker database when the application starts, as ``app[DATABASE]``; dispose of it when it stops.

    One engine for the whole gateway: the staff console and the phone turns' figures take it from
    there (set it up before them). The console's tables are created once, at start-up, if missing.
    """

    async def database(app: web.Application) -> AsyncIterator[None]:
        engine = open_engine(database_url)
        try:
            await asyncio.to_thread(create_schema, engine)
            app[DATABASE] = engine
            yield
        finally:
            await asyncio.to_thread(engine.dispose)

    app.cleanup_ctx.append(database)


async def health(request: web.Request) -> web.Response:
    """Liveness of the gateway itself."""
    return web.json_response({"status": "ok"})


@web.middleware
async def json_errors(request: web.Request, handler):
    """Turn unexpected errors and aiohttp's HTTP errors on /api into JSON, never a bare 500 page."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if not request.path.startswith("/api/"):
            raise
        return web.json_response({"error": error.reason}, status=error.status)


def create_app(settings: GatewaySettings | None = None) -> web.Application:
    """Build the gateway application."""
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[security_headers, cors, json_errors])
    app[SETTINGS] = settings or GatewaySettings()
    app[WIDGET_SECRET] = widget_secret(app[SETTINGS].widget_secret)
    app[METRICS] = VoiceMetrics.create()
    app.cleanup_ctx.append(_rasa_session)
    setup_chat_page(app)
    app.router.add_get("/healthz", health)
    app.router.add_get("/metrics", metrics_handler(METRICS))
    app.router.add_post("/api/chat", handle_chat)
    setup_widget(app)
    if app[SETTINGS].database_url:
        from voice_gateway.console.app import setup_console

        setup_database(app, app[SETTINGS].database_url)
        setup_console(
            app,
            cookie_secure=app[SETTINGS].console_secure_cookies,
            idle_timeout_s=app[SETTINGS].console_idle_minutes * 60,
        )
    if app[SETTINGS].voice is not None:
        from voice_gateway.voice_app import setup_voice

        setup_voice(app, app[SETTINGS].voice)
    return app
