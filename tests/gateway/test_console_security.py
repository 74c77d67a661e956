"""Security of the staff console: login, sessions, CSRF, throttling, roles, headers, injection and escaping.

Every route of the console sub-application is read from its router, so a route added later is
covered by the access and CSRF tests without touching this file. The database, accounts and the
fake clock come from the view tests' fixtures (``test_console_views``).
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse

import pytest
import sqlalchemy as sa
from aiohttp import web
from test_console_views import (  # noqa: F401 - the *_fixture names are pytest fixtures shared with the view tests
    PASSWORD,
    Clock,
    client_fixture,
    clock_fixture,
    csrf_from,
    db_url_fixture,
    engine_fixture,
    event_id_of,
    fast_password_hashing,
    logged_in_csrf,
    login,
    reviewer_fixture,
    template_db_fixture,
)

from muni_core.conversations.schema import audit_log, login_failures, staff_sessions
from voice_gateway.app import setup_database
from voice_gateway.console.app import setup_console
from voice_gateway.console.security import (
    CSP,
    PUBLIC,
    SECURITY_HEADERS,
    THROTTLED_MESSAGE,
    access_of,
    safe_next,
)

SAMPLES = {"conversation_id": "web-pas-1", "name": "console.css"}
IDLE = "Du er blevet logget ud, fordi du har været inaktiv."


def console_app(app: web.Application) -> web.Application:
    for resource in app.router.resources():
        info = resource.get_info()
        if info.get("prefix") == "/console" and "app" in info:
            return info["app"]
    raise AssertionError("no /console sub-application")


def console_routes(app: web.Application) -> list[tuple[str, str, str]]:
    """``(method, path, access)`` of every console route, placeholders filled with sample values."""
    routes = []
    for route in console_app(app).router.routes():
        if route.method == "HEAD":
            continue
        info = route.resource.get_info()
        template = info.get("formatter") or info.get("path")
        path = re.sub(r"\{(\w+)\}", lambda match: SAMPLES[match.group(1)], template)
        assert path.startswith("/console/"), path
        routes.append((route.method, path, access_of(route.handler)))
    assert len(routes) >= 14
    return routes


def audit_rows(engine: sa.engine.Engine) -> list[dict]:
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(sa.select(audit_log).order_by(audit_log.c.id))]


def session_cookie(response) -> str:
    found = re.search(r"muni_console=([^;]+)", ";".join(response.headers.getall("Set-Cookie", [])))
    assert found, response.headers
    return found.group(1)


# --- access ------------------------------------------------------------------------------------------


async def test_every_route_rejects_anonymous_requests(client) -> None:
    checked = 0
    for method, path, access in console_routes(client.server.app):
        if access == PUBLIC:
            continue
        for verb in {method, "GET", "POST"}:
            response = await client.request(verb, path, allow_redirects=False)
            if path.startswith("/console/api/"):
                assert response.status == 401, (verb, path)
                assert (await response.json())["error"] == "Du er ikke logget ind."
            else:
                assert response.status == 303, (verb, path, response.status)
                assert response.headers["Location"].startswith("/console/login"), (verb, path)
            for name, value in SECURITY_HEADERS.items():
                assert response.headers.get(name) == value, (verb, path, name)
            checked += 1
    assert checked >= 24


async def test_public_routes_are_only_login_and_the_stylesheet(client) -> None:
    public = sorted((method, path) for method, path, access in console_routes(client.server.app) if access == PUBLIC)
    assert public == [("GET", "/console/login"), ("GET", "/console/static/console.css"), ("POST", "/console/login")]
    assert (await client.get("/console/static/console.css")).status == 200
    assert (await client.get("/console/static/app.py")).status in (303, 404)
    assert (await client.get("/console/static/..%2Fviews.py")).status in (303, 404)


async def test_redirect_to_login_keeps_only_local_next_paths(client) -> None:
    response = await client.get("/console/conversations?channel=phone", allow_redirects=False)
    location = urllib.parse.urlsplit(response.headers["Location"])
    assert urllib.parse.parse_qs(location.query)["next"] == ["/console/conversations?channel=phone"]
    logged = await login(client, next_path="/console/conversations?channel=phone")
    assert logged.headers["Location"] == "/console/conversations?channel=phone"
    for hostile in (
        "https://evil.example/",
        "//evil.example/console/",
        "/\\evil.example",
        "/console\r\nX: y",
        "javascript:alert(1)",
        "/other",
    ):
        assert safe_next(hostile) == "/console/"
    assert safe_next("/console/dashboard?days=7") == "/console/dashboard?days=7"
    assert safe_next("/console/login") == "/console/"


async def test_reviewers_get_403_on_admin_pages_and_do_not_see_them(client) -> None:
    await login(client, "anna")
    home = await (await client.get("/console/")).text()
    assert "Revisionslog" not in home and "Medarbejdere" not in home
    assert 'aria-current="page">Samtaler' in home
    for path in ("/console/audit", "/console/staff"):
        response = await client.get(path)
        assert response.status == 403
        assert "administrator" in await response.text()


async def test_admins_see_the_audit_log_and_staff(client) -> None:
    await login(client, "boss")
    assert "Revisionslog" in await (await client.get("/console/")).text()
    staff = await (await client.get("/console/staff")).text()
    assert "anna" in staff and "Gennemlæser" in staff and "Administrator" in staff
    assert (await client.get("/console/audit")).status == 200


# --- CSRF --------------------------------------------------------------------------------------------


async def test_every_post_needs_the_sessions_csrf_token(reviewer) -> None:
    posts = [
        path for method, path, access in console_routes(reviewer.server.app) if method == "POST" and access != PUBLIC
    ]
    assert "/console/logout" in posts and "/console/review/export" in posts
    for path in posts:
        for data in ({}, {"csrf_token": "forfalsket"}, {"csrf_token": ""}):
            response = await reviewer.post(path, data=data, allow_redirects=False)
            assert response.status == 403, (path, data)
            assert "Sikkerhedstjekket mislykkedes" in await response.text()
        header = await reviewer.post(path, headers={"X-CSRF-Token": "forfalsket"}, allow_redirects=False)
        assert header.status == 403
    # still logged in: none of the refused posts logged out
    assert (await reviewer.get("/console/", allow_redirects=False)).status == 200
    csrf = await logged_in_csrf(reviewer)
    accepted = await reviewer.post("/console/review/export", headers={"X-CSRF-Token": csrf}, allow_redirects=False)
    assert accepted.status == 303  # nothing to export: back to the review page


async def test_the_login_form_is_protected_by_a_double_submit_token(client) -> None:
    page = await client.get("/console/login")
    token = csrf_from(await page.text())
    forged = await client.post(
        "/console/login",
        data={"username": "anna", "password": PASSWORD, "csrf_token": "forfalsket"},
        allow_redirects=False,
    )
    assert forged.status == 403 and "Sikkerhedstjekket mislykkedes" in await forged.text()
    client.session.cookie_jar.clear()
    no_cookie = await client.post(
        "/console/login", data={"username": "anna", "password": PASSWORD, "csrf_token": token}, allow_redirects=False
    )
    assert no_cookie.status == 403
    assert "muni_console=" not in ";".join(no_cookie.headers.getall("Set-Cookie", [])).replace("muni_console_login", "")


# --- sessions ----------------------------------------------------------------------------------------


async def test_cookie_flags_and_only_the_hash_is_stored(aiohttp_client, db_url, engine) -> None:
    app = web.Application()
    setup_database(app, db_url)
    setup_console(app)  # cookie_secure defaults to True
    client = await aiohttp_client(app)
    page = await client.get("/console/login")
    login_cookie = page.headers["Set-Cookie"]
    for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/console"):
        assert flag in login_cookie
    token = csrf_from(await page.text())
    response = await client.post(
        "/console/login",
        data={"username": "anna", "password": PASSWORD, "csrf_token": token},
        headers={"Cookie": f"muni_console_login={token}"},
        allow_redirects=False,
    )
    assert response.status == 303
    header = next(value for value in response.headers.getall("Set-Cookie") if value.startswith("muni_console="))
    for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/console"):
        assert flag in header, header
    value = session_cookie(response)
    with engine.connect() as connection:
        stored = [row.token_hash for row in connection.execute(sa.select(staff_sessions))]
    assert stored == [hashlib.sha256(value.encode()).hexdigest()]
    assert value not in stored


async def test_login_makes_a_new_session_and_logout_ends_it(client, engine) -> None:
    client.session.cookie_jar.update_cookies({"muni_console": "angriberens-valgte-vaerdi"})
    first = session_cookie(await login(client))
    assert first != "angriberens-valgte-vaerdi"
    second = session_cookie(await login(client))
    assert second != first
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(staff_sessions)).scalar() == 1
    csrf = await logged_in_csrf(client)
    logout = await client.post("/console/logout", data={"csrf_token": csrf}, allow_redirects=False)
    assert logout.status == 303 and logout.headers["Location"] == "/console/login?reason=logout"
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(staff_sessions)).scalar() == 0
    client.session.cookie_jar.clear()
    for old in (first, second):
        again = await client.get("/console/", headers={"Cookie": f"muni_console={old}"}, allow_redirects=False)
        assert again.status == 303 and again.headers["Location"].startswith("/console/login")
    assert "Du er logget ud." in await (await client.get("/console/login?reason=logout")).text()


async def test_idle_timeout_logs_out_with_a_message(client, clock: Clock, engine) -> None:
    await login(client)
    clock.now += 29 * 60
    assert (await client.get("/console/", allow_redirects=False)).status == 200  # activity moves the idle clock
    clock.now += 29 * 60
    assert (await client.get("/console/", allow_redirects=False)).status == 200
    clock.now += 31 * 60
    response = await client.get("/console/dashboard", allow_redirects=False)
    assert response.status == 303
    assert "reason=idle" in response.headers["Location"]
    page = await client.get(response.headers["Location"])
    assert IDLE in await page.text()
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(staff_sessions)).scalar() == 0
    api = await client.get("/console/api/conversations")
    assert api.status == 401


async def test_idle_timeout_from_last_seen_in_the_database(client, engine) -> None:
    await login(client)
    with engine.begin() as connection:
        connection.execute(sa.update(staff_sessions).values(last_seen_at=staff_sessions.c.last_seen_at - 1801))
    response = await client.get("/console/", allow_redirects=False)
    assert response.status == 303 and "reason=idle" in response.headers["Location"]


async def test_absolute_timeout_even_when_active(client, clock: Clock) -> None:
    await login(client)
    for _ in range(40):  # over 12 hours of a request every 20 minutes
        clock.now += 20 * 60
        response = await client.get("/console/", allow_redirects=False)
        if response.status != 200:
            break
    assert response.status == 303 and "reason=expired" in response.headers["Location"]
    assert "logget ud" in await (await client.get(response.headers["Location"])).text()


# --- throttling --------------------------------------------------------------------------------------


async def test_sixth_attempt_is_refused_even_with_the_right_password(client, engine, clock: Clock) -> None:
    for attempt in range(5):
        wrong = await login(client, "anna", f"forkert-kodeord-{attempt}")
        assert wrong.status == 401
        assert "Forkert brugernavn eller adgangskode." in await wrong.text()
    right = await login(client, "anna", PASSWORD)
    assert right.status == 429
    assert THROTTLED_MESSAGE in await right.text()
    assert "muni_console=" not in ";".join(right.headers.getall("Set-Cookie", [])).replace("muni_console_login", "")
    clock.now += 15 * 60 + 1
    assert (await login(client, "anna", PASSWORD)).status == 303
    with engine.connect() as connection:  # a successful login clears the username's failures
        left = connection.execute(
            sa.select(sa.func.count()).select_from(login_failures).where(login_failures.c.username == "anna")
        )
        assert left.scalar() == 0


async def test_unknown_user_and_wrong_password_read_the_same(client) -> None:
    unknown = await login(client, "ingen-saadan", "forkert-kodeord-1")
    wrong = await login(client, "anna", "forkert-kodeord-1")
    assert unknown.status == wrong.status == 401

    def alert(html: str) -> str:
        return re.search(r'role="alert"[^>]*>([^<]*)<', html).group(1)

    assert alert(await unknown.text()) == alert(await wrong.text()) == "Forkert brugernavn eller adgangskode."


async def test_twenty_failures_from_one_address_lock_it(client) -> None:
    for number in range(20):
        assert (await login(client, f"bruger{number}", "forkert-kodeord")).status == 401
    locked = await login(client, "anna", PASSWORD)
    assert locked.status == 429 and THROTTLED_MESSAGE in await locked.text()


async def test_success_clears_failures_so_later_typos_do_not_lock(client) -> None:
    for _ in range(4):
        await login(client, "anna", "forkert-kodeord")
    assert (await login(client, "anna", PASSWORD)).status == 303
    for _ in range(4):
        assert (await login(client, "anna", "forkert-kodeord")).status == 401
    assert (await login(client, "anna", PASSWORD)).status == 303


# --- audit log ---------------------------------------------------------------------------------------


async def test_audit_log_records_logins_opens_exports_and_corrections(client, engine) -> None:
    await login(client, "anna", "forkert-kodeord-hemmelig")
    await login(client, "anna")
    await client.get("/console/conversations/web-pas-1")
    await client.get("/console/conversations/web-pas-1/export")
    csrf = await logged_in_csrf(client)
    event_id = event_id_of(engine, "web-pas-1", "Hvad koster et nyt pas?")
    await client.post(
        "/console/conversations/web-pas-1/corrections",
        data={"csrf_token": csrf, "event_id": str(event_id), "correct_intent": "faq/koerekort"},
        allow_redirects=False,
    )
    await client.post("/console/review/export", data={"csrf_token": csrf})
    await client.post("/console/logout", data={"csrf_token": csrf})
    rows = audit_rows(engine)
    assert [(row["username"], row["action"], row["conversation_id"]) for row in rows] == [
        ("anna", "login_failed", None),
        ("anna", "login", None),
        ("anna", "open", "web-pas-1"),
        ("anna", "export", "web-pas-1"),
        ("anna", "mark_correction", "web-pas-1"),
        ("anna", "export_corrections", None),
        ("anna", "logout", None),
    ]
    assert not any("hemmelig" in (row["detail"] or "") or PASSWORD in (row["detail"] or "") for row in rows)

    await login(client, "boss")
    page = await (await client.get("/console/audit")).text()
    actions = re.findall(r'data-action="([a-z_]+)"', page)
    assert actions[:2] == ["login", "logout"]  # newest first: boss's login, then anna's logout
    only_anna = await (await client.get("/console/audit", params={"user": "anna"})).text()
    assert set(re.findall(r'data-action="([a-z_]+)"', only_anna)) >= {"open", "export", "login_failed"}
    assert "<td>boss</td>" not in only_anna
    assert (await client.get("/console/audit", params={"before": "abc"})).status == 400


async def test_audit_log_pages(client, engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.insert(audit_log),
            [
                {"at": 1000.0 + number, "username": "anna", "action": "open", "conversation_id": f"c-{number}"}
                for number in range(120)
            ],
        )
    await login(client, "boss")
    first = await (await client.get("/console/audit", params={"user": "anna"})).text()
    assert first.count('data-testid="audit-row"') == 50 and ">c-119<" in first
    next_url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = await (await client.get(next_url)).text()
    assert ">c-69<" in second and ">c-119<" not in second and "Første side" in second


# --- injection and escaping --------------------------------------------------------------------------

HOSTILE = [
    "' OR 1=1 --",
    '"',
    "*",
    ")",
    "NEAR(",
    "%",
    "'; DROP TABLE muni_conversations; --",
    '") OR ("1"="1',
    "\\",
    "-",
]


@pytest.mark.parametrize("hostile", HOSTILE)
async def test_sql_injection_in_search_and_filters_is_harmless(reviewer, hostile) -> None:
    everything = len((await (await reviewer.get("/console/api/conversations")).json())["conversations"])
    assert everything == 6
    for params in ({"q": hostile}, {"municipality": hostile}, {"intent": hostile}, {"q": f"pas {hostile}"}):
        response = await reviewer.get("/console/api/conversations", params=params)
        assert response.status == 200, (params, await response.text())
        found = (await response.json())["conversations"]
        assert len(found) < everything, params
        page = await reviewer.get("/console/conversations", params=params)
        assert page.status == 200
    assert (await reviewer.get("/console/api/conversations", params={"channel": hostile})).status == 400
    for control in ("\x00", "pas\x00", "\x1b[31m"):
        assert (
            await reviewer.get("/console/api/conversations", params={"q": control, "municipality": control})
        ).status == 200
    assert len((await (await reviewer.get("/console/api/conversations")).json())["conversations"]) == 6


async def test_html_is_always_shown_as_text(reviewer) -> None:
    listed = await (await reviewer.get("/console/conversations", params={"channel": "rest"})).text()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; hej med dig" in listed
    assert "<script" not in listed
    searched = await (
        await reviewer.get("/console/conversations", params={"q": '<script>alert(1)</script>"><img src=x>'})
    ).text()
    assert "<script" not in searched and "<img src=x>" not in searched
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x&gt;" in searched
    view = await (await reviewer.get("/console/conversations/rest-xss-5")).text()
    assert "<script" not in view and "&lt;script&gt;" in view
    missing = await (await reviewer.get("/console/conversations/%3Cscript%3Ealert(1)%3C%2Fscript%3E")).text()
    assert "<script" not in missing


async def test_every_page_has_the_security_headers_and_no_inline_code(client) -> None:
    login_page = await client.get("/console/login")
    assert login_page.headers["Content-Security-Policy"] == CSP
    await login(client, "boss")
    for path in (
        "/console/",
        "/console/conversations/phone-book-2",
        "/console/review",
        "/console/dashboard",
        "/console/audit",
        "/console/staff",
        "/console/findes-ikke",
        "/console/conversations/findes-ikke",
        "/console/conversations?date_from=x",
    ):
        response = await client.get(path)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (path, name)
        html = await response.text()
        assert '<html lang="da">' in html and "Spring til indhold" in html
        assert " style=" not in html and "<style" not in html and "<script" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path
    assert (await client.get("/console/findes-ikke")).status == 404
    assert "Siden findes ikke." in await (await client.get("/console/findes-ikke")).text()
