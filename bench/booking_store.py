"""Booking-store benchmark: bookings per second with N concurrent clients (PostgreSQL by default).

Each client books random free slots of a large calendar (capacity 2) until the total is
reached; a second run lets all clients fight over 10 slots to measure the refusal path.
Runs in its own PostgreSQL schema, dropped afterwards. Via ``muni bench booking``.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import create_engine, text

from actions.booking_store import SlotTaken, SqlBookingProvider
from actions.settings import TIMEZONE
from bench.stats import percentile


def run(provider: SqlBookingProvider, clients: int, total: int, slots: list[datetime]) -> dict:
    """Book ``total`` times from ``clients`` threads; return throughput and latency."""
    counter = iter(range(total))
    lock = threading.Lock()
    latencies: list[float] = []
    outcome = {"booked": 0, "refused": 0}

    def client(index: int) -> None:
        rng = random.Random(index)
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            start = time.perf_counter()
            try:
                provider.book("bench", "jobcenter", rng.choice(slots), 2, "Bench Borger", "20304050", "bench")
                key = "booked"
            except SlotTaken:
                key = "refused"
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                latencies.append(elapsed)
                outcome[key] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client, range(clients)))
    seconds = time.perf_counter() - started
    return {
        **outcome,
        "seconds": round(seconds, 2),
        "requests_per_s": round(total / seconds, 1),
        "bookings_per_s": round(outcome["booked"] / seconds, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
    }


def main() -> int:
    """Entry point: python -m bench.booking_store --url postgresql+psycopg2://… --clients 20."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="postgresql+psycopg2://postgres@127.0.0.1:5432/test")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--bookings", type=int, default=2000)
    args = parser.parse_args()
    schema = f"muni_bench_{secrets.token_hex(4)}"
    admin = create_engine(args.url, future=True)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_engine(
        args.url, future=True, pool_size=args.clients, max_overflow=5,
        connect_args={"options": f"-csearch_path={schema}"},
    )  # fmt: skip
    try:
        provider = SqlBookingProvider(args.url, engine=engine)
        first = datetime(2027, 1, 4, 8, tzinfo=TIMEZONE)
        wide = [first + timedelta(minutes=30 * i) for i in range(20000)]
        spread = run(provider, args.clients, args.bookings, wide)
        contended = run(
            provider, args.clients, 500, [first - timedelta(days=7) + timedelta(minutes=30 * i) for i in range(10)]
        )
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    result = {"database": args.url.split("@")[-1], "clients": args.clients, "spread": spread, "contended": contended}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
