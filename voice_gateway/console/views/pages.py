"""What every page of the console shares: the Jinja2 templates and their filters, rendering, small helpers.

Templates autoescape everything; :func:`render` fills in the logged-in user, the navigation and the
CSRF token. :func:`error_page` is the Danish error page of every 4xx/5xx that is not JSON.
"""

from __future__ import annotations

import logging
import re
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from aiohttp import web

from muni_core.console.audit import write_audit
from muni_core.console.common import CHANNELS, local_time
from voice_gateway.console.charts import danish_number, percent
from voice_gateway.console.security import (
    PREFIX,
    SESSION,
    STATE,
    ConsoleError,
    ConsoleState,
    public,
    run_db,
)

logger = logging.getLogger(__name__)

CONSOLE_DIR = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = CONSOLE_DIR / "templates"
STATIC_DIR = CONSOLE_DIR / "static"
STATIC_FILES = {"console.css": "text/css"}
TEMPLATES = web.AppKey("console_templates", jinja2.Environment)
MAX_FIELD_CHARS = 1000
RATING_LABELS = {"yes": "Ja", "no": "Nej"}
AUDIT_ACTIONS = {
    "login": "Logget ind",
    "login_failed": "Mislykket login",
    "logout": "Logget ud",
    "open": "Åbnede samtale",
    "export": "Eksporterede samtale",
    "export_corrections": "Eksporterede rettelser",
    "mark_correction": "Markerede rettelse",
    "search": "Søgte i samtaler",
    "list_api": "Hentede samtaleliste (API)",
    "alert": "Advarsel: muligt angreb på login",
}
ROLE_LABELS = {"admin": "Administrator", "reviewer": "Gennemlæser"}
NAV = (
    ("conversations", "/", "Samtaler", False),
    ("review", "/review", "Rettelser", False),
    ("dashboard", "/dashboard", "Overblik", False),
    ("audit", "/audit", "Revisionslog", True),
    ("staff", "/staff", "Medarbejdere", True),
)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")

T = TypeVar("T")


# --- templates ---------------------------------------------------------------------------------------


def format_time(timestamp: float | None, with_seconds: bool = False) -> str:
    """``dd.mm.åååå tt:mm`` in Europe/Copenhagen (``–`` for None)."""
    moment = local_time(timestamp)
    if moment is None:
        return "–"
    return moment.strftime("%d.%m.%Y %H:%M:%S" if with_seconds else "%d.%m.%Y %H:%M")


def iso_time(timestamp: float | None) -> str:
    """ISO 8601 with offset, for ``<time datetime>`` and the API."""
    moment = local_time(timestamp)
    return moment.isoformat(timespec="seconds") if moment else ""


def channel_label(channel: str | None) -> str:
    """Danish name of an input channel."""
    if not channel:
        return "Ukendt"
    return CHANNELS.get(channel, channel)


def milliseconds(value: float | None) -> str:
    """``1234.5`` -> ``1.235 ms``."""
    return "–" if value is None else f"{danish_number(value)} ms"


def quote_segment(value: Any) -> str:
    """A value as one URL path segment (``/`` and everything else escaped)."""
    return urllib.parse.quote(str(value), safe="")


def make_templates() -> jinja2.Environment:
    """The console's Jinja2 environment (autoescaping on for everything)."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        tid=format_time,
        iso=iso_time,
        kanal=channel_label,
        ms=milliseconds,
        pct=percent,
        tal=danish_number,
        segment=quote_segment,
    )
    environment.globals.update(
        PREFIX=PREFIX,
        CHANNELS=CHANNELS,
        RATING_LABELS=RATING_LABELS,
        AUDIT_ACTIONS=AUDIT_ACTIONS,
        ROLE_LABELS=ROLE_LABELS,
    )
    return environment


def render(request: web.Request, template: str, *, status: int = 200, **context: Any) -> web.Response:
    """A page of the console, with the logged-in user, navigation and CSRF token filled in."""
    session = request.get(SESSION)
    nav = [
        {"key": key, "href": PREFIX + path, "label": label}
        for key, path, label, admin in NAV
        if session is not None and (not admin or session.is_admin)
    ]
    values = {
        "session": session,
        "csrf_token": session.csrf_token if session else "",
        "nav": nav,
        "active": context.pop("active", ""),
        "title": context.pop("title", "Muni – medarbejderkonsol"),
        **context,
    }
    html = request.app[TEMPLATES].get_template(template).render(values)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def error_page(request: web.Request, status: int, message: str) -> web.Response:
    """The Danish error page (used for every 4xx/5xx that is not JSON)."""
    try:
        return render(request, "error.html", status=status, message=message, title=f"Fejl {status}")
    except Exception:
        logger.exception("rendering the error page failed")
        return web.Response(text=message, status=status, content_type="text/plain", charset="utf-8")


# --- helpers -----------------------------------------------------------------------------------------


def state_of(request: web.Request) -> ConsoleState:
    """The console's state."""
    return request.app[STATE]


def clean(value: str | None, limit: int = MAX_FIELD_CHARS) -> str:
    """A form or query value without control characters, trimmed and cut to ``limit``."""
    return CONTROL_CHARACTERS.sub("", value or "").strip()[:limit]


async def cached(state: ConsoleState, key: str, ttl_s: float, load: Callable[[], Awaitable[T]]) -> T:
    """``load()``'s result, kept for ``ttl_s`` seconds."""
    now = time.monotonic()
    hit = state.cache.get(key)
    if hit is not None and now - hit[0] < ttl_s:
        return hit[1]
    value = await load()
    state.cache[key] = (now, value)
    return value


async def audit(
    request: web.Request, action: str, conversation_id: str | None = None, detail: str | None = None
) -> None:
    """Write an audit row for the logged-in user."""
    clock = state_of(request).clock
    await run_db(request, write_audit, request[SESSION].username, action, conversation_id, detail, clock())


# --- static ------------------------------------------------------------------------------------------


@public
async def static_file(request: web.Request) -> web.StreamResponse:
    """The console's stylesheet."""
    name = request.match_info["name"]
    if name not in STATIC_FILES:
        raise ConsoleError(404, "Filen findes ikke.")
    response = web.FileResponse(STATIC_DIR / name)
    response.content_type = STATIC_FILES[name]
    return response
