"""Logging in and out of the console (``/console/login``, ``/console/logout``)."""

from __future__ import annotations

import re

from aiohttp import web

from muni_core.console import accounts
from muni_core.console.audit import write_audit
from muni_core.console.sessions import (
    clear_failures,
    create_session,
    delete_session,
    is_throttled,
    new_token,
    purge_sessions,
    record_failure,
    token_hash,
)
from voice_gateway.console.security import (
    COOKIE_NAME,
    CSRF_MESSAGE,
    EXPIRED_MESSAGE,
    IDLE_MESSAGE,
    LOGIN_COOKIE_NAME,
    LOGIN_FAILED_MESSAGE,
    PREFIX,
    SESSION,
    THROTTLED_MESSAGE,
    clear_cookie,
    normalize_username,
    public,
    run_db,
    safe_next,
    same_token,
    set_cookie,
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
    if await run_db(request, is_throttled, username, remote, now):
        await run_db(request, write_audit, username, "login_failed", None, "spærret: for mange forsøg", now)
        return _login_form(request, status=429, error=THROTTLED_MESSAGE, next_path=next_path, username=username)
    role = await run_db(request, accounts.authenticate, username, password[:2048])
    if role is None:
        await run_db(request, record_failure, username, remote, now)
        await run_db(request, write_audit, username, "login_failed", None, f"fra {remote}", now)
        return _login_form(request, status=401, error=LOGIN_FAILED_MESSAGE, next_path=next_path, username=username)
    await run_db(request, clear_failures, username)
    old = request.cookies.get(COOKIE_NAME)
    if old:
        await run_db(request, delete_session, token_hash(old))
    await run_db(request, purge_sessions, now, state.idle_timeout_s, state.absolute_timeout_s)
    token, _csrf = await run_db(request, create_session, username, now)
    await run_db(request, write_audit, username, "login", None, f"rolle {role}, fra {remote}", now)
    response = web.Response(status=303, headers={"Location": next_path or PREFIX + "/"})
    set_cookie(response, COOKIE_NAME, token, state.cookie_secure)
    clear_cookie(response, LOGIN_COOKIE_NAME, state.cookie_secure)
    return response


async def logout(request: web.Request) -> web.Response:
    """End the session (POST with the CSRF token)."""
    state = state_of(request)
    session = request[SESSION]
    await run_db(request, delete_session, session.token_hash)
    await audit(request, "logout")
    response = web.Response(status=303, headers={"Location": PREFIX + "/login?reason=logout"})
    clear_cookie(response, COOKIE_NAME, state.cookie_secure)
    return response
