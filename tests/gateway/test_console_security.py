"""Security of the staff console: login, sessions, CSRF, throttling, roles, headers, injection and escaping.

Every route of the console sub-application is read from its router, so a route added later is
covered by the access and CSRF tests without touching this file. The database, accounts and the
fake clock come from the view tests' fixtures (``test_console_views``).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import urllib.parse
from collections.abc import AsyncIterator

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp import web
from test_console_views import (  # noqa: F401 - the *_fixture names are pytest fixtures shared with the view tests
    NOW,
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

from muni_core.console.sessions import device_key, sign_device
from muni_core.conversations.schema import audit_log, create_schema, login_failures, staff_sessions
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


# --- an outsider cannot lock staff out (issue 13) ----------------------------------------------------
#
# Every "address" below is a real source address: a client session bound to 127.0.0.N (Linux routes
# the whole of 127/8 to loopback), so the console sees it as request.remote.

OUTSIDERS = [f"127.0.0.{number}" for number in range(20, 25)]
DEVICE = "muni_console_device"


@contextlib.asynccontextmanager
async def browser_at(client, address: str) -> AsyncIterator[aiohttp.ClientSession]:
    """A browser of its own (cookie jar and all) whose requests come from ``address``."""
    connector = aiohttp.TCPConnector(local_addr=(address, 0), force_close=True)
    async with aiohttp.ClientSession(
        base_url=str(client.make_url("/")), connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        yield session


def device_cookie(session) -> str | None:
    found = [cookie.value for cookie in session.cookie_jar if cookie.key == DEVICE]
    return found[0] if found else None


async def outsider_attack(client, attempts: int, username: str = "anna") -> list[int]:
    """``attempts`` wrong passwords for ``username``, spread over the OUTSIDERS addresses; their statuses."""
    statuses = []
    for number in range(attempts):
        async with browser_at(client, OUTSIDERS[number % len(OUTSIDERS)]) as outsider:
            statuses.append((await login(outsider, username, f"gaet-{number}-forkert")).status)
    return statuses


def alerts(engine: sa.engine.Engine, username: str = "anna") -> list[dict]:
    return [row for row in audit_rows(engine) if row["action"] == "alert" and row["username"] == username]


async def test_an_outsider_failing_50_times_does_not_lock_anna_out(client, engine) -> None:
    async with browser_at(client, "127.0.0.2") as laptop:  # anna's own browser, used before the attack
        assert (await login(laptop, "anna")).status == 303
        known_device = device_cookie(laptop)
    assert known_device

    statuses = await outsider_attack(client, 50)
    assert statuses.count(401) == 5 * len(OUTSIDERS)  # five guesses per address ...
    assert statuses.count(429) == 50 - 5 * len(OUTSIDERS)  # ... then the address waits, right password or not
    async with browser_at(client, OUTSIDERS[0]) as outsider:
        refused = await login(outsider, "anna", PASSWORD)
        assert refused.status == 429

    # anna from an address without failures: in at once
    async with browser_at(client, "127.0.0.3") as office:
        assert (await login(office, "anna")).status == 303
    # anna's known browser, now behind the attacker's own address: in at once as well
    async with browser_at(client, OUTSIDERS[0]) as laptop_on_the_road:
        laptop_on_the_road.cookie_jar.update_cookies({DEVICE: known_device})
        response = await login(laptop_on_the_road, "anna")
        assert response.status == 303, await response.text()
        assert (await laptop_on_the_road.get("/console/", allow_redirects=False)).status == 200


def tampered(cookie: str) -> str:
    """``cookie`` with its payload rewritten to name anna (the signature left as it was)."""
    import base64

    payload, signature = cookie.split(".")
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    rewritten = base64.urlsafe_b64encode(decoded.replace("boss:", "anna:", 1).encode()).decode().rstrip("=")
    return rewritten + "." + signature


async def test_a_forged_or_borrowed_device_cookie_does_not_get_past_the_throttle(client, engine) -> None:
    async with browser_at(client, "127.0.0.2") as boss_browser:
        assert (await login(boss_browser, "boss")).status == 303
        boss_device = device_cookie(boss_browser)
    await outsider_attack(client, 5 * len(OUTSIDERS))  # every outsider address now waits for anna
    key = device_key(engine)
    forged = [
        "",
        "x.y",
        boss_device,  # a real cookie, but of another user
        sign_device(b"not-the-key" * 3, "anna", NOW),  # signed with another key
        sign_device(key, "anna", NOW - 31 * 86400),  # too old
        tampered(boss_device),  # boss's cookie, re-labelled as anna's without the key
    ]
    for value in forged:
        async with browser_at(client, OUTSIDERS[0]) as outsider:
            outsider.cookie_jar.update_cookies({DEVICE: value})
            assert (await login(outsider, "anna", PASSWORD)).status == 429, value


async def test_a_known_device_is_throttled_by_its_own_failures(client, clock: Clock) -> None:
    assert (await login(client, "anna")).status == 303  # the client now holds anna's device cookie
    for attempt in range(5):
        assert (await login(client, "anna", f"forkert-{attempt}")).status == 401
    stolen_laptop = await login(client, "anna", PASSWORD)
    assert stolen_laptop.status == 429 and stolen_laptop.headers["Retry-After"] == "60"
    clock.now += 61
    assert (await login(client, "anna")).status == 303


def retry_minutes(html: str) -> int:
    found = re.search(r"Prøv igen om (\d+) minut(?:ter)? \(kl\. \d\d\.\d\d\)\.", html)
    assert found, html
    return int(found.group(1))


async def test_the_wait_doubles_per_address_and_user(client, clock: Clock) -> None:
    async with browser_at(client, "127.0.0.4") as guesser:
        for attempt in range(5):
            assert (await login(guesser, "anna", f"forkert-{attempt}")).status == 401
        waits = []
        for _ in range(4):
            refused = await login(guesser, "anna", PASSWORD)
            assert refused.status == 429
            waits.append((int(refused.headers["Retry-After"]), retry_minutes(await refused.text())))
            clock.now += int(refused.headers["Retry-After"]) - 2
            assert (await login(guesser, "anna", PASSWORD)).status == 429  # not yet
            clock.now += 3
            assert (await login(guesser, "anna", "stadig-forkert")).status == 401
        assert waits == [(60, 1), (120, 2), (240, 4), (480, 8)]
        for _ in range(4):
            clock.now += 3601
            assert (await login(guesser, "anna", "stadig-forkert")).status == 401
        assert (await login(guesser, "anna", PASSWORD)).headers["Retry-After"] == "3600"  # capped at an hour


async def test_the_wait_grows_per_address_across_users_and_spares_other_addresses(client, clock: Clock) -> None:
    async with browser_at(client, "127.0.0.5") as sprayer:
        for number in range(20):
            assert (await login(sprayer, f"bruger{number}", "forkert-kodeord")).status == 401
        waits = []
        for number in range(3):
            refused = await login(sprayer, "anna", PASSWORD)
            assert refused.status == 429
            assert "For mange mislykkede forsøg. Prøv igen om" in await refused.text()
            waits.append(int(refused.headers["Retry-After"]))
            clock.now += waits[-1] + 1
            assert (await login(sprayer, f"ny-bruger{number}", "forkert-kodeord")).status == 401
        assert waits == [60, 120, 240]
        async with browser_at(client, "127.0.0.6") as neighbour:
            assert (await login(neighbour, "anna")).status == 303
        clock.now += 3600 + 1  # an hour without failures from the address
        assert (await login(sprayer, "anna")).status == 303


async def test_a_burst_against_one_user_writes_one_alert_shown_on_the_audit_page(client, engine, clock: Clock) -> None:
    await outsider_attack(client, 19)
    assert alerts(engine) == []  # not yet a burst
    await outsider_attack(client, 31)
    found = alerts(engine)
    assert len(found) == 1  # once per window, however long the attack goes on
    assert "20 mislykkede loginforsøg" in found[0]["detail"] and "5 adresser" in found[0]["detail"]
    assert OUTSIDERS[0] in found[0]["detail"]
    await login(client, "boss")
    page = await (await client.get("/console/audit", params={"user": "anna"})).text()
    assert 'data-action="alert"' in page and "Advarsel: muligt angreb på login" in page
    clock.now += 15 * 60 + 1
    await outsider_attack(client, 20)
    assert len(alerts(engine)) == 2  # a new window, a new alert


async def test_many_failures_from_one_address_are_no_alert(client, engine) -> None:
    async with browser_at(client, "127.0.0.7") as typo_prone:
        for attempt in range(30):
            await login(typo_prone, "anna", f"forkert-{attempt}")
    assert alerts(engine) == []


async def test_the_known_device_cookie_is_signed_and_locked_down(aiohttp_client, db_url, engine) -> None:
    app = web.Application()
    setup_database(app, db_url)
    setup_console(app)  # cookie_secure defaults to True
    client = await aiohttp_client(app)
    page = await client.get("/console/login")
    token = csrf_from(await page.text())
    response = await client.post(
        "/console/login",
        data={"username": "anna", "password": PASSWORD, "csrf_token": token},
        headers={"Cookie": f"muni_console_login={token}"},
        allow_redirects=False,
    )
    assert response.status == 303
    header = next(value for value in response.headers.getall("Set-Cookie") if value.startswith(DEVICE + "="))
    for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/console", "Max-Age=2592000"):
        assert flag in header, header
    value = header.split(";")[0].split("=", 1)[1]
    assert "anna" not in value and re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}", value)


async def test_older_login_failure_tables_get_the_new_columns(tmp_path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "CREATE TABLE muni_login_failures (id INTEGER PRIMARY KEY, username VARCHAR(64) NOT NULL, "
                "remote VARCHAR(64) NOT NULL, at FLOAT NOT NULL)"
            )
        )
        connection.execute(sa.text("INSERT INTO muni_login_failures (username, remote, at) VALUES ('anna', 'x', 1)"))
    create_schema(engine)
    create_schema(engine)  # idempotent
    columns = {column["name"] for column in sa.inspect(engine).get_columns("muni_login_failures")}
    assert {"device", "blocked"} <= columns
    with engine.connect() as connection:
        assert connection.execute(sa.select(login_failures.c.username, login_failures.c.device)).all() == [
            ("anna", None)
        ]
    engine.dispose()


# --- searches and the list API are audited -----------------------------------------------------------


async def test_searches_and_list_api_calls_are_in_the_audit_log_redacted(reviewer, engine) -> None:
    before = len(audit_rows(engine))
    assert (await reviewer.get("/console/conversations", params={"channel": "phone"})).status == 200
    assert len(audit_rows(engine)) == before  # browsing the list without a search is not a search
    pasted = "pas 010384-1234 anna@example.dk"
    assert (await reviewer.get("/console/conversations", params={"q": pasted, "channel": "web"})).status == 200
    api = await reviewer.get("/console/api/conversations", params={"q": "pas", "municipality": "ring 20 30 40 50"})
    assert api.status == 200
    assert (await reviewer.get("/console/api/conversations")).status == 200
    rows = audit_rows(engine)[before:]
    assert [(row["username"], row["action"], row["conversation_id"]) for row in rows] == [
        ("anna", "search", None),
        ("anna", "list_api", None),
        ("anna", "list_api", None),
    ]
    search, api_search, api_all = (row["detail"] for row in rows)
    assert "søgning: »pas [CPR-nummer] [e-mail]«" in search and "kanal=web" in search
    assert "kommune=ring [telefonnummer]" in api_search and "søgning: »pas«" in api_search
    assert api_all == "6 vist"
    stored = " ".join(row["detail"] for row in audit_rows(engine))
    for secret in ("010384", "1234", "anna@example.dk", "20 30 40 50"):
        assert secret not in stored


async def test_audited_searches_show_on_the_audit_page(client, engine) -> None:
    await login(client, "anna")
    await client.get("/console/conversations", params={"q": "flytning 0103841234"})
    await client.get("/console/api/conversations", params={"channel": "phone"})
    await login(client, "boss")
    page = await (await client.get("/console/audit", params={"user": "anna"})).text()
    assert "Søgte i samtaler" in page and "Hentede samtaleliste (API)" in page
    assert "[CPR-nummer]" in page and "0103841234" not in page
