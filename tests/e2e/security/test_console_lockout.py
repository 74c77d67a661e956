"""Attack: an outsider tries to lock a member of staff out of the console (issue 13), against the real gateway.

The gateway (``voice_gateway.app.create_app`` with a tracker database: the console as deployed) runs
on a real aiohttp server on a free loopback port; every request is real HTTP from a real source
address: each "machine" is a client bound to its own 127.0.0.N (Linux routes all of 127/8 to
loopback), so the console sees a different ``request.remote`` for each. Nothing in the server is
replaced; only the test accounts' stored hashes use cheap argon2 parameters (verification uses the
parameters stored with the hash), so that dozens of wrong guesses take seconds, not minutes.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp import web
from argon2 import PasswordHasher

from muni_core.console import accounts
from muni_core.conversations.schema import audit_log, create_schema, login_failures
from tests.support.ports import free_port
from voice_gateway.app import create_app
from voice_gateway.settings import GatewaySettings

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="needs the whole of 127/8 on loopback (Linux)")

PASSWORD = "en-lang-saetning-om-sommerhuset"
LAPTOP, OFFICE, SPRAYER = "127.0.0.2", "127.0.0.3", "127.0.0.30"
OUTSIDERS = [f"127.0.0.{number}" for number in range(20, 25)]
DEVICE = "muni_console_device"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, sa.engine.Engine]]:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = sa.create_engine(url)
    create_schema(engine)
    with monkeypatch.context() as cheap:
        cheap.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
        accounts.add_staff(engine, "anna", PASSWORD, "reviewer")
        accounts.add_staff(engine, "boss", PASSWORD, "admin")
        for number in range(22):
            accounts.add_staff(engine, f"kollega{number:02}", PASSWORD, "reviewer")
    yield url, engine
    engine.dispose()


@pytest.fixture
async def gateway(database) -> AsyncIterator[str]:
    url, _engine = database
    app = create_app(GatewaySettings(database_url=url, console_secure_cookies=False))
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def machine(gateway: str, address: str, device: str | None = None) -> AsyncIterator[aiohttp.ClientSession]:
    """A browser on a machine with source address ``address`` (holding a known-device cookie if given)."""
    connector = aiohttp.TCPConnector(local_addr=(address, 0), force_close=True)
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(base_url=gateway, connector=connector, cookie_jar=jar) as session:
        if device:
            jar.update_cookies({DEVICE: device})
        yield session


async def login(session: aiohttp.ClientSession, username: str, password: str) -> aiohttp.ClientResponse:
    page = await session.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text()).group(1)
    response = await session.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": token, "next": ""},
        allow_redirects=False,
    )
    await response.read()
    return response


def device_of(session: aiohttp.ClientSession) -> str:
    return next(cookie.value for cookie in session.cookie_jar if cookie.key == DEVICE)


async def test_fifty_outsider_failures_do_not_lock_anna_out(gateway: str, database) -> None:
    _url, engine = database
    async with machine(gateway, LAPTOP) as laptop:  # anna's own browser, before the attack
        assert (await login(laptop, "anna", PASSWORD)).status == 303
        known_device = device_of(laptop)

    statuses = []
    for number in range(50):
        async with machine(gateway, OUTSIDERS[number % len(OUTSIDERS)]) as outsider:
            response = await login(outsider, "anna", f"gaet-nummer-{number}")
            statuses.append(response.status)
            if response.status == 429:
                assert 0 < int(response.headers["Retry-After"]) <= 60
                assert re.search(
                    r"For mange mislykkede forsøg\. Prøv igen om 1 minut \(kl\. \d\d\.\d\d\)\.", await response.text()
                )
    assert statuses.count(401) == 25 and statuses.count(429) == 25

    async with machine(gateway, OUTSIDERS[0]) as outsider:  # the attacker's own address is locked for anna ...
        assert (await login(outsider, "anna", PASSWORD)).status == 429
    async with machine(gateway, OFFICE) as office:  # ... anna at her office is not
        assert (await login(office, "anna", PASSWORD)).status == 303
        assert (await office.get("/console/", allow_redirects=False)).status == 200
    async with machine(gateway, OUTSIDERS[0], device=known_device) as laptop:  # nor her laptop, even there
        assert (await login(laptop, "anna", PASSWORD)).status == 303
        assert (await laptop.get("/console/", allow_redirects=False)).status == 200

    with engine.connect() as connection:
        alerts = connection.execute(
            sa.select(audit_log.c.detail).where(audit_log.c.action == "alert", audit_log.c.username == "anna")
        ).all()
    assert len(alerts) == 1 and "fra 5 adresser" in alerts[0].detail
    async with machine(gateway, OFFICE) as boss:
        assert (await login(boss, "boss", PASSWORD)).status == 303
        page = await (await boss.get("/console/audit", params={"user": "anna"})).text()
    assert 'data-action="alert"' in page and "Advarsel: muligt angreb på login" in page


async def test_an_address_spraying_many_users_waits_longer_each_time(gateway: str, database) -> None:
    _url, engine = database

    def age_failures(seconds: float) -> None:
        """Move the sprayer's failures back in time (as if the wait had passed)."""
        with engine.begin() as connection:
            connection.execute(
                sa.update(login_failures)
                .where(login_failures.c.remote == SPRAYER)
                .values(at=login_failures.c.at - seconds)
            )

    async with machine(gateway, SPRAYER) as sprayer:
        for number in range(20):
            assert (await login(sprayer, f"kollega{number:02}", "forkert-gaet-her")).status == 401
        waits = []
        for number in (20, 21):
            refused = await login(sprayer, "anna", PASSWORD)
            assert refused.status == 429
            waits.append(int(refused.headers["Retry-After"]))
            age_failures(waits[-1] + 1)
            assert (await login(sprayer, f"kollega{number:02}", "forkert-gaet-her")).status == 401
        refused = await login(sprayer, "boss", PASSWORD)
        assert refused.status == 429
        waits.append(int(refused.headers["Retry-After"]))
    assert 55 <= waits[0] <= 60 and 115 <= waits[1] <= 120 and 235 <= waits[2] <= 240
    async with machine(gateway, OFFICE) as office:  # other addresses are not affected
        assert (await login(office, "anna", PASSWORD)).status == 303
