"""Logging in and out of the console (``/console/login``, ``/console/logout``).

A successful login also sets the "known device" cookie (:data:`DEVICE_COOKIE_NAME`): with it, the
browser is throttled only by its own failures, not by an outsider's from other addresses.
"""

from __future__ import annotations

import logging
import math
import re

from aiohttp import web

from muni_core.console import accounts
from muni_core.console.audit import write_audit
from muni_core.console.sessions import (
    DEVICE_MAX_AGE_S,
    clear_failures,
    create_session,
    delete_session,
    device_id,
    device_key,
    login_wait,
    new_token,
    purge_sessions,
    record_failure,
    sign_device,
    token_hash,
)
from voice_gateway.console.security import (
    COOKIE_NAME,
    CSRF_MESSAGE,
    DEVICE_COOKIE_NAME,
    EXPIRED_MESSAGE,
    IDLE_MESSAGE,
    LOGIN_COOKIE_NAME,
    LOGIN_FAILED_MESSAGE,
    PREFIX,
    SESSION,
    ConsoleState,
    clear_cookie,
    normalize_username,
    public,
    run_db,
    safe_next,
    same_token,
    set_cookie,
    throttled_message,
)
from voice_gateway.console.views.pages import audit, clean, render, state_of


def _login_form(
    request: web.Request,
    *,
    status: int = 200,
    error: str | None = None,
    info: str | None = None,
    next_path: str = "",
    username: str = "",
) -> web.Response:
    state = state_of(request)
    token = request.cookies.get(LOGIN_COOKIE_NAME, "")
    fresh = not re.fullmatch(r"[A-Za-z0-9_-]{32,64}", token)
    if fresh:
        token = new_token()
    response = render(
        request,
        "login.html",
        status=status,
        title="Log ind – Muni medarbejderkonsol",
        error=error,
        info=info,
        next_path=next_path,
        username=username,
        login_token=token,
    )
    if fresh:
        set_cookie(response, LOGIN_COOKIE_NAME, token, state.cookie_secure)
    return response


logger = logging.getLogger(__name__)

LOGIN_REASONS = {"idle": IDLE_MESSAGE, "expired": EXPIRED_MESSAGE, "logout": "Du er logget ud."}


@public
async def login_page(request: web.Request) -> web.Response:
    """The login form (also shown when logged in: logging in again replaces the session)."""
    next_path = safe_next(request.query.get("next"), "")
    return _login_form(request, info=LOGIN_REASONS.get(request.query.get("reason", "")), next_path=next_path)


@public
async def login_submit(request: web.Request) -> web.Response:
    """Check the login form: double-submit token, throttling, password; then a new session."""
    state = state_of(request)
    form = await request.post()
    username = normalize_username(clean(str(form.get("username") or ""), 200))
    password = form.get("password")
    password = password if isinstance(password, str) else ""
    next_path = safe_next(str(form.get("next") or ""), "")
    if not same_token(request.cookies.get(LOGIN_COOKIE_NAME), str(form.get("csrf_token") or "")):
        return _login_form(request, status=403, error=CSRF_MESSAGE, next_path=next_path, username=username)
    if not username or not password:
        return _login_form(
            request, status=400, error="Skriv både brugernavn og adgangskode.", next_path=next_path, username=username
        )
    remote = (request.remote or "ukendt")[:64]
    now = state.clock()
    key = await _device_key(request, state)
    device = device_id(key, request.cookies.get(DEVICE_COOKIE_NAME), username, now)
    origin = f"fra {remote}" + (", kendt enhed" if device else "")
    wait = await run_db(request, login_wait, username, remote, now, device)
    if wait > 0:
        await run_db(request, write_audit, username, "login_failed", None, f"spærret: for mange forsøg, {origin}", now)
        await _failed(request, username, remote, now, device, blocked=True)
        response = _login_form(
            request, status=429, error=throttled_message(wait, now), next_path=next_path, username=username
        )
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    role = await run_db(request, accounts.authenticate, username, password[:2048])
    if role is None:
        await run_db(request, write_audit, username, "login_failed", None, origin, now)
        await _failed(request, username, remote, now, device, blocked=False)
        return _login_form(request, status=401, error=LOGIN_FAILED_MESSAGE, next_path=next_path, username=username)
    await run_db(request, clear_failures, username, remote, device)
    old = request.cookies.get(COOKIE_NAME)
    if old:
        await run_db(request, delete_session, token_hash(old))
    await run_db(request, purge_sessions, now, state.idle_timeout_s, state.absolute_timeout_s)
    token, _csrf = await run_db(request, create_session, username, now)
    await run_db(request, write_audit, username, "login", None, f"rolle {role}, fra {remote}", now)
    response = web.Response(status=303, headers={"Location": next_path or PREFIX + "/"})
    set_cookie(response, COOKIE_NAME, token, state.cookie_secure)
    set_cookie(
        response, DEVICE_COOKIE_NAME, sign_device(key, username, now), state.cookie_secure, max_age=DEVICE_MAX_AGE_S
    )
    clear_cookie(response, LOGIN_COOKIE_NAME, state.cookie_secure)
    return response


async def _device_key(request: web.Request, state: ConsoleState) -> bytes:
    """The key signing known-device cookies (read once from the database)."""
    if state.device_key is None:
        state.device_key = await run_db(request, device_key)
    return state.device_key


async def _failed(
    request: web.Request, username: str, remote: str, now: float, device: str | None, *, blocked: bool
) -> None:
    """Count a failed or refused login; a burst against one user is an ``alert`` in the audit log."""
    alert = await run_db(request, record_failure, username, remote, now, device, blocked)
    if alert:
        logger.warning("console login alert: %s", alert)


async def logout(request: web.Request) -> web.Response:
    """End the session (POST with the CSRF token)."""
    state = state_of(request)
    session = request[SESSION]
    await run_db(request, delete_session, session.token_hash)
    await audit(request, "logout")
    response = web.Response(status=303, headers={"Location": PREFIX + "/login?reason=logout"})
    clear_cookie(response, COOKIE_NAME, state.cookie_secure)
    return response
