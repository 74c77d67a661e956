"""The console's pages and API (aiohttp handlers, Jinja2 templates with autoescaping).

Who may call what is decided by :func:`voice_gateway.console.security.guard` from the marks on
each handler (``@public``, ``@admin_only``; unmarked = any logged-in member of staff). Database
work runs in worker threads (:meth:`ConsoleState.run`). Bad input gets a Danish 400 or 404.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import jinja2
import yaml
from aiohttp import web

from muni_core.paths import REPO_ROOT
from voice_gateway.console import accounts, review, store
from voice_gateway.console.charts import danish_number, horizontal_bars, percent, stacked_bars
from voice_gateway.console.security import (
    COOKIE_NAME,
    CSRF_MESSAGE,
    EXPIRED_MESSAGE,
    IDLE_MESSAGE,
    LOGIN_COOKIE_NAME,
    LOGIN_FAILED_MESSAGE,
    PREFIX,
    SESSION,
    STATE,
    THROTTLED_MESSAGE,
    ConsoleError,
    ConsoleState,
    admin_only,
    clear_cookie,
    clear_failures,
    create_session,
    delete_session,
    is_throttled,
    new_token,
    normalize_username,
    public,
    purge_sessions,
    record_failure,
    safe_next,
    same_token,
    set_cookie,
    token_hash,
)

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
TEMPLATE_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
STATIC_FILES = {"console.css": "text/css"}
TEMPLATES = web.AppKey("console_templates", jinja2.Environment)
CHOICES_TTL_S = 60.0
DASHBOARD_TTL_S = 60.0
DASHBOARD_PERIODS = (7, 30, 90)
MAX_CONVERSATION_ID = 255
MAX_FIELD_CHARS = 1000
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
RATING_LABELS = {"yes": "Ja", "no": "Nej"}
AUDIT_ACTIONS = {
    "login": "Logget ind",
    "login_failed": "Mislykket login",
    "logout": "Logget ud",
    "open": "Åbnede samtale",
    "export": "Eksporterede samtale",
    "export_corrections": "Eksporterede rettelser",
    "mark_correction": "Markerede rettelse",
}
ROLE_LABELS = {"admin": "Administrator", "reviewer": "Gennemlæser"}
NAV = (
    ("conversations", "/", "Samtaler", False),
    ("review", "/review", "Rettelser", False),
    ("dashboard", "/dashboard", "Overblik", False),
    ("audit", "/audit", "Revisionslog", True),
    ("staff", "/staff", "Medarbejdere", True),
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FILENAME = re.compile(r"[^A-Za-z0-9_.-]+")

T = TypeVar("T")


# --- templates ---------------------------------------------------------------------------------------


def format_time(timestamp: float | None, with_seconds: bool = False) -> str:
    """``dd.mm.åååå tt:mm`` in Europe/Copenhagen (``–`` for None)."""
    moment = store.local_time(timestamp)
    if moment is None:
        return "–"
    return moment.strftime("%d.%m.%Y %H:%M:%S" if with_seconds else "%d.%m.%Y %H:%M")


def iso_time(timestamp: float | None) -> str:
    """ISO 8601 with offset, for ``<time datetime>`` and the API."""
    moment = store.local_time(timestamp)
    return moment.isoformat(timespec="seconds") if moment else ""


def channel_label(channel: str | None) -> str:
    """Danish name of an input channel."""
    if not channel:
        return "Ukendt"
    return store.CHANNELS.get(channel, channel)


def milliseconds(value: float | None) -> str:
    """``1234.5`` -> ``1.235 ms``."""
    return "–" if value is None else f"{danish_number(value)} ms"


def quote_segment(value: Any) -> str:
    """A value as one URL path segment (``/`` and everything else escaped)."""
    return urllib.parse.quote(str(value), safe="")


def make_templates() -> jinja2.Environment:
    """The console's Jinja2 environment (autoescaping on for everything)."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        tid=format_time,
        iso=iso_time,
        kanal=channel_label,
        ms=milliseconds,
        pct=percent,
        tal=danish_number,
        segment=quote_segment,
    )
    environment.globals.update(
        PREFIX=PREFIX,
        CHANNELS=store.CHANNELS,
        RATING_LABELS=RATING_LABELS,
        AUDIT_ACTIONS=AUDIT_ACTIONS,
        ROLE_LABELS=ROLE_LABELS,
    )
    return environment


def render(request: web.Request, template: str, *, status: int = 200, **context: Any) -> web.Response:
    """A page of the console, with the logged-in user, navigation and CSRF token filled in."""
    session = request.get(SESSION)
    nav = [
        {"key": key, "href": PREFIX + path, "label": label}
        for key, path, label, admin in NAV
        if session is not None and (not admin or session.is_admin)
    ]
    values = {
        "session": session,
        "csrf_token": session.csrf_token if session else "",
        "nav": nav,
        "active": context.pop("active", ""),
        "title": context.pop("title", "Muni – medarbejderkonsol"),
        **context,
    }
    html = request.app[TEMPLATES].get_template(template).render(values)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def error_page(request: web.Request, status: int, message: str) -> web.Response:
    """The Danish error page (used for every 4xx/5xx that is not JSON)."""
    try:
        return render(request, "error.html", status=status, message=message, title=f"Fejl {status}")
    except Exception:
        logger.exception("rendering the error page failed")
        return web.Response(text=message, status=status, content_type="text/plain", charset="utf-8")


# --- helpers -----------------------------------------------------------------------------------------


def state_of(request: web.Request) -> ConsoleState:
    """The console's state."""
    return request.app[STATE]


def clean(value: str | None, limit: int = MAX_FIELD_CHARS) -> str:
    """A form or query value without control characters, trimmed and cut to ``limit``."""
    return _CONTROL.sub("", value or "").strip()[:limit]


async def cached(state: ConsoleState, key: str, ttl_s: float, load: Callable[[], Awaitable[T]]) -> T:
    """``load()``'s result, kept for ``ttl_s`` seconds."""
    now = time.monotonic()
    hit = state.cache.get(key)
    if hit is not None and now - hit[0] < ttl_s:
        return hit[1]
    value = await load()
    state.cache[key] = (now, value)
    return value


async def audit(
    request: web.Request, action: str, conversation_id: str | None = None, detail: str | None = None
) -> None:
    """Write an audit row for the logged-in user."""
    state = state_of(request)
    await state.run(store.write_audit, request[SESSION].username, action, conversation_id, detail, state.clock())


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


def parse_filters(query: Mapping[str, str]) -> store.ConversationFilter:
    """The list's filters from the query string; :class:`ConsoleError` (400, Danish) for bad values."""
    raw_query = query.get("q", "")
    if len(raw_query) > store.MAX_QUERY_CHARS:
        raise ConsoleError(400, f"Søgeteksten må højst være {store.MAX_QUERY_CHARS} tegn.")
    channel = clean(query.get("channel"), 64)
    if channel and channel not in store.CHANNELS:
        raise ConsoleError(400, "Ukendt kanal: vælg Chat, Telefon, Kiosk, Browser-tale eller API.")
    rating = clean(query.get("rating"), 16).lower()
    if rating and rating not in store.RATINGS:
        raise ConsoleError(400, "Ugyldig vurdering: vælg ja, nej eller ingen.")
    municipality = clean(query.get("municipality"), 200)
    intent = clean(query.get("intent"), 200)
    if len(municipality) > 64 or len(intent) > 128:
        raise ConsoleError(400, "Kommune eller intent er for lang.")
    date_from = _parse_date(clean(query.get("date_from"), 20), "Fra dato")
    date_to = _parse_date(clean(query.get("date_to"), 20), "Til dato")
    if date_from and date_to and date_to < date_from:
        raise ConsoleError(400, "'Til dato' ligger før 'Fra dato'.")
    return store.ConversationFilter(
        date_from=date_from,
        date_to=date_to,
        channel=channel or None,
        municipality=municipality or None,
        intent=intent or None,
        fallback=_parse_yes_no(clean(query.get("fallback"), 10), "Gik til fallback"),
        handed_over=_parse_yes_no(clean(query.get("handed_over"), 10), "Overdraget til medarbejder"),
        rating=rating or None,
        query=_CONTROL.sub(" ", raw_query).strip() or None,
    )


def _cursor(query: Mapping[str, str]) -> str | None:
    after = query.get("after", "")
    if not after:
        return None
    try:
        store.decode_cursor(after)
    except store.InvalidCursor as error:
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


async def filter_choices(state: ConsoleState) -> dict[str, list[str]]:
    """Municipalities and intents for the list's selects (cached for a minute)."""

    async def load() -> dict[str, list[str]]:
        return {
            "municipalities": await state.run(store.distinct_municipalities),
            "intents": await state.run(store.distinct_intents),
        }

    return await cached(state, "choices", CHOICES_TTL_S, load)


async def correction_intents(state: ConsoleState) -> list[str]:
    """What a reviewer can choose as the right intent: the taxonomy plus intents found in the data."""
    choices = await filter_choices(state)
    names = set(taxonomy_intents()) | set(choices["intents"])
    names.discard("nlu_fallback")
    return sorted(names)


# --- login and logout --------------------------------------------------------------------------------


def _login_form(
    request: web.Request,
    *,
    status: int = 200,
    error: str | None = None,
    info: str | None = None,
    next_path: str = "",
    username: str = "",
) -> web.Response:
    state = state_of(request)
    token = request.cookies.get(LOGIN_COOKIE_NAME, "")
    fresh = not re.fullmatch(r"[A-Za-z0-9_-]{32,64}", token)
    if fresh:
        token = new_token()
    response = render(
        request,
        "login.html",
        status=status,
        title="Log ind – Muni medarbejderkonsol",
        error=error,
        info=info,
        next_path=next_path,
        username=username,
        login_token=token,
    )
    if fresh:
        set_cookie(response, LOGIN_COOKIE_NAME, token, state.cookie_secure)
    return response


LOGIN_REASONS = {"idle": IDLE_MESSAGE, "expired": EXPIRED_MESSAGE, "logout": "Du er logget ud."}


@public
async def login_page(request: web.Request) -> web.Response:
    """The login form (also shown when logged in: logging in again replaces the session)."""
    next_path = safe_next(request.query.get("next"), "")
    return _login_form(request, info=LOGIN_REASONS.get(request.query.get("reason", "")), next_path=next_path)


@public
async def login_submit(request: web.Request) -> web.Response:
    """Check the login form: double-submit token, throttling, password; then a new session."""
    state = state_of(request)
    form = await request.post()
    username = normalize_username(clean(str(form.get("username") or ""), 200))
    password = form.get("password")
    password = password if isinstance(password, str) else ""
    next_path = safe_next(str(form.get("next") or ""), "")
    if not same_token(request.cookies.get(LOGIN_COOKIE_NAME), str(form.get("csrf_token") or "")):
        return _login_form(request, status=403, error=CSRF_MESSAGE, next_path=next_path, username=username)
    if not username or not password:
        return _login_form(
            request, status=400, error="Skriv både brugernavn og adgangskode.", next_path=next_path, username=username
        )
    remote = (request.remote or "ukendt")[:64]
    now = state.clock()
    if await state.run(is_throttled, username, remote, now):
        await state.run(store.write_audit, username, "login_failed", None, "spærret: for mange forsøg", now)
        return _login_form(request, status=429, error=THROTTLED_MESSAGE, next_path=next_path, username=username)
    role = await state.run(accounts.authenticate, username, password[:2048])
    if role is None:
        await state.run(record_failure, username, remote, now)
        await state.run(store.write_audit, username, "login_failed", None, f"fra {remote}", now)
        return _login_form(request, status=401, error=LOGIN_FAILED_MESSAGE, next_path=next_path, username=username)
    await state.run(clear_failures, username)
    old = request.cookies.get(COOKIE_NAME)
    if old:
        await state.run(delete_session, token_hash(old))
    await state.run(purge_sessions, now, state.idle_timeout_s, state.absolute_timeout_s)
    token, _csrf = await state.run(create_session, username, now)
    await state.run(store.write_audit, username, "login", None, f"rolle {role}, fra {remote}", now)
    response = web.Response(status=303, headers={"Location": next_path or PREFIX + "/"})
    set_cookie(response, COOKIE_NAME, token, state.cookie_secure)
    clear_cookie(response, LOGIN_COOKIE_NAME, state.cookie_secure)
    return response


async def logout(request: web.Request) -> web.Response:
    """End the session (POST with the CSRF token)."""
    state = state_of(request)
    session = request[SESSION]
    await state.run(delete_session, session.token_hash)
    await audit(request, "logout")
    response = web.Response(status=303, headers={"Location": PREFIX + "/login?reason=logout"})
    clear_cookie(response, COOKIE_NAME, state.cookie_secure)
    return response


# --- conversations -----------------------------------------------------------------------------------


async def conversation_list(request: web.Request) -> web.Response:
    """The conversation list with filters, search and keyset paging."""
    state = state_of(request)
    values = {key: clean(request.query.get(key), 250) for key in FILTER_FIELDS}
    rows: list[dict[str, Any]] = []
    next_cursor = None
    error = None
    status = 200
    after = None
    try:
        filters = parse_filters(request.query)
        after = _cursor(request.query)
        rows, next_cursor = await state.run(store.list_conversations, filters, after)
    except ConsoleError as problem:
        error, status = problem.message, problem.status
    except store.InvalidFilter as problem:
        error, status = str(problem), 400
    choices = await filter_choices(state)
    return render(
        request,
        "list.html",
        channel_options=[("", "Alle kanaler"), *store.CHANNELS.items()],
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
        page_size=store.PAGE_SIZE,
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
    state = state_of(request)
    try:
        filters = parse_filters(request.query)
        rows, next_cursor = await state.run(store.list_conversations, filters, _cursor(request.query))
    except store.InvalidFilter as problem:
        raise ConsoleError(400, str(problem)) from problem
    return web.json_response({"conversations": [_api_row(row) for row in rows], "next": next_cursor})


def _conversation_id(request: web.Request) -> str:
    conversation_id = request.match_info["conversation_id"]
    if not conversation_id or len(conversation_id) > MAX_CONVERSATION_ID or _CONTROL.search(conversation_id):
        raise ConsoleError(404, "Samtalen findes ikke.")
    return conversation_id


async def _load(state: ConsoleState, conversation_id: str) -> dict[str, Any]:
    conversation = await state.run(store.load_conversation, conversation_id)
    if conversation is None:
        raise ConsoleError(404, "Samtalen findes ikke. Den kan være slettet efter udløb af opbevaringsperioden.")
    return conversation


async def conversation_view(request: web.Request) -> web.Response:
    """One conversation, turn by turn, with a "Forkert forstået" form on each citizen message."""
    state = state_of(request)
    conversation_id = _conversation_id(request)
    conversation = await _load(state, conversation_id)
    await audit(request, "open", conversation_id)
    event_ids = [turn["event_id"] for turn in conversation["turns"] if turn.get("event_id")]
    corrections = await state.run(review.corrections_for, event_ids)
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
        intent_choices=await correction_intents(state),
        saved=int(saved) if saved.isdigit() and len(saved) < 19 else None,
        id_segment=quote_segment(conversation_id),
    )


async def conversation_export(request: web.Request) -> web.Response:
    """The conversation as a JSON file (download)."""
    state = state_of(request)
    conversation_id = _conversation_id(request)
    conversation = await _load(state, conversation_id)
    await audit(request, "export", conversation_id)
    document = store.export_document(conversation)
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
    if not correct or correct not in await correction_intents(state):
        raise ConsoleError(400, "Vælg den rigtige intent på listen.")
    message = await state.run(store.user_event, conversation_id, event_id)
    if message is None:
        raise ConsoleError(404, "Beskeden findes ikke i denne samtale.")
    session = request[SESSION]
    await state.run(
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


# --- review ------------------------------------------------------------------------------------------

REVIEW_LIMIT = 500


async def review_page(request: web.Request) -> web.Response:
    """Corrections (not yet exported first) and the export button."""
    state = state_of(request)
    rows = await state.run(review.pending_corrections, True, REVIEW_LIMIT)
    counts = await state.run(review.correction_counts)
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
    rows = await state.run(review.pending_corrections, False)
    if not rows:
        return web.Response(status=303, headers={"Location": PREFIX + "/review?eksport=tom"})
    text = review.corrections_to_nlu_yaml(rows)
    await state.run(review.mark_exported, [row["id"] for row in rows], state.clock())
    await audit(request, "export_corrections", None, f"{len(rows)} rettelser")
    stamp = datetime.fromtimestamp(state.clock(), store.COPENHAGEN).strftime("%Y%m%d-%H%M")
    return web.Response(
        text=text,
        content_type="application/x-yaml",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="rettelser-nlu-{stamp}.yml"'},
    )


# --- dashboard ---------------------------------------------------------------------------------------


def _dashboard_charts(stats: Mapping[str, Any]) -> dict[str, Any]:
    days = stats["days"]
    labels = [day.strftime("%d.%m") for day in days]
    series = [(channel_label(channel), values) for channel, values in stats["per_day"].items()]
    every = 1 if len(days) <= 10 else (3 if len(days) <= 31 else 10)
    share = [
        ("Klaret uden medarbejder", stats["containment"] or 0.0),
        ("Gik til fallback", stats["fallback_rate"] or 0.0),
    ]
    latency = [(f"Stemme-til-stemme {name}", stats["voice"][name] or 0.0) for name, _ in store.PERCENTILES] + [
        (f"Talegenkendelse {name}", stats["stt"][name] or 0.0) for name, _ in store.PERCENTILES
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
        return await state.run(store.dashboard_stats, days, state.clock())

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
        percentiles=[name for name, _ in store.PERCENTILES],
    )


# --- admin -------------------------------------------------------------------------------------------


@admin_only
async def audit_page(request: web.Request) -> web.Response:
    """The audit log, newest first, 50 a page, optionally of one user."""
    state = state_of(request)
    user = clean(request.query.get("user"), 200)
    if len(user) > 64:
        raise ConsoleError(400, "Brugernavnet er for langt.")
    raw_before = request.query.get("before", "")
    if raw_before and (not raw_before.isdigit() or len(raw_before) > 18):
        raise ConsoleError(400, "Ugyldig sidemarkør.")
    before = int(raw_before) if raw_before else None
    rows, next_before = await state.run(store.list_audit, user or None, before)
    users = await state.run(store.audit_usernames)

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
    rows = await state_of(request).run(accounts.list_staff)
    return render(request, "staff.html", active="staff", title="Medarbejdere – Muni medarbejderkonsol", rows=rows)


# --- static ------------------------------------------------------------------------------------------


@public
async def static_file(request: web.Request) -> web.StreamResponse:
    """The console's stylesheet."""
    name = request.match_info["name"]
    if name not in STATIC_FILES:
        raise ConsoleError(404, "Filen findes ikke.")
    response = web.FileResponse(STATIC_DIR / name)
    response.content_type = STATIC_FILES[name]
    return response


def add_routes(app: web.Application) -> None:
    """The console's routes (relative to ``/console``)."""
    app.router.add_get("/login", login_page, name="login")
    app.router.add_post("/login", login_submit)
    app.router.add_post("/logout", logout, name="logout")
    app.router.add_get("/", conversation_list, name="home")
    app.router.add_get("/conversations", conversation_list, name="conversations")
    app.router.add_get("/conversations/{conversation_id}", conversation_view, name="conversation")
    app.router.add_get("/conversations/{conversation_id}/export", conversation_export, name="export")
    app.router.add_post("/conversations/{conversation_id}/corrections", mark_correction, name="correct")
    app.router.add_get("/review", review_page, name="review")
    app.router.add_post("/review/export", review_export, name="review_export")
    app.router.add_get("/dashboard", dashboard, name="dashboard")
    app.router.add_get("/audit", audit_page, name="audit")
    app.router.add_get("/staff", staff_page, name="staff")
    app.router.add_get("/api/conversations", api_conversations, name="api_conversations")
    app.router.add_get("/static/{name}", static_file, name="static")
