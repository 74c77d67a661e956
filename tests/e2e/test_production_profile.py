"""The production profile for real: PostgreSQL tracker store and Redis lock store.

Uses the PostgreSQL (127.0.0.1:5432, database ``test``) and Redis (127.0.0.1:6379)
that run on every developer and CI machine; .ci/run starts them if they are down.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from conftest import TOKEN, free_port, get_json, post_json

from muni.config import MuniConfig
from muni.services import Stack, latest_model

pytestmark = pytest.mark.stack
DB_ENV = {
    "MUNI_DB_HOST": "127.0.0.1",
    "MUNI_DB_PORT": "5432",
    "MUNI_DB_NAME": "test",
    "MUNI_DB_USER": "postgres",
    "MUNI_DB_PASSWORD": "",
    "MUNI_REDIS_HOST": "127.0.0.1",
    "MUNI_REDIS_PORT": "6379",
}
SENDER_PREFIX = "e2e-prod-"


def pg_rows(sql: str, *params: object) -> list[tuple]:
    import subprocess

    query = sql.replace("%s", "'{}'").format(*params)
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-At", "-c", query],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [tuple(line.split("|")) for line in out.stdout.splitlines() if line]


@pytest.fixture(scope="module")
def production_stack() -> Iterator[MuniConfig]:
    model = latest_model()
    if model is None:
        pytest.fail("Ingen trænet model i models/. Kør 'make train'.")
    config = MuniConfig(
        rasa_port=free_port(), actions_port=free_port(), gateway_port=free_port(),
        rasa_token=TOKEN, profile="production",
    )  # fmt: skip
    running = Stack(config)
    with pytest.MonkeyPatch.context() as env:
        for key, value in DB_ENV.items():
            env.setenv(key, value)
        try:
            running.start(model)
            yield config
        finally:
            running.stop()
            pg_rows(f"DELETE FROM events WHERE sender_id LIKE '{SENDER_PREFIX}%'")  # noqa: S608 - constant prefix
            for table in ("muni_conversations", "muni_conversation_intents"):
                pg_rows(f"DELETE FROM {table} WHERE conversation_id LIKE '{SENDER_PREFIX}%'")  # noqa: S608


def test_conversation_is_stored_in_postgresql(production_stack: MuniConfig) -> None:
    sender = f"{SENDER_PREFIX}{uuid.uuid4().hex[:10]}"
    body = {"sender": sender, "message": "hvordan søger jeg om børnepenge", "metadata": {"municipality": "aarhus"}}
    status, reply = post_json(f"{production_stack.rasa_url}/webhooks/rest/webhook", body)
    assert status == 200 and reply[0]["text"]
    rows = pg_rows("SELECT type_name FROM events WHERE sender_id = %s", sender)
    assert ("user",) in rows and ("bot",) in rows
    # The redacting tracker store keeps the console's index in PostgreSQL too.
    assert pg_rows("SELECT municipality, user_turns FROM muni_conversations WHERE conversation_id = %s", sender) == [
        ("aarhus", "1")
    ]
    tracker = get_json(f"{production_stack.rasa_url}/conversations/{sender}/tracker?token={TOKEN}")
    assert tracker["slots"]["municipality"] == "aarhus"
