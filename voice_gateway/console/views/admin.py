"""The administrators' pages: the audit log and the list of accounts."""

from __future__ import annotations

import urllib.parse

from aiohttp import web

from muni_core.console import accounts
from muni_core.console.audit import audit_usernames, list_audit
from voice_gateway.console.security import PREFIX, ConsoleError, admin_only, run_db
from voice_gateway.console.views.pages import clean, render


@admin_only
async def audit_page(request: web.Request) -> web.Response:
    """The audit log, newest first, 50 a page, optionally of one user."""
    user = clean(request.query.get("user"), 200)
    if len(user) > 64:
        raise ConsoleError(400, "Brugernavnet er for langt.")
    raw_before = request.query.get("before", "")
    if raw_before and (not raw_before.isdigit() or len(raw_before) > 18):
        raise ConsoleError(400, "Ugyldig sidemarkør.")
    before = int(raw_before) if raw_before else None
    rows, next_before = await run_db(request, list_audit, user or None, before)
    users = await run_db(request, audit_usernames)

    def page_url(value: int | None) -> str:
        query = {key: str(item) for key, item in (("user", user), ("before", value)) if item}
        return PREFIX + "/audit" + ("?" + urllib.parse.urlencode(query) if query else "")

    return render(
        request,
        "audit.html",
        active="audit",
        title="Revisionslog – Muni medarbejderkonsol",
        rows=rows,
        users=users,
        user=user,
        next_url=page_url(next_before) if next_before else None,
        first_url=page_url(None) if before else None,
    )


@admin_only
async def staff_page(request: web.Request) -> web.Response:
    """The console's accounts (managed with ``muni staff``)."""
    rows = await run_db(request, accounts.list_staff)
    return render(request, "staff.html", active="staff", title="Medarbejdere – Muni medarbejderkonsol", rows=rows)
