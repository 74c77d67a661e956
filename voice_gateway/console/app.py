"""The console as an aiohttp sub-application under ``/console`` (see :func:`setup_console`)."""

from __future__ import annotations

from aiohttp import web

from voice_gateway.console.security import PREFIX, SECURITY_HEADERS, STATE, ConsoleState, guard, security_headers
from voice_gateway.console.views import admin, auth, conversations, dashboard, pages, review


async def _to_console(request: web.Request) -> web.Response:
    """``/console`` -> ``/console/``."""
    return web.Response(status=308, headers={"Location": PREFIX + "/", **SECURITY_HEADERS})


def add_routes(console: web.Application) -> None:
    """The console's routes (relative to ``/console``)."""
    router = console.router
    router.add_get("/login", auth.login_page, name="login")
    router.add_post("/login", auth.login_submit)
    router.add_post("/logout", auth.logout, name="logout")
    router.add_get("/", conversations.conversation_list, name="home")
    router.add_get("/conversations", conversations.conversation_list, name="conversations")
    router.add_get("/conversations/{conversation_id}", conversations.conversation_view, name="conversation")
    router.add_get("/conversations/{conversation_id}/export", conversations.conversation_export, name="export")
    router.add_post("/conversations/{conversation_id}/corrections", conversations.mark_correction, name="correct")
    router.add_get("/review", review.review_page, name="review")
    router.add_post("/review/export", review.review_export, name="review_export")
    router.add_get("/dashboard", dashboard.dashboard, name="dashboard")
    router.add_get("/audit", admin.audit_page, name="audit")
    router.add_get("/staff", admin.staff_page, name="staff")
    router.add_get("/api/conversations", conversations.api_conversations, name="api_conversations")
    router.add_get("/static/{name}", pages.static_file, name="static")


def setup_console(
    app: web.Application,
    *,
    cookie_secure: bool = True,
    idle_timeout_s: int = 1800,
    absolute_timeout_s: int = 43200,
) -> None:
    """Serve the staff console at ``/console`` from the gateway's tracker database.

    The console takes the engine ``app`` holds under :data:`voice_gateway.keys.DATABASE` (opened at
    start-up, with the console's tables, by :func:`voice_gateway.app.setup_database`; set that up
    too). ``cookie_secure=False`` only for tests over plain HTTP.
    """
    console = web.Application(middlewares=[security_headers, guard])
    state = ConsoleState(
        cookie_secure=cookie_secure,
        idle_timeout_s=idle_timeout_s,
        absolute_timeout_s=absolute_timeout_s,
    )
    state.error_page = pages.error_page
    console[STATE] = state
    console[pages.TEMPLATES] = pages.make_templates()
    add_routes(console)
    app.router.add_get(PREFIX, _to_console)
    app.add_subapp(PREFIX, console)
