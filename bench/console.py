"""``muni bench console``: the staff console's list, filters and search on many conversations.

Seeds ``--conversations`` synthetic but realistic conversations into a fresh, temporary database
(an SQLite file, and/or a PostgreSQL database ``muni_bench_<random>`` created next to ``--pg-url``'s
and dropped at the end), exactly as the tracker store would have left them: Rasa-format events in
``events`` and the console's index (:func:`muni_core.conversations.store.insert_conversation`), plus a
``muni_voice_turns`` row for every phone and browser-voice turn, as the gateway writes them.

The conversations: the municipalities of ``content/municipalities`` and eight more (a shared
deployment), channels web 55 %, phone 27 %, kiosk 10 %, browser voice 8 %, start times over the last
90 days (mostly office hours), 2-8 citizen turns whose texts are examples of ``nlu_data`` lightly
varied (phone turns partly the recogniser's output from ``nlu_data/phone_transcripts.yml``), the
assistant's answers from ``content/`` and the domain, FAQ questions with the response selector's
``faq/<topic>``, misunderstandings (``nlu_fallback``, ``action_clarify``, ``action_core_fallback``),
handoffs (``action_handoff``) and the widget's ``citizen_rating``.

Then, per database, each query kind runs ``--queries`` times through the console's own
:func:`muni_core.console.listing.list_conversations` (first page of 50, page 21 by the ``next``
cursor, filters, free-text search); the table gives p50 and p95 in milliseconds, with the seeding
time and the database's size. ``--json FILE`` writes the figures.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from bench.stats import percentile
from muni_core.conversations.database import open_engine
from muni_core.conversations.schema import (
    conversation_intents,
    conversations,
    create_schema,
    rasa_events,
    rasa_metadata,
    voice_turns,
)
from muni_core.conversations.store import insert_conversation
from muni_core.paths import REPO_ROOT
from tests.support import events as build
from tests.support.postgres import DEFAULT_PG_URL, ScratchDatabaseError, create_postgres_database

CONTENT_DIR = REPO_ROOT / "content"
NLU_DIR = REPO_ROOT / "nlu_data"
DOMAIN_DIR = REPO_ROOT / "bot" / "domain"
BATCH = 1000
"""Conversations per transaction while seeding."""
DAYS = 90
PAGE = 50
DEEP_PAGES = 20
SEED = 7

CHANNELS = (("web", 0.55), ("phone", 0.27), ("kiosk", 0.10), ("browser", 0.08))
VOICE_CHANNELS = frozenset({"phone", "browser"})
EXTRA_MUNICIPALITIES = (
    ("koebenhavn", "København"),
    ("aalborg", "Aalborg"),
    ("odense", "Odense"),
    ("esbjerg", "Esbjerg"),
    ("vejle", "Vejle"),
    ("randers", "Randers"),
    ("viborg", "Viborg"),
    ("hjoerring", "Hjørring"),
)
"""Not in content/ (their citizens get the generic answers); they make the municipality filter as selective
as in a deployment shared by several municipalities."""
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 16, 15, 13, 14, 14, 12, 10, 9, 9, 8, 7, 5, 3, 2)
TURN_WEIGHTS = {2: 24, 3: 22, 4: 17, 5: 12, 6: 10, 7: 8, 8: 7}
MIDDLE_INTENTS = {
    "faq": 52,
    "opening_hours": 8,
    "contact_info": 7,
    "book_appointment": 5,
    "nlu_fallback": 6,
    "human_handoff": 4,
    "out_of_scope": 4,
    "bot_challenge": 2,
    "affirm": 3,
    "deny": 2,
    "repeat": 2,
    "check_appointment": 1,
    "cancel_appointment": 1,
}
RARE_WORD = "vaskemaskinen"
"""In one example of faq/pas: about one conversation in a thousand."""
COMMON_WORD = "borgerservice"
"""In many of the assistant's answers (FAQ, opening hours, handoff)."""
FILTER_CHANNEL = "phone"

_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\{[^}]*\}|\([^)]*\))")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@dataclass
class Corpus:
    """Texts the synthetic conversations are made of."""

    typed: dict[str, list[str]]
    """Citizen examples per intent (``faq/pas`` for rules questions), as typed."""
    heard: dict[str, list[str]]
    """What the speech recogniser made of spoken examples, per intent."""
    answers: dict[str, str]
    """FAQ topic -> answer with placeholders."""
    responses: dict[str, str]
    """Domain response (``utter_greet``) or message key (``handoff``) -> text with placeholders."""
    municipalities: list[tuple[str, dict[str, str], int]] = field(default_factory=list)
    """(id, placeholder values, weight)."""


def _examples(path: Path) -> Iterator[tuple[str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for entry in data.get("nlu") or []:
        if "intent" not in entry:
            continue
        for line in str(entry.get("examples") or "").splitlines():
            text = _ANNOTATION.sub(r"\1", line.strip().removeprefix("- ").strip())
            if text:
                yield entry["intent"], text


def load_corpus() -> Corpus:
    """Citizen texts from nlu_data, answers from content/ and bot/domain, municipalities from content/."""
    typed: dict[str, list[str]] = {}
    heard: dict[str, list[str]] = {}
    for path in sorted(NLU_DIR.glob("*.yml")):
        target = heard if path.name == "phone_transcripts.yml" else typed
        for intent, text in _examples(path):
            target.setdefault(intent, []).append(text)
    answers = {}
    for path in sorted((CONTENT_DIR / "faq").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        answers[str(data["topic"])] = " ".join(str(data["answer"]).split())
    responses: dict[str, str] = {}
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, variants in (data.get("responses") or {}).items():
            if variants and isinstance(variants[0], dict) and variants[0].get("text"):
                responses[name] = str(variants[0]["text"])
    messages = yaml.safe_load((CONTENT_DIR / "messages.yml").read_text(encoding="utf-8"))
    responses.update({key: " ".join(str(value).split()) for key, value in messages.items() if isinstance(value, str)})
    municipalities = []
    for path in sorted((CONTENT_DIR / "municipalities").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if str(data["id"]).startswith("_"):
            continue
        values = {
            "municipality_name": str(data["name"]),
            "website": str(data.get("website", "")),
            "phone": str(data.get("phone", "")),
        }
        municipalities.append((str(data["id"]), values, 3))
    for municipality_id, name in EXTRA_MUNICIPALITIES:
        website = f"{municipality_id}.dk"
        municipalities.append((municipality_id, {"municipality_name": name, "website": website, "phone": ""}, 1))
    return Corpus(typed, heard, answers, responses, municipalities)


def _fill(text: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1)) or "kommunen", text)


class ConversationFactory:
    """Makes synthetic conversations: Rasa-format event lists and the gateway's voice-turn rows."""

    def __init__(self, corpus: Corpus, seed: int = SEED, now: float | None = None) -> None:
        self.corpus = corpus
        self.rng = random.Random(seed)
        self.now = time.time() if now is None else now
        self.faq_topics = sorted(intent for intent in corpus.typed if intent.startswith("faq/"))
        self.municipality_ids = [m[0] for m in corpus.municipalities]
        self.municipality_values = {m[0]: m[1] for m in corpus.municipalities}
        self.municipality_weights = [m[2] for m in corpus.municipalities]
        self.all_intents = sorted({*corpus.typed, "nlu_fallback"} - set(self.faq_topics) | {"faq"})

    # --- small pieces --------------------------------------------------------------------------

    def _id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def _citizen_text(self, intent: str, voice: bool) -> str:
        rng = self.rng
        if voice and intent in self.corpus.heard and rng.random() < 0.3:
            return rng.choice(self.corpus.heard[intent])
        pool = self.corpus.typed.get(intent) or self.corpus.typed["out_of_scope"]
        text = rng.choice(pool)
        if voice:
            return text.rstrip("?.!").lower()
        roll = rng.random()
        if roll < 0.15:
            text = rng.choice(("hej ", "hej, ", "goddag ", "ja hej ", "øh ")) + text
        elif roll < 0.25:
            text = text[:1].upper() + text[1:]
        if intent.startswith("faq/") or intent in ("opening_hours", "contact_info"):
            if rng.random() < 0.35:
                text += "?"
        return text

    def _ranking(self, intent: str, confidence: float) -> list[dict[str, Any]]:
        others = self.rng.sample(self.all_intents, 4)
        rest = 1.0 - confidence
        ranking = [{"name": intent, "confidence": confidence}]
        for other in others:
            if other != intent and len(ranking) < 4:
                share = round(rest * self.rng.uniform(0.2, 0.6), 4)
                rest -= share
                ranking.append({"name": other, "confidence": share})
        return ranking

    # --- events --------------------------------------------------------------------------------

    def _user(
        self, ts: float, text: str, intent: str, channel: str, municipality: str, voice: dict[str, Any] | None
    ) -> dict[str, Any]:
        rng = self.rng
        message_id = self._id()
        topic = intent.split("/", 1)[1] if intent.startswith("faq/") else None
        name = "faq" if topic else intent
        confidence = round(rng.uniform(0.55, 0.999), 4)
        ranking = self._ranking(name, confidence)
        if name == "nlu_fallback":
            confidence = 0.5
            original = rng.choice(("out_of_scope", "faq", "inform", "contact_info"))
            ranking = [
                {"name": "nlu_fallback", "confidence": 0.5},
                *self._ranking(original, round(rng.uniform(0.2, 0.49), 4)),
            ]
        selector: dict[str, Any] = {}
        if topic:
            selector_confidence = round(rng.uniform(0.6, 0.999), 4)
            others = rng.sample(self.faq_topics, 3)
            share = round((1 - selector_confidence) / 3, 4)
            selector = {
                "faq": topic,
                "faq_confidence": selector_confidence,
                "faq_ranking": [(other.split("/", 1)[1], share) for other in others if other != intent],
            }
        return build.user(
            text,
            name,
            ts,
            confidence=confidence,
            channel=channel,
            municipality=municipality,
            voice=voice,
            ranking=ranking,
            message_id=message_id,
            **selector,
        )

    def _answer(
        self, intent: str, values: dict[str, str], misunderstood: int
    ) -> list[tuple[str, str | None, list[tuple[str, str]]]]:
        """(action, bot text, buttons as (title, payload)) for the assistant's reply to ``intent``."""
        responses = self.corpus.responses
        if intent.startswith("faq/"):
            topic = intent.split("/", 1)[1]
            return [
                ("action_answer_faq", _fill(self.corpus.answers.get(topic, responses["core_fallback"]), values), [])
            ]
        if intent == "nlu_fallback":
            if misunderstood >= 2:
                buttons = [(responses["offer_handoff_yes"], "/human_handoff"), (responses["offer_handoff_no"], "/deny")]
                return [("action_offer_handoff", responses["offer_handoff"], buttons)]
            if self.rng.random() < 0.4:
                return [("action_core_fallback", responses["core_fallback"], [])]
            buttons = [
                (t.split("/")[1].replace("_", " ").capitalize(), f"/{t}") for t in self.rng.sample(self.faq_topics, 3)
            ]
            return [("action_clarify", responses["clarify"], buttons)]
        if intent == "human_handoff":
            return [("action_handoff", _fill(responses["handoff"], values), [])]
        if intent == "opening_hours":
            hours = f"Borgerservice i {values['municipality_name']} har åbent i dag kl. 10-15."
            return [("action_opening_hours", hours, [])]
        if intent == "contact_info":
            contact = f"Du kan ringe til Borgerservice på {values['phone'] or 'kommunens hovednummer'}."
            return [("action_contact_info", contact, [])]
        if intent == "book_appointment":
            return [("booking_form", responses.get("booking_ask_service", "Hvor vil du booke en tid?"), [])]
        if intent == "inform":
            return [("booking_form", responses.get("booking_ask_name", "Hvad er dit fulde navn?"), [])]
        if intent in ("check_appointment", "cancel_appointment"):
            return [("action_start_manage", "Hvad er dit bookingnummer?", [])]
        utter = {
            "greet": "utter_greet",
            "goodbye": "utter_goodbye",
            "thank": "utter_you_are_welcome",
            "bot_challenge": "utter_iamabot",
            "out_of_scope": "utter_out_of_scope",
            "affirm": "utter_affirm_ack",
            "deny": "utter_deny_ack",
            "stop": "utter_deny_ack",
        }.get(intent)
        if utter and utter in responses:
            return [(utter, _fill(responses[utter], values), [])]
        if intent == "repeat":
            return [("action_repeat", responses["nothing_to_repeat"], [])]
        return [("action_core_fallback", responses["core_fallback"], [])]

    def _plan(self, turns: int, voice: bool) -> list[str]:
        rng = self.rng
        plan: list[str] = []
        if rng.random() < 0.35:
            plan.append("greet")
        closing = rng.random() < 0.45
        names, weights = zip(*MIDDLE_INTENTS.items(), strict=True)
        while len(plan) < turns - int(closing):
            intent = rng.choices(names, weights)[0]
            if intent == "faq":
                intent = rng.choice(self.faq_topics)
            elif intent == "repeat" and not voice:
                intent = "bot_challenge"
            plan.append(intent)
            if intent == "book_appointment":
                plan.extend(["inform"] * rng.randint(1, 2))
        plan = plan[: turns - int(closing)]
        if closing:
            plan.append(rng.choice(("thank", "goodbye", "thank")))
        return plan

    def start_times(self, count: int) -> list[float]:
        """When ``count`` conversations began, in order: over the last DAYS days, mostly in office hours."""
        today = int(self.now // 86400) * 86400
        hours = self.rng.choices(range(24), HOUR_WEIGHTS, k=count)
        starts = [
            min(today - self.rng.randrange(DAYS) * 86400 + hour * 3600 + self.rng.uniform(0, 3600), self.now - 3600)
            for hour in hours
        ]
        return sorted(starts)

    def make(self, start: float) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
        """One conversation begun at ``start``: (conversation id, events, rows of ``muni_voice_turns``)."""
        rng = self.rng
        channel = rng.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
        voice = channel in VOICE_CHANNELS
        municipality = rng.choices(self.municipality_ids, self.municipality_weights)[0]
        values = self.municipality_values[municipality]
        ts = start
        conversation_id = ("CA" + self._id()) if channel == "phone" else self._id()
        session_metadata = {"municipality": municipality}
        events: list[dict[str, Any]] = [
            build.action("action_session_start", ts, metadata=session_metadata),
            build.session_started(ts + 0.01, session_metadata),
            build.slot("municipality", municipality, ts + 0.02),
            build.action("action_listen", ts + 0.03),
        ]
        voice_rows: list[dict[str, Any]] = []
        misunderstood = 0
        plan = self._plan(rng.choices(list(TURN_WEIGHTS), list(TURN_WEIGHTS.values()))[0], voice)
        for intent in plan:
            ts += rng.uniform(4, 18) if voice else rng.uniform(6, 60)
            text = self._citizen_text(intent, voice)
            figures: dict[str, Any] | None = None
            if voice:
                turn_id = self._id()
                confidence = round(min(0.99, max(0.2, rng.gauss(0.82, 0.1))), 3)
                stt_ms = round(rng.lognormvariate(5.9, 0.35), 1)
                figures = {"turn_id": turn_id, "source": "speech", "confidence": confidence, "stt_ms": stt_ms}
                dialogue_ms = round(rng.lognormvariate(5.0, 0.4), 1)
                tts_first_ms = round(rng.lognormvariate(5.3, 0.3), 1)
                voice_rows.append(
                    {
                        "turn_id": turn_id,
                        "conversation_id": conversation_id,
                        "created_at": ts + (stt_ms + dialogue_ms + tts_first_ms) / 1000,
                        "outcome": "answered",
                        "transcript_confidence": confidence,
                        "stt_ms": stt_ms,
                        "dialogue_ms": dialogue_ms,
                        "tts_first_ms": tts_first_ms,
                        "voice_to_voice_ms": round(stt_ms + dialogue_ms + tts_first_ms, 1),
                    }
                )
            misunderstood = misunderstood + 1 if intent == "nlu_fallback" else 0
            events.append(self._user(ts, text, intent, channel, municipality, figures))
            events.append({"event": "user_featurization", "timestamp": ts + 0.01, "use_text_for_featurization": False})
            for action, bot_text, buttons in self._answer(intent, values, misunderstood):
                ts += rng.uniform(0.2, 1.5)
                events.append(build.action(action, ts, round(rng.uniform(0.9, 1.0), 4)))
                utter = action if action.startswith("utter_") else None
                if intent.startswith("faq/"):
                    utter = f"utter_{intent}"
                events.append(build.bot(bot_text, ts + 0.001, buttons, utter_action=utter))
                if action == "action_handoff":
                    handoff = {
                        "version": 1,
                        "conversation_id": conversation_id,
                        "reason": "citizen_request",
                        "municipality": municipality,
                        "channel": channel,
                        "contact_phone": values["phone"] or None,
                    }
                    events.append(build.bot(None, ts + 0.002, custom={"handoff": handoff}))
            events.append(build.action("action_listen", ts + 0.01))
        if not voice and rng.random() < 0.18:
            ts += rng.uniform(5, 30)
            rating = "yes" if rng.random() < 0.7 else "no"
            events.append(build.slot("citizen_rating", rating, ts))
            if rating == "no" and rng.random() < 0.3:
                comment = rng.choice(("For langt svar", "Fik ikke svar på mit spørgsmål", "Forstod mig ikke"))
                events.append(build.slot("citizen_rating_comment", comment, ts))
        return conversation_id, events, voice_rows


class _Recorder:
    """Stands in for a database connection while :func:`insert_conversation` stores a brand-new conversation.

    Nothing is read: the summary row and the intent rows do not exist yet (SELECT finds nothing, UPDATE
    changes nothing), and every INSERT's rows are kept, to be written with one ``executemany`` per table
    and batch. So the rows are exactly those ``insert_conversation`` writes, without its ~10 round trips
    per conversation (tests/gateway/test_bench_console.py compares both ways).
    """

    class _Result:
        def __init__(self, rowcount: int) -> None:
            self.rowcount = rowcount

        def first(self) -> None:
            return None

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}

    def execute(self, statement: Any, parameters: Any = None) -> _Result:
        if isinstance(statement, sa.sql.Insert):
            if parameters is None:
                values = statement._values or {}  # the values of .values(**row)
                parameters = [{(k if isinstance(k, str) else k.key): bind.value for k, bind in values.items()}]
            elif isinstance(parameters, dict):
                parameters = [parameters]
            self.rows.setdefault(statement.table.name, []).extend(parameters)
            return self._Result(len(parameters))
        if isinstance(statement, sa.sql.Update | sa.sql.Select):
            return self._Result(0)
        raise TypeError(f"unexpected statement while recording: {statement}")


TABLES = {table.name: table for table in (rasa_events, conversations, conversation_intents, voice_turns)}
WRITE_ORDER = ("events", "muni_conversations", "muni_conversation_intents", "muni_voice_turns")


_CORPUS: Corpus | None = None


def _corpus() -> Corpus:
    global _CORPUS
    if _CORPUS is None:
        _CORPUS = load_corpus()
    return _CORPUS


Job = tuple[int, int, list[float], float]
"""(seed, batch number, start times, now): one batch of conversations; the same job always gives the same rows."""


def batch_jobs(count: int, *, seed: int = SEED, now: float | None = None, batch: int = BATCH) -> list[Job]:
    """The batches of ``count`` conversations, oldest first."""
    now = time.time() if now is None else now
    starts = ConversationFactory(_corpus(), seed=seed, now=now).start_times(count)
    return [
        (seed, number, starts[offset : offset + batch], now) for number, offset in enumerate(range(0, count, batch))
    ]


def batch_conversations(job: Job) -> Iterator[tuple[str, list[dict[str, Any]], list[dict[str, Any]]]]:
    """The conversations of a batch: (conversation id, Rasa events, rows of ``muni_voice_turns``)."""
    seed, number, starts, now = job
    factory = ConversationFactory(_corpus(), seed=seed * 1_000_003 + number, now=now)
    for start in starts:
        yield factory.make(start)


def make_batch(job: Job) -> dict[str, list[dict[str, Any]]]:
    """Rows per table (events, index, intents, voice turns) of a batch, as ``insert_conversation`` writes them."""
    recorder = _Recorder()
    voice_rows: list[dict[str, Any]] = []
    for conversation_id, events, rows in batch_conversations(job):
        insert_conversation(recorder, conversation_id, events)  # type: ignore[arg-type]
        voice_rows.extend(rows)
    recorder.rows["muni_voice_turns"] = voice_rows
    return recorder.rows


def generate_batches(
    count: int, *, seed: int = SEED, now: float | None = None, batch: int = BATCH, workers: int = 0
) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """The rows of ``count`` conversations, ``batch`` conversations at a time, oldest first.

    With ``workers`` > 0 the batches are made in that many processes while the caller writes the previous
    ones; the rows are the same either way.
    """
    jobs = batch_jobs(count, seed=seed, now=now, batch=batch)
    if workers <= 0:
        yield from map(make_batch, jobs)
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(make_batch, jobs)


def prepare_database(engine: sa.engine.Engine) -> None:
    """Rasa's ``events`` table and the console's tables, as in a tracker database."""
    rasa_metadata.create_all(engine, checkfirst=True)
    create_schema(engine)


def _copy_text(value: Any) -> str:
    """A value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def write_batch(connection: sa.engine.Connection, rows: dict[str, list[dict[str, Any]]]) -> None:
    """One batch of :func:`generate_batches` into the database, the fastest way each database offers.

    SQLite: the driver's ``executemany``; PostgreSQL (psycopg2): ``COPY … FROM STDIN``; others:
    SQLAlchemy's ``executemany``. The rows stored are the same either way.
    """
    dialect = connection.dialect.name
    for name in WRITE_ORDER:
        table_rows = rows.get(name) or []
        if not table_rows:
            continue
        keys = {key for row in table_rows for key in row}
        columns = [column.name for column in TABLES[name].columns if column.name in keys]  # names from the schema
        if dialect == "sqlite":
            marks = ", ".join("?" * len(columns))
            statement = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - schema names
            connection.exec_driver_sql(statement, [tuple(row.get(key) for key in columns) for row in table_rows])
        elif dialect == "postgresql" and connection.dialect.driver == "psycopg2":
            buffer = io.StringIO()
            for row in table_rows:
                buffer.write("\t".join(_copy_text(row.get(key)) for key in columns) + "\n")
            buffer.seek(0)
            cursor = connection.connection.driver_connection.cursor()
            cursor.copy_expert(f"COPY {name} ({', '.join(columns)}) FROM STDIN", buffer)
            cursor.close()
        else:
            connection.execute(sa.insert(TABLES[name]), table_rows)


def seed_conversations(
    engines: dict[str, sa.engine.Engine],
    count: int,
    *,
    seed: int = SEED,
    now: float | None = None,
    workers: int = 0,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Write the same ``count`` synthetic conversations into every engine (one transaction per BATCH).

    Batches are made in ``workers`` processes (0: in this one) and written into the databases at the
    same time, one thread per database. Returns the numbers of rows, the wall-clock seconds of the
    whole seeding (``seed_s``) and the seconds each database spent storing its batches (``write_s``).
    """
    for engine in engines.values():
        prepare_database(engine)
    counts = dict.fromkeys(WRITE_ORDER, 0)
    write_s = dict.fromkeys(engines, 0.0)

    def write(name: str, rows: dict[str, list[dict[str, Any]]]) -> None:
        started = time.perf_counter()
        with engines[name].begin() as connection:
            write_batch(connection, rows)
        write_s[name] += time.perf_counter() - started

    started = time.perf_counter()
    done = 0
    with ThreadPoolExecutor(max_workers=len(engines)) as threads:
        for rows in generate_batches(count, seed=seed, now=now, workers=workers):
            for future in [threads.submit(write, name, rows) for name in engines]:
                future.result()
            for name in WRITE_ORDER:
                counts[name] += len(rows.get(name) or ())
            done += len(rows["muni_conversations"])
            if progress:
                progress(done)
    return {
        "conversations": counts["muni_conversations"],
        "events": counts["events"],
        "intent_rows": counts["muni_conversation_intents"],
        "voice_turns": counts["muni_voice_turns"],
        "seed_s": round(time.perf_counter() - started, 2),
        "write_s": {name: round(seconds, 2) for name, seconds in write_s.items()},
    }


# --- queries -----------------------------------------------------------------------------------------

QUERY_LABELS = {
    "first_page": "første side, intet filter",
    "deep_page": f"side {DEEP_PAGES + 1} (via next-markøren)",
    "channel_municipality": "kanal + kommune",
    "intent": "intent (faq/pas)",
    "date_range": "datointerval (en uge)",
    "search_common": f"søgning, almindeligt ord ({COMMON_WORD})",
    "search_rare": f"søgning, sjældent ord ({RARE_WORD})",
    "search_filter": "søgning + kanal + datointerval",
}


def query_cases(engine: sa.engine.Engine, now: float) -> dict[str, tuple[Any, str | None]]:
    """Query kind -> (ConversationFilter, cursor) as the console would send them."""
    from muni_core.console.listing import ConversationFilter, list_conversations

    today = date.fromtimestamp(now)
    cursor = None
    for _ in range(DEEP_PAGES):
        _rows, cursor = list_conversations(engine, ConversationFilter(), cursor, PAGE)
        if cursor is None:
            break
    return {
        "first_page": (ConversationFilter(), None),
        "deep_page": (ConversationFilter(), cursor),
        "channel_municipality": (ConversationFilter(channel=FILTER_CHANNEL, municipality="aarhus"), None),
        "intent": (ConversationFilter(intent="faq/pas"), None),
        "date_range": (
            ConversationFilter(date_from=today - timedelta(days=37), date_to=today - timedelta(days=31)),
            None,
        ),
        "search_common": (ConversationFilter(query=COMMON_WORD), None),
        "search_rare": (ConversationFilter(query=RARE_WORD), None),
        "search_filter": (
            ConversationFilter(query="pas", channel="web", date_from=today - timedelta(days=30), date_to=today),
            None,
        ),
    }


def time_queries(engine: sa.engine.Engine, runs: int, now: float) -> dict[str, dict[str, Any]]:
    """p50/p95 (ms) of each query kind over ``runs`` calls of the console's ``list_conversations``."""
    from muni_core.console.listing import list_conversations

    results: dict[str, dict[str, Any]] = {}
    for kind, (filters, cursor) in query_cases(engine, now).items():
        rows, _next = list_conversations(engine, filters, cursor, PAGE)  # warm-up, not counted
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            list_conversations(engine, filters, cursor, PAGE)
            times.append((time.perf_counter() - started) * 1000)
        results[kind] = {
            "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(percentile(times, 0.95), 2),
            "rows": len(rows),
        }
    return results


# --- databases ---------------------------------------------------------------------------------------


def database_size(engine: sa.engine.Engine) -> int:
    """Bytes the database takes on disk (SQLite file, or ``pg_database_size``)."""
    if engine.dialect.name == "sqlite":
        path = Path(str(engine.url.database))
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal")) if p.exists())
    with engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one())


def _settle(engine: sa.engine.Engine) -> None:
    """PostgreSQL: VACUUM ANALYZE, as autovacuum would have done on a database in use. SQLite: as written."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))


def run_bench(
    count: int,
    databases: list[str],
    runs: int,
    *,
    pg_url: str = DEFAULT_PG_URL,
    workers: int | None = None,
    now: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Seed ``count`` conversations into fresh ``databases`` (sqlite, postgres), time the queries; the figures."""
    now = time.time() if now is None else now
    if workers is None:
        workers = (os.cpu_count() or 1) if count > 2 * BATCH else 0
    folder = Path(tempfile.mkdtemp(prefix="muni-bench-console-"))
    engines: dict[str, sa.engine.Engine] = {}
    cleanups: list[Callable[[], None]] = [lambda: shutil.rmtree(folder, ignore_errors=True)]
    try:
        if "postgres" in databases:
            engine, drop = create_postgres_database(pg_url, "muni_bench")
            engines["postgres"] = engine
            cleanups.append(drop)
        if "sqlite" in databases:
            engines["sqlite"] = open_engine(f"sqlite:///{folder / 'console.db'}")  # as the console opens it
            cleanups.append(engines["sqlite"].dispose)
        engines = {name: engines[name] for name in ("sqlite", "postgres") if name in engines}
        started = time.perf_counter()

        def seeded(done: int) -> None:
            if progress and (done % 10_000 == 0 or done == count):
                progress(f"  {_number(done)}/{_number(count)} samtaler skrevet ({time.perf_counter() - started:.0f} s)")

        seeding = seed_conversations(engines, count, now=now, workers=workers, progress=seeded)
        report: dict[str, Any] = {
            "conversations": count,
            "queries_per_kind": runs,
            "page_size": PAGE,
            "seeding": {**seeding, "workers": workers},
            "databases": {},
        }
        for name, engine in engines.items():
            _settle(engine)
            if progress:
                progress(f"  måler forespørgsler på {name} …")
            report["databases"][name] = {
                "size_bytes": database_size(engine),
                "write_s": seeding["write_s"][name],
                "queries": time_queries(engine, runs, now),
            }
        return report
    finally:
        for cleanup in reversed(cleanups):
            cleanup()


# --- command -----------------------------------------------------------------------------------------

DB_LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def _number(value: float, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def _size(size: int) -> str:
    return f"{_number(size / 2**20)} MB"


def print_report(report: dict[str, Any]) -> None:
    """The figures as a table (Danish labels, milliseconds)."""
    seeding = report["seeding"]
    databases = report["databases"]
    print(
        f"Konsol-benchmark: {_number(report['conversations'])} samtaler, {_number(seeding['events'])} hændelser, "
        f"{_number(seeding['voice_turns'])} taleture"
    )
    writes = ", ".join(f"{DB_LABELS[name]} {_number(data['write_s'], 1)} s" for name, data in databases.items())
    print(f"  Seedning: {_number(seeding['seed_s'], 1)} s i alt (skrivning: {writes})")
    print(
        "  Størrelse: "
        + ", ".join(f"{DB_LABELS[name]} {_size(data['size_bytes'])}" for name, data in databases.items())
    )
    print(f"  Forespørgsler gennem konsollens list_conversations, side på {report['page_size']}, "
          f"{report['queries_per_kind']} gange hver (ms):")  # fmt: skip
    width = max(len(label) for label in QUERY_LABELS.values())
    header = f"    {'':<{width}}" + "".join(
        f"  {DB_LABELS[name] + ' p50':>16} {'p95':>8} {'rækker':>7}" for name in databases
    )
    print(header)
    for kind, label in QUERY_LABELS.items():
        cells = "".join(
            f"  {_number(data['queries'][kind]['p50_ms'], 1):>16} {_number(data['queries'][kind]['p95_ms'], 1):>8} "
            f"{data['queries'][kind]['rows']:>7}"
            for data in databases.values()
        )
        print(f"    {label:<{width}}{cells}")


def run_console_bench(args: argparse.Namespace) -> int:
    """``muni bench console``: seed, measure, print the table (and write --json); 0 on success."""
    if args.conversations < 1 or args.queries < 1:
        print("--conversations og --queries skal være mindst 1.", file=sys.stderr)
        return 2
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    names = " og ".join(DB_LABELS[name] for name in databases)
    print(f"Seeder {_number(args.conversations)} syntetiske samtaler i {names} …", file=sys.stderr)
    try:
        report = run_bench(
            args.conversations, databases, args.queries, pg_url=args.pg_url,
            progress=lambda line: print(line, file=sys.stderr, flush=True),
        )  # fmt: skip
    except ScratchDatabaseError as error:
        print(f"Fejl: {error}", file=sys.stderr)
        return 1
    print_report(report)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"  Gemt i {args.json}")
    return 0
