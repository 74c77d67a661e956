"""The dashboard: charts (with tables) of the last 7, 30 or 90 days."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from muni_core.console.dashboard import PERCENTILES, dashboard_stats
from voice_gateway.console.charts import danish_number, horizontal_bars, percent, stacked_bars
from voice_gateway.console.security import ConsoleError, run_db
from voice_gateway.console.views.pages import cached, channel_label, milliseconds, render, state_of

DASHBOARD_TTL_S = 60.0
DASHBOARD_PERIODS = (7, 30, 90)


def _dashboard_charts(stats: Mapping[str, Any]) -> dict[str, Any]:
    days = stats["days"]
    labels = [day.strftime("%d.%m") for day in days]
    series = [(channel_label(channel), values) for channel, values in stats["per_day"].items()]
    every = 1 if len(days) <= 10 else (3 if len(days) <= 31 else 10)
    share = [
        ("Klaret uden medarbejder", stats["containment"] or 0.0),
        ("Gik til fallback", stats["fallback_rate"] or 0.0),
    ]
    latency = [(f"Stemme-til-stemme {name}", stats["voice"][name] or 0.0) for name, _ in PERCENTILES] + [
        (f"Talegenkendelse {name}", stats["stt"][name] or 0.0) for name, _ in PERCENTILES
    ]
    total = stats["total"]
    return {
        "per_day": stacked_bars(
            labels,
            series,
            title="Samtaler pr. dag og kanal",
            description=f"{danish_number(total)} samtaler i alt over {len(days)} dage, stablet efter kanal.",
            chart_id="chart-per-day",
            label_every=every,
        ),
        "shares": horizontal_bars(
            share,
            title="Klaret uden medarbejder og fallback",
            description=(
                f"{percent(stats['containment'])} af samtalerne blev klaret uden medarbejder; "
                f"{percent(stats['fallback_rate'])} gik til fallback."
            ),
            chart_id="chart-shares",
            maximum=1.0,
            value_text=percent,
        ),
        "intents": horizontal_bars(
            stats["top_intents"],
            title="De hyppigste intents",
            description="Antal samtaler med hver intent, de 10 hyppigste.",
            chart_id="chart-intents",
        ),
        "faq": horizontal_bars(
            stats["top_faq"],
            title="De hyppigste FAQ-emner",
            description="Antal samtaler med hvert regelspørgsmål (faq/emne), de 10 hyppigste.",
            chart_id="chart-faq",
        ),
        "latency": horizontal_bars(
            latency,
            title="Svartid i telefonen (percentiler)",
            description=(
                f"Stemme-til-stemme p50 {milliseconds(stats['voice']['p50'])}, p90 "
                f"{milliseconds(stats['voice']['p90'])}, p95 {milliseconds(stats['voice']['p95'])} "
                f"over {stats['voice']['count']} ture."
            ),
            chart_id="chart-latency",
            value_text=milliseconds,
            label_width=240.0,
        ),
    }


async def dashboard(request: web.Request) -> web.Response:
    """Charts of the last 7, 30 or 90 days."""
    state = state_of(request)
    raw = request.query.get("days", "30")
    if raw not in {str(days) for days in DASHBOARD_PERIODS}:
        raise ConsoleError(400, "Ugyldig periode: vælg 7, 30 eller 90 dage.")
    days = int(raw)

    async def load() -> dict[str, Any]:
        return await run_db(request, dashboard_stats, days, state.clock())

    stats = await cached(state, f"dashboard:{days}", DASHBOARD_TTL_S, load)
    return render(
        request,
        "dashboard.html",
        active="dashboard",
        title="Overblik – Muni medarbejderkonsol",
        stats=stats,
        days=days,
        periods=DASHBOARD_PERIODS,
        charts=_dashboard_charts(stats),
        percentiles=[name for name, _ in PERCENTILES],
    )
