"""``muni bench booking``: store throughput and the per-turn time of booking conversations."""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time
import urllib.request
import uuid

from bench.stack import bench_stack
from muni.config import MuniConfig
from muni.services import eprint, latest_model, rasa_env, require_rasa_env, train
from muni_core.danish.calendar import WEEKDAY_NAMES
from muni_core.paths import RASA_PYTHON, REPO_ROOT, REPORTS_DIR

CONVERSATION = [
    "jeg vil gerne booke en tid hos jobcentret",
    "{day} klokken {hour}",
    "Mette Hansen",
    "20 30 40 50",
    "ja",
]
DAYS = WEEKDAY_NAMES[:5]


def _say(config: MuniConfig, sender: str, text: str) -> tuple[float, list]:
    body = json.dumps({"sender": sender, "message": text, "metadata": {"municipality": "frederikshavn"}}).encode()
    request = urllib.request.Request(
        f"{config.rasa_url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as reply:
        messages = json.loads(reply.read())
    return (time.perf_counter() - start) * 1000, messages


def conversation_latency(conversations: int, config: MuniConfig) -> dict:
    """Run complete booking conversations through the REST channel of a fresh stack."""
    model = latest_model() or train()
    stack, bench_config = bench_stack(config, "muni-bench-booking-")
    per_turn: list[float] = []
    booked = 0
    try:
        stack.start(model)
        _say(bench_config, "warm-up", "hej")
        for index in range(conversations):
            sender = f"bench-{uuid.uuid4().hex[:8]}"
            for turn in CONVERSATION:
                text = turn.format(day=DAYS[index % 5], hour=9 + (index // 5) % 3)  # within every weekday's hours
                elapsed, messages = _say(bench_config, sender, text)
                per_turn.append(elapsed)
            booked += any("er booket" in (m.get("text") or "") for m in messages)
    finally:
        stack.stop()
    per_turn.sort()
    return {
        "conversations": conversations,
        "completed_bookings": booked,
        "turns": len(per_turn),
        "p50_ms": round(statistics.median(per_turn)),
        "p95_ms": round(per_turn[int(0.95 * (len(per_turn) - 1))]),
    }


def run_booking_bench(args: argparse.Namespace, config: MuniConfig) -> int:
    """Both benchmarks; figures printed and written to reports/booking-bench.json."""
    require_rasa_env()
    eprint(f"== Booking-lager: {args.clients} samtidige klienter mod {args.db_url.split('@')[-1]}")
    store = subprocess.run(  # noqa: S603 - our own module
        [str(RASA_PYTHON), "-m", "bench.booking_store", "--url", args.db_url, "--clients", str(args.clients),
         "--bookings", str(args.bookings)],
        cwd=REPO_ROOT, env=rasa_env(config), capture_output=True, text=True, check=True,
    )  # fmt: skip
    store_figures = json.loads(store.stdout)
    eprint(json.dumps(store_figures, indent=2))
    eprint(f"== {args.conversations} hele bookingsamtaler gennem REST-kanalen")
    conversation = conversation_latency(args.conversations, config)
    eprint(json.dumps(conversation, indent=2))
    REPORTS_DIR.mkdir(exist_ok=True)
    report = {"store": store_figures, "conversation": conversation}
    (REPORTS_DIR / "booking-bench.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    spread = store_figures["spread"]
    print(
        f"\nbookinger/s (PostgreSQL, {args.clients} klienter): {spread['bookings_per_s']}  "
        f"(p50 {spread['p50_ms']} ms, p95 {spread['p95_ms']} ms pr. booking)\n"
        f"samtale pr. tur gennem REST: p50 {conversation['p50_ms']} ms, p95 {conversation['p95_ms']} ms "
        f"({conversation['completed_bookings']}/{conversation['conversations']} bookinger gennemført)"
    )
    return 0
