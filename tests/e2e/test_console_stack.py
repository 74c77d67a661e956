"""The staff console on the database the real running Rasa writes: what a citizen wrote shows up, redacted.

The other console tests use seeded data; this one goes through the whole chain: REST channel ->
Rasa (real NLU) -> redacting tracker store + index -> console list, search and conversation view.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from test_booking_flow import Conversation

from muni_core.console import accounts
from muni_core.conversations.database import open_engine
from muni_core.conversations.schema import create_schema
from voice_gateway.app import create_app
from voice_gateway.settings import GatewaySettings

pytestmark = pytest.mark.stack
PASSWORD = "et-langt-kodeord-til-test"


def csrf_from(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


async def test_a_real_conversation_in_the_console(stack, aiohttp_client) -> None:
    config, tracker_db = stack
    url = f"sqlite:///{tracker_db}"
    engine = open_engine(url)
    create_schema(engine)
    username = f"rev{uuid.uuid4().hex[:6]}"
    accounts.add_staff(engine, username, PASSWORD, "reviewer")
    talk = Conversation(config)
    talk.say("hvordan fornyer jeg mit pas? mit cpr er 010384-1234", channel="web")
    talk.say("tak for hjælpen", channel="web")
    settings = GatewaySettings(rasa_url=config.rasa_url, database_url=url, console_secure_cookies=False)
    client = await aiohttp_client(create_app(settings))
    page = await client.get("/console/login")
    login = await client.post(
        "/console/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_from(await page.text()), "next": ""},
        allow_redirects=False,
    )
    assert login.status == 303, await login.text()

    listed = await (
        await client.get("/console/api/conversations", params={"channel": "web", "intent": "faq/pas"})
    ).json()
    assert talk.sender in [row["conversation_id"] for row in listed["conversations"]]
    found = await (await client.get("/console/api/conversations", params={"q": "fornyer"})).json()
    assert talk.sender in [row["conversation_id"] for row in found["conversations"]]
    assert not (await (await client.get("/console/api/conversations", params={"q": "010384"})).json())["conversations"]

    view = await client.get(f"/console/conversations/{talk.sender}")
    html = await view.text()
    assert view.status == 200
    assert "faq/pas" in html and "[CPR-nummer]" in html and "010384" not in html
    with engine.connect() as connection:
        opened = connection.execute(
            sa.text("SELECT count(*) FROM muni_audit_log WHERE username = :u AND conversation_id = :c"),
            {"u": username, "c": talk.sender},
        ).scalar_one()
    engine.dispose()
    assert opened >= 1
