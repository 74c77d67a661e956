"""Who may see what in the console: sessions, CSRF tokens, login throttling, roles and security headers.

* Sessions: a random token in the cookie ``muni_console`` (HttpOnly, SameSite=Strict, Path=/console,
  Secure unless turned off for plain-HTTP tests); the database keeps only its SHA-256
  (``muni_staff_sessions``). Idle and absolute timeouts end a session; logging in always makes a
  new one (no session fixation); the role is read from ``muni_staff`` on every request, so a removed
  account or a changed role counts at once.
* CSRF: every POST needs the session's token as form field ``csrf_token`` or header ``X-CSRF-Token``.
  The login form (no session yet) uses a double-submit token: a pre-session cookie
  ``muni_console_login`` that must equal the form's hidden field.
* Throttling (:mod:`muni_core.console.sessions`): failures count per (address, username) and per
  address, with a growing wait (1, 2, 4 … minutes) that holds even for the right password; failures
  elsewhere never lock a user out of an address without failures or a browser with a valid "known
  device" cookie ``muni_console_device`` (signed, set at a successful login, 30 days). The 429 page
  says when to try again (and ``Retry-After``).
* Every console response carries :data:`SECURITY_HEADERS` (a strict Content-Security-Policy).

The session and failed-login rows are read and written by :mod:`muni_core.console.sessions`.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import math
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from aiohttp import web

from muni_core.console.common import COPENHAGEN
from muni_core.console.sessions import StaffSession, load_session, touch_session
from voice_gateway.keys import DATABASE

logger = logging.getLogger(__name__)

PREFIX = "/console"
COOKIE_NAME = "muni_console"
LOGIN_COOKIE_NAME = "muni_console_login"
DEVICE_COOKIE_NAME = "muni_console_device"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}
TOUCH_EVERY_S = 15.0
"""``last_seen_at`` is written at most this often per session (not on every request)."""

THROTTLED_MESSAGE = "For mange mislykkede forsøg."
LOGIN_FAILED_MESSAGE = "Forkert brugernavn eller adgangskode."
IDLE_MESSAGE = "Du er blevet logget ud, fordi du har været inaktiv."
EXPIRED_MESSAGE = "Du er blevet logget ud, fordi du har været logget ind i mere end 12 timer. Log ind igen."
CSRF_MESSAGE = "Sikkerhedstjekket mislykkedes: formularen er for gammel eller ugyldig. Genindlæs siden, og prøv igen."
FORBIDDEN_MESSAGE = "Du har ikke adgang til denne side. Den kræver rollen administrator."
NOT_LOGGED_IN_MESSAGE = "Du er ikke logget ind."

ACCESS_ATTRIBUTE = "console_access"
PUBLIC, STAFF, ADMIN = "public", "staff", "admin"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
H = TypeVar("H", bound=Handler)
T = TypeVar("T")


@dataclass
class ConsoleState:
    """What the console sub-application holds: its settings, its clock, the error page and caches.

    The database engine is the gateway's (``request.config_dict[DATABASE]``, see :func:`run`).
    """

    cookie_secure: bool = True
    idle_timeout_s: int = 1800
    absolute_timeout_s: int = 43200
    clock: Callable[[], float] = time.time
    error_page: Callable[[web.Request, int, str], web.Response] | None = None
    cache: dict[str, tuple[float, Any]] = field(default_factory=dict)
    device_key: bytes | None = None
    """The key signing known-device cookies (read from the database on the first login)."""


STATE = web.AppKey("console_state", ConsoleState)


SESSION = web.RequestKey("console_session", StaffSession)


async def run_db(request: web.Request, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``function(engine, *args, **kwargs)`` on the gateway's tracker database, in a worker thread.

    The engine is the parent application's (:data:`voice_gateway.keys.DATABASE`); database calls
    never block the event loop.
    """
    return await asyncio.to_thread(function, request.config_dict[DATABASE], *args, **kwargs)


def access(level: str) -> Callable[[H], H]:
    """Mark a handler as ``public`` (no login), ``staff`` (the default) or ``admin``."""

    def mark(handler: H) -> H:
        setattr(handler, ACCESS_ATTRIBUTE, level)
        return handler

    return mark


public = access(PUBLIC)
admin_only = access(ADMIN)


def access_of(handler: Any) -> str:
    """The access level of a route's handler (``staff`` when not marked)."""
    return getattr(handler, ACCESS_ATTRIBUTE, STAFF)


# --- tokens ------------------------------------------------------------------------------------------


def same_token(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of two tokens; False if either is missing."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8", "replace"), given.encode("utf-8", "replace"))


def normalize_username(username: str) -> str:
    """Usernames as the accounts store them (trimmed, lower case, at most 64 characters)."""
    return (username or "").strip().lower()[:64]


# --- redirects ---------------------------------------------------------------------------------------


def safe_next(value: str | None, default: str = PREFIX + "/") -> str:
    """``value`` if it is a path inside the console (no scheme, host or ``//``), else ``default``."""
    if not value or len(value) > 2000:
        return default
    if "\\" in value or any(ord(character) < 32 for character in value):
        return default
    parts = urllib.parse.urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return default
    if parts.path != PREFIX and not parts.path.startswith(PREFIX + "/"):
        return default
    if parts.path.startswith(PREFIX + "/login") or parts.path.startswith(PREFIX + "/logout"):
        return default
    return value


def login_url(next_path: str | None = None, reason: str | None = None) -> str:
    """The login page, remembering where to go afterwards and why the user was sent there."""
    query: dict[str, str] = {}
    if next_path and safe_next(next_path, "") == next_path:
        query["next"] = next_path
    if reason:
        query["reason"] = reason
    return PREFIX + "/login" + ("?" + urllib.parse.urlencode(query) if query else "")


def set_cookie(response: web.StreamResponse, name: str, value: str, secure: bool, max_age: int | None = None) -> None:
    """Set a console cookie: HttpOnly, SameSite=Strict, Path=/console, Secure unless turned off."""
    response.set_cookie(name, value, path=PREFIX, httponly=True, secure=secure, samesite="Strict", max_age=max_age)


def throttled_message(wait_s: float, now: float) -> str:
    """The Danish 429 text: too many attempts, and in how many minutes (at what time) to try again."""
    minutes = max(1, math.ceil(wait_s / 60))
    until = datetime.fromtimestamp(now + wait_s, COPENHAGEN).strftime("%H.%M")
    unit = "minut" if minutes == 1 else "minutter"
    return f"{THROTTLED_MESSAGE} Prøv igen om {minutes} {unit} (kl. {until})."


def clear_cookie(response: web.StreamResponse, name: str, secure: bool) -> None:
    """Remove a console cookie in the browser."""
    response.set_cookie(
        name,
        "",
        path=PREFIX,
        httponly=True,
        secure=secure,
        samesite="Strict",
        max_age=0,
        expires="Thu, 01 Jan 1970 00:00:00 GMT",
    )


def is_api(request: web.Request) -> bool:
    """Whether the request is for the JSON API (errors as JSON, 401 instead of a redirect)."""
    return request.path.startswith(PREFIX + "/api/")


def error_response(request: web.Request, status: int, message: str) -> web.Response:
    """A Danish error: JSON for the API, the console's error page otherwise."""
    if is_api(request):
        return web.json_response({"error": message}, status=status)
    state = request.app.get(STATE)
    if state is not None and state.error_page is not None:
        return state.error_page(request, status, message)
    return web.Response(text=message, status=status, content_type="text/plain")


# --- middlewares -------------------------------------------------------------------------------------

ERROR_MESSAGES = {
    400: "Forespørgslen er ugyldig.",
    401: NOT_LOGGED_IN_MESSAGE,
    403: "Adgang nægtet.",
    404: "Siden findes ikke.",
    405: "Den handling er ikke mulig på denne adresse.",
    413: "Forespørgslen er for stor.",
}


class ConsoleError(Exception):
    """Raised by a handler to answer with a Danish error message and status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The security headers on every response; errors as Danish pages, never a stack trace."""
    try:
        response = await handler(request)
    except ConsoleError as error:
        response = error_response(request, error.status, error.message)
    except web.HTTPException as error:
        if error.status < 400:
            response = web.Response(status=error.status, headers={"Location": error.headers.get("Location", "")})
        else:
            message = ERROR_MESSAGES.get(error.status, "Forespørgslen kunne ikke gennemføres.")
            response = error_response(request, error.status, message)
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("console error on %s %s", request.method, request.path)
        response = error_response(request, 500, "Der opstod en uventet fejl. Prøv igen om lidt.")
    response.headers.update(SECURITY_HEADERS)
    return response


async def _csrf_given(request: web.Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Login, CSRF and role checks before any handler that is not marked public."""
    level = access_of(request.match_info.handler)
    if level == PUBLIC:
        return await handler(request)
    state = request.app[STATE]
    now = state.clock()
    token = request.cookies.get(COOKIE_NAME, "")
    session = None
    if token:
        session = await run_db(request, load_session, token, now, state.idle_timeout_s, state.absolute_timeout_s)
    if not isinstance(session, StaffSession):
        reason = session if isinstance(session, str) else None
        if is_api(request):
            response: web.StreamResponse = web.json_response({"error": NOT_LOGGED_IN_MESSAGE}, status=401)
        else:
            next_path = request.path_qs if request.method in ("GET", "HEAD") else None
            response = web.Response(status=303, headers={"Location": login_url(next_path, reason)})
        if token:
            clear_cookie(response, COOKIE_NAME, state.cookie_secure)
        return response
    request[SESSION] = session
    if request.method not in ("GET", "HEAD", "OPTIONS") and not same_token(
        session.csrf_token, await _csrf_given(request)
    ):
        return error_response(request, 403, CSRF_MESSAGE)
    if level == ADMIN and not session.is_admin:
        return error_response(request, 403, FORBIDDEN_MESSAGE)
    if now - session.last_seen_at >= TOUCH_EVERY_S:
        await run_db(request, touch_session, session.token_hash, now)
    return await handler(request)
