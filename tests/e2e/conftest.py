"""Start the real assistant once per test session: action server + Rasa with the trained model.

Nothing is mocked: the tests talk HTTP to Rasa 3.6 serving the model in models/,
with a SQLite tracker store in a temporary folder.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from muni.config import MuniConfig
from muni.services import Stack, latest_model
from tests.support.ports import free_port

TOKEN = "e2e-test-token"
# The assistant's clock in the end-to-end tests: Tuesday 1 December 2026, 09:00 (Europe/Copenhagen).
FIXED_NOW = "2026-12-01T09:00:00"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MuniConfig, Path]]:
    model = latest_model()
    if model is None:
        pytest.fail("Ingen trænet model i models/. Kør 'make train' (make test gør det selv).")
    folder = tmp_path_factory.mktemp("stack")
    tracker_db = folder / "tracker.db"
    endpoints = folder / "endpoints.yml"
    endpoints.write_text(
        "action_endpoint:\n  url: ${MUNI_ACTIONS_URL}\n"
        f"tracker_store:\n  type: muni_rasa.tracker_store.RedactingSQLTrackerStore\n  dialect: sqlite\n  db: {tracker_db}\n",
        encoding="utf-8",
    )
    config = MuniConfig(rasa_port=free_port(), actions_port=free_port(), gateway_port=free_port(), rasa_token=TOKEN)
    running = Stack(config, endpoints_file=endpoints)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MUNI_NOW", FIXED_NOW)
        env.setenv("MUNI_VAR_DIR", str(folder))  # the tracker store's data key (var/data_key) of this stack
        env.setenv("MUNI_BOOKING_DB_URL", f"sqlite:///{folder / 'bookings.db'}")
        try:
            running.start(model)
            yield config, tracker_db
        finally:
            running.stop()


def post_json(url: str, body: Any, raw: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = raw if raw is not None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as error:
        payload = error.read()
        try:
            return error.code, json.loads(payload)
        except ValueError:
            return error.code, payload.decode(errors="replace")


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as reply:
        return json.loads(reply.read())


def get_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code
