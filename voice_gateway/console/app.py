"""The console as an aiohttp sub-application under ``/console`` (see :func:`setup_console`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from muni_core.conversations.database import open_engine
from muni_core.conversations.schema import create_schema
from voice_gateway.console import views
from voice_gateway.console.security import PREFIX, SECURITY_HEADERS, STATE, ConsoleState, guard, security_headers


async def _database(app: web.Application) -> AsyncIterator[None]:
    state = app[STATE]
    engine = open_engine(state.database_url)
    await asyncio.to_thread(create_schema, engine)
    state.engine = engine
    try:
        yield
    finally:
        state.engine = None
        await asyncio.to_thread(engine.dispose)


async def _to_console(request: web.Request) -> web.Response:
    """``/console`` -> ``/console/``."""
    return web.Response(status=308, headers={"Location": PREFIX + "/", **SECURITY_HEADERS})


def setup_console(
    app: web.Application,
    database_url: str,
    *,
    cookie_secure: bool = True,
    idle_timeout_s: int = 1800,
    absolute_timeout_s: int = 43200,
) -> None:
    """Serve the staff console at ``/console`` from the conversation database at ``database_url``.

    The engine is created (and the console's tables with it) when the application starts, and
    disposed when it stops. ``cookie_secure=False`` only for tests over plain HTTP.
    """
    console = web.Application(middlewares=[security_headers, guard])
    state = ConsoleState(
        database_url=database_url,
        cookie_secure=cookie_secure,
        idle_timeout_s=idle_timeout_s,
        absolute_timeout_s=absolute_timeout_s,
    )
    state.error_page = views.error_page
    console[STATE] = state
    console[views.TEMPLATES] = views.make_templates()
    console.cleanup_ctx.append(_database)
    views.add_routes(console)
    app.router.add_get(PREFIX, _to_console)
    app.add_subapp(PREFIX, console)
