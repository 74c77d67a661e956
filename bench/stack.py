"""A throw-away assistant stack for the benchmarks: free loopback ports, temporary tracker and booking databases."""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path

from muni.config import MuniConfig
from muni.services import Stack
from tests.support.ports import free_port

BENCH_NOW = "2026-12-01T07:00:00"  # a Tuesday morning, so every weekday of the week has free times
BENCH_TOKEN = "bench"  # noqa: S105 - token of a throw-away loopback server


def bench_stack(config: MuniConfig, prefix: str) -> tuple[Stack, MuniConfig]:
    """A stack (not started) on free ports with its own SQLite tracker and booking databases and a fixed clock."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    endpoints = folder / "endpoints.yml"
    endpoints.write_text(
        f"action_endpoint:\n  url: ${{MUNI_ACTIONS_URL}}\ntracker_store:\n"
        "  type: muni_rasa.tracker_store.RedactingSQLTrackerStore\n  dialect: sqlite\n"
        f"  db: {folder / 'tracker.db'}\n",
        encoding="utf-8",
    )
    os.environ["MUNI_NOW"] = BENCH_NOW
    os.environ["MUNI_BOOKING_DB_URL"] = f"sqlite:///{folder / 'bookings.db'}"
    bench_config = replace(
        config, rasa_port=free_port(), actions_port=free_port(), gateway_port=free_port(), rasa_token=BENCH_TOKEN
    )
    return Stack(bench_config, endpoints_file=endpoints), bench_config
