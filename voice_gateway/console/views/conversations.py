"""The conversation pages: the list and its JSON API, one conversation, its export, and "Forkert forstået".

The list takes its filters from the query string (:func:`parse_filters`; Danish 400 for bad values)
and pages with the opaque ``after`` cursor of :mod:`muni_core.console.listing`. A search on the list
page, every call of the list's JSON API, opening and exporting a conversation and marking a
correction are written to the audit log (search text redacted, :func:`muni_core.console.audit.describe_list`).
"""

from __future__ import annotations

import functools
import json
import logging
import re
import urllib.parse
from collections.abc import Mapping
from datetime import date
from typing import Any

import yaml
from aiohttp import web

from muni_core.console import listing, review
from muni_core.console.audit import LIST_API_ACTION, SEARCH_ACTION, describe_list
from muni_core.console.common import CHANNELS, PAGE_SIZE
from muni_core.console.conversation import export_document, load_conversation, user_event
from muni_core.paths import REPO_ROOT
from voice_gateway.console.security import PREFIX, SESSION, ConsoleError, run_db
from voice_gateway.console.views.pages import (
    CONTROL_CHARACTERS,
    audit,
    cached,
    channel_label,
    clean,
    iso_time,
    quote_segment,
    render,
    state_of,
)

logger = logging.getLogger(__name__)

CHOICES_TTL_S = 60.0
MAX_CONVERSATION_ID = 255
FILTER_FIELDS = (
    "date_from",
    "date_to",
    "channel",
    "municipality",
    "intent",
    "fallback",
    "handed_over",
    "rating",
    "q",
)
YES = {"ja", "yes", "true", "1"}
NO = {"nej", "no", "false", "0"}
_FILENAME = re.compile(r"[^A-Za-z0-9_.-]+")


def _parse_date(value: str, label: str) -> date | None:
    if not value:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as error:
        raise ConsoleError(400, f"Ugyldig dato i feltet '{label}': brug formatet ÅÅÅÅ-MM-DD.") from error


def _parse_yes_no(value: str, label: str) -> bool | None:
    if not value:
        return None
    lowered = value.lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    raise ConsoleError(400, f"Ugyldig værdi i feltet '{label}': vælg ja eller nej.")


def parse_filters(query: Mapping[str, str]) -> listing.ConversationFilter:
    """The list's filters from the query string; :class:`ConsoleError` (400, Danish) for bad values."""
    raw_query = query.get("q", "")
    if len(raw_query) > listing.MAX_QUERY_CHARS:
        raise ConsoleError(400, f"Søgeteksten må højst være {listing.MAX_QUERY_CHARS} tegn.")
    channel = clean(query.get("channel"), 64)
    if channel and channel not in CHANNELS:
        raise ConsoleError(400, "Ukendt kanal: vælg Chat, Telefon, Kiosk, Browser-tale eller API.")
    rating = clean(query.get("rating"), 16).lower()
    if rating and rating not in listing.RATINGS:
        raise ConsoleError(400, "Ugyldig vurdering: vælg ja, nej eller ingen.")
    municipality = clean(query.get("municipality"), 200)
    intent = clean(query.get("intent"), 200)
    if len(municipality) > 64 or len(intent) > 128:
        raise ConsoleError(400, "Kommune eller intent er for lang.")
    date_from = _parse_date(clean(query.get("date_from"), 20), "Fra dato")
    date_to = _parse_date(clean(query.get("date_to"), 20), "Til dato")
    if date_from and date_to and date_to < date_from:
        raise ConsoleError(400, "'Til dato' ligger før 'Fra dato'.")
    return listing.ConversationFilter(
        date_from=date_from,
        date_to=date_to,
        channel=channel or None,
        municipality=municipality or None,
        intent=intent or None,
        fallback=_parse_yes_no(clean(query.get("fallback"), 10), "Gik til fallback"),
        handed_over=_parse_yes_no(clean(query.get("handed_over"), 10), "Overdraget til medarbejder"),
        rating=rating or None,
        query=CONTROL_CHARACTERS.sub(" ", raw_query).strip() or None,
    )


def _cursor(query: Mapping[str, str]) -> str | None:
    after = query.get("after", "")
    if not after:
        return None
    try:
        listing.decode_cursor(after)
    except listing.InvalidCursor as error:
        raise ConsoleError(400, "Ugyldig sidemarkør. Gå til første side, og prøv igen.") from error
    return after


def _list_url(values: Mapping[str, str], after: str | None = None) -> str:
    query = {key: value for key, value in values.items() if value}
    if after:
        query["after"] = after
    return PREFIX + "/conversations" + ("?" + urllib.parse.urlencode(query) if query else "")


@functools.lru_cache(maxsize=1)
def taxonomy_intents() -> tuple[str, ...]:
    """Dialogue intents and ``faq/<topic>`` intents of ``taxonomy.yml`` (empty if it cannot be read)."""
    try:
        data = yaml.safe_load((REPO_ROOT / "taxonomy.yml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        logger.warning("taxonomy.yml could not be read; correction choices come from the data only")
        return ()
    names = [str(item["name"]) for item in data.get("dialogue_intents") or [] if isinstance(item, dict)]
    names += [f"faq/{item['name']}" for item in data.get("faq_topics") or [] if isinstance(item, dict)]
    return tuple(names)


async def filter_choices(request: web.Request) -> dict[str, list[str]]:
    """Municipalities and intents for the list's selects (cached for a minute)."""

    async def load() -> dict[str, list[str]]:
        return {
            "municipalities": await run_db(request, listing.distinct_municipalities),
            "intents": await run_db(request, listing.distinct_intents),
        }

    return await cached(state_of(request), "choices", CHOICES_TTL_S, load)


async def correction_intents(request: web.Request) -> list[str]:
    """What a reviewer can choose as the right intent: the taxonomy plus intents found in the data."""
    choices = await filter_choices(request)
    names = set(taxonomy_intents()) | set(choices["intents"])
    names.discard("nlu_fallback")
    return sorted(names)


# --- conversations -----------------------------------------------------------------------------------


async def conversation_list(request: web.Request) -> web.Response:
    """The conversation list with filters, search and keyset paging."""
    values = {key: clean(request.query.get(key), 250) for key in FILTER_FIELDS}
    rows: list[dict[str, Any]] = []
    next_cursor = None
    error = None
    status = 200
    after = None
    try:
        filters = parse_filters(request.query)
        after = _cursor(request.query)
        rows, next_cursor = await run_db(request, listing.list_conversations, filters, after)
        if filters.query:
            await audit(request, SEARCH_ACTION, None, describe_list(filters, len(rows), bool(after)))
    except ConsoleError as problem:
        error, status = problem.message, problem.status
    except listing.InvalidFilter as problem:
        error, status = str(problem), 400
    choices = await filter_choices(request)
    return render(
        request,
        "list.html",
        channel_options=[("", "Alle kanaler"), *CHANNELS.items()],
        municipality_options=_options("Alle kommuner", choices["municipalities"], values["municipality"]),
        intent_options=_options("Alle intents", choices["intents"], values["intent"]),
        status=status,
        active="conversations",
        title="Samtaler – Muni medarbejderkonsol",
        values=values,
        rows=rows,
        error=error,
        choices=choices,
        next_url=_list_url(values, next_cursor) if next_cursor else None,
        first_url=_list_url(values) if after else None,
        page_size=PAGE_SIZE,
    )


def _options(everything: str, names: list[str], current: str) -> list[tuple[str, str]]:
    options = [("", everything)] + [(name, name) for name in names]
    if current and current not in names:
        options.append((current, current))
    return options


def _api_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "conversation_id": row["conversation_id"],
        "channel": row["channel"],
        "channel_label": channel_label(row["channel"]),
        "municipality": row["municipality"],
        "started_at": row["started_at"],
        "last_at": row["last_at"],
        "started": iso_time(row["started_at"]),
        "last": iso_time(row["last_at"]),
        "user_turns": row["user_turns"],
        "first_message": row["first_message"],
        "intents": row["intents"],
        "fallback": row["fallback"],
        "handed_over": row["handed_over"],
        "rating": row["rating"],
        "url": f"{PREFIX}/conversations/{quote_segment(row['conversation_id'])}",
    }


async def api_conversations(request: web.Request) -> web.Response:
    """``GET /console/api/conversations``: the list as JSON (same filters, ``after`` cursor)."""
    try:
        filters = parse_filters(request.query)
        after = _cursor(request.query)
        rows, next_cursor = await run_db(request, listing.list_conversations, filters, after)
    except listing.InvalidFilter as problem:
        raise ConsoleError(400, str(problem)) from problem
    await audit(request, LIST_API_ACTION, None, describe_list(filters, len(rows), bool(after)))
    return web.json_response({"conversations": [_api_row(row) for row in rows], "next": next_cursor})


def _conversation_id(request: web.Request) -> str:
    conversation_id = request.match_info["conversation_id"]
    if not conversation_id or len(conversation_id) > MAX_CONVERSATION_ID or CONTROL_CHARACTERS.search(conversation_id):
        raise ConsoleError(404, "Samtalen findes ikke.")
    return conversation_id


async def _load(request: web.Request, conversation_id: str) -> dict[str, Any]:
    conversation = await run_db(request, load_conversation, conversation_id)
    if conversation is None:
        raise ConsoleError(404, "Samtalen findes ikke. Den kan være slettet efter udløb af opbevaringsperioden.")
    return conversation


async def conversation_view(request: web.Request) -> web.Response:
    """One conversation, turn by turn, with a "Forkert forstået" form on each citizen message."""
    conversation_id = _conversation_id(request)
    conversation = await _load(request, conversation_id)
    await audit(request, "open", conversation_id)
    event_ids = [turn["event_id"] for turn in conversation["turns"] if turn.get("event_id")]
    corrections = await run_db(request, review.corrections_for, event_ids)
    saved = request.query.get("rettet", "")
    return render(
        request,
        "conversation.html",
        active="conversations",
        title="Samtale – Muni medarbejderkonsol",
        conversation=conversation,
        summary=conversation["summary"] or {},
        turns=conversation["turns"],
        corrections=corrections,
        intent_choices=await correction_intents(request),
        saved=int(saved) if saved.isdigit() and len(saved) < 19 else None,
        id_segment=quote_segment(conversation_id),
    )


async def conversation_export(request: web.Request) -> web.Response:
    """The conversation as a JSON file (download)."""
    conversation_id = _conversation_id(request)
    conversation = await _load(request, conversation_id)
    await audit(request, "export", conversation_id)
    document = export_document(conversation)
    filename = "samtale-" + (_FILENAME.sub("_", conversation_id)[:80] or "eksport") + ".json"
    return web.Response(
        text=json.dumps(document, ensure_ascii=False, indent=2),
        content_type="application/json",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def mark_correction(request: web.Request) -> web.Response:
    """Store "Forkert forstået": the right intent of one citizen message."""
    state = state_of(request)
    conversation_id = _conversation_id(request)
    form = await request.post()
    raw_event = clean(str(form.get("event_id") or ""), 30)
    if not raw_event.isdigit() or len(raw_event) > 18:
        raise ConsoleError(400, "Ugyldigt besked-id.")
    event_id = int(raw_event)
    correct = clean(str(form.get("correct_intent") or ""), 200)
    if not correct or correct not in await correction_intents(request):
        raise ConsoleError(400, "Vælg den rigtige intent på listen.")
    message = await run_db(request, user_event, conversation_id, event_id)
    if message is None:
        raise ConsoleError(404, "Beskeden findes ikke i denne samtale.")
    session = request[SESSION]
    await run_db(
        request,
        review.save_correction,
        conversation_id=conversation_id,
        event_id=event_id,
        text=message["text"],
        predicted_intent=message["intent"],
        correct_intent=correct,
        reviewer=session.username,
        now=state.clock(),
    )
    await audit(request, "mark_correction", conversation_id, f"besked {event_id}: {message['intent']} -> {correct}")
    location = f"{PREFIX}/conversations/{quote_segment(conversation_id)}?rettet={event_id}#besked-{event_id}"
    return web.Response(status=303, headers={"Location": location})
