"""The review page: corrections reviewers marked, and their download as Rasa NLU data."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from muni_core.console import review
from muni_core.console.common import COPENHAGEN
from voice_gateway.console.security import PREFIX, run_db
from voice_gateway.console.views.pages import audit, render, state_of

REVIEW_LIMIT = 500


async def review_page(request: web.Request) -> web.Response:
    """Corrections (not yet exported first) and the export button."""
    rows = await run_db(request, review.pending_corrections, True, REVIEW_LIMIT)
    counts = await run_db(request, review.correction_counts)
    notice = {"tom": "Der er ingen nye rettelser at eksportere."}.get(request.query.get("eksport", ""))
    return render(
        request,
        "review.html",
        active="review",
        title="Rettelser – Muni medarbejderkonsol",
        rows=rows,
        total=counts["total"],
        pending=counts["pending"],
        notice=notice,
    )


async def review_export(request: web.Request) -> web.Response:
    """Download the pending corrections as Rasa NLU YAML and mark them exported."""
    state = state_of(request)
    rows = await run_db(request, review.pending_corrections, False)
    if not rows:
        return web.Response(status=303, headers={"Location": PREFIX + "/review?eksport=tom"})
    text = review.corrections_to_nlu_yaml(rows)
    await run_db(request, review.mark_exported, [row["id"] for row in rows], state.clock())
    await audit(request, "export_corrections", None, f"{len(rows)} rettelser")
    stamp = datetime.fromtimestamp(state.clock(), COPENHAGEN).strftime("%Y%m%d-%H%M")
    return web.Response(
        text=text,
        content_type="application/x-yaml",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="rettelser-nlu-{stamp}.yml"'},
    )
