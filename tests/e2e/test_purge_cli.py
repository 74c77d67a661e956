"""`muni purge` against the tracker database the real Rasa stack writes (retention of conversations)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import post_json

pytestmark = pytest.mark.stack

MUNI = Path(sys.executable).parent / "muni"


def run_purge(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(MUNI), "purge", *args], capture_output=True, text=True, timeout=120, check=False)


def test_purge_keeps_recent_conversations_and_reports_in_danish(stack) -> None:
    config, tracker_db = stack
    status, _ = post_json(f"{config.rasa_url}/webhooks/rest/webhook", {"sender": "purge-check", "message": "hej"})
    assert status == 200
    dry = run_purge("--url", f"sqlite:///{tracker_db}", "--days", "90", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "ville slette 0 samtaler" in dry.stderr
    real = run_purge("--url", f"sqlite:///{tracker_db}", "--days", "1")
    assert real.returncode == 0 and "slettede 0 samtaler" in real.stderr


def test_purge_with_an_unusable_database_fails_clearly() -> None:
    failed = run_purge("--url", "sqlite:////nonexistent/folder/tracker.db", "--days", "30")
    assert failed.returncode == 1
    assert "Sletningen mislykkedes: tracker-databasen kunne ikke bruges" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_production_profile_needs_the_database_settings(tmp_path) -> None:
    env_free = subprocess.run(
        [str(MUNI), "purge"], capture_output=True, text=True, timeout=60, check=False,
        env={"PATH": "/usr/bin:/bin", "MUNI_PROFILE": "production", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert env_free.returncode != 0
    assert "MUNI_DB_HOST" in env_free.stderr
