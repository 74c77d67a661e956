"""The review loop: citizen messages a reviewer marked as misunderstood, exported as Rasa NLU training data.

The console writes corrections (:func:`save_correction`); the console's export button and the
``muni review export`` command read the pending ones (:func:`pending_corrections`), turn them into
Rasa 3.x NLU YAML (:func:`corrections_to_nlu_yaml`) and mark them exported (:func:`mark_exported`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
import yaml

from muni_core.conversations.schema import review_corrections

_PLACEHOLDER = re.compile(r"\[[^\[\]]*\]")
_ENTITY_SYNTAX = re.compile(r"\]\s*(?=[(\[{])")
_WHITESPACE = re.compile(r"\s+")


def save_correction(
    engine: sa.engine.Engine,
    *,
    conversation_id: str,
    event_id: int,
    text: str,
    predicted_intent: str | None,
    correct_intent: str,
    reviewer: str,
    now: float | None = None,
) -> None:
    """Store (or update: one correction per message) what a citizen message should have been understood as.

    Marking a message again replaces the earlier correction and makes it pending for export again.
    """
    now = time.time() if now is None else now
    values = {
        "conversation_id": conversation_id[:255],
        "text": text,
        "predicted_intent": predicted_intent[:128] if predicted_intent else None,
        "correct_intent": correct_intent[:128],
        "reviewer": reviewer[:64],
        "created_at": now,
        "exported_at": None,
    }
    update = sa.update(review_corrections).where(review_corrections.c.event_id == event_id).values(**values)
    with engine.begin() as connection:
        if connection.execute(update).rowcount:
            return
        try:
            with connection.begin_nested():
                connection.execute(sa.insert(review_corrections).values(event_id=event_id, **values))
        except sa.exc.IntegrityError:  # marked at the same moment by someone else: theirs is replaced
            connection.execute(update)


def corrections_for(engine: sa.engine.Engine, event_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Existing corrections by event id (the conversation view shows them beside each message)."""
    wanted = sorted({int(event_id) for event_id in event_ids})
    if not wanted:
        return {}
    with engine.connect() as connection:
        rows = connection.execute(sa.select(review_corrections).where(review_corrections.c.event_id.in_(wanted)))
        return {row.event_id: dict(row._mapping) for row in rows}


def pending_corrections(
    engine: sa.engine.Engine, include_exported: bool = False, limit: int | None = None
) -> list[dict[str, Any]]:
    """Corrections not yet exported, oldest first (at most ``limit`` when given).

    With ``include_exported``: all corrections, pending ones first, each group newest first.
    Each row has the columns of ``muni_review_corrections``: id, conversation_id, event_id, text,
    predicted_intent, correct_intent, reviewer, created_at, exported_at.
    """
    statement = sa.select(review_corrections)
    if include_exported:
        pending_first = sa.case((review_corrections.c.exported_at.is_(None), 0), else_=1)
        statement = statement.order_by(pending_first, review_corrections.c.created_at.desc(), review_corrections.c.id)
    else:
        statement = statement.where(review_corrections.c.exported_at.is_(None)).order_by(
            review_corrections.c.created_at, review_corrections.c.id
        )
    if limit is not None:
        statement = statement.limit(limit)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(statement)]


def correction_counts(engine: sa.engine.Engine) -> dict[str, int]:
    """``{"total": …, "pending": …}``: all corrections, and those not yet exported."""
    pending = sa.func.sum(sa.case((review_corrections.c.exported_at.is_(None), 1), else_=0))
    with engine.connect() as connection:
        total, waiting = connection.execute(sa.select(sa.func.count(), pending).select_from(review_corrections)).one()
    return {"total": int(total or 0), "pending": int(waiting or 0)}


def mark_exported(engine: sa.engine.Engine, ids: Sequence[int], now: float | None = None) -> int:
    """Mark these corrections (by ``id``) as exported; returns how many rows changed."""
    ids = sorted({int(value) for value in ids})
    if not ids:
        return 0
    now = time.time() if now is None else now
    changed = 0
    with engine.begin() as connection:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            changed += connection.execute(
                sa.update(review_corrections).where(review_corrections.c.id.in_(chunk)).values(exported_at=now)
            ).rowcount
    return changed


def training_text(text: str) -> str | None:
    """The example as it goes into NLU data, or None when it is no use for training.

    Skipped: commands and button payloads (starting with "/"), and texts that are only redaction
    placeholders such as "[CPR-nummer]". Line breaks become spaces, and a "]" directly before "(",
    "[" or "{" gets a space, so that Rasa does not read redacted text as entity annotation.
    """
    cleaned = _WHITESPACE.sub(" ", text or "").strip()
    if not cleaned or cleaned.startswith("/"):
        return None
    if not re.search(r"\w", _PLACEHOLDER.sub(" ", cleaned)):
        return None
    return _ENTITY_SYNTAX.sub("] ", cleaned)


class _Literal(str):
    """A string that YAML writes as a literal block (``|``)."""


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes :class:`_Literal` strings as literal blocks (when YAML allows it, quoted otherwise)."""


def _literal(dumper: yaml.SafeDumper, value: _Literal) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")


_Dumper.add_representer(_Literal, _literal)


def _example_line(text: str) -> str:
    return f"- {text}"


def corrections_to_nlu_yaml(rows: Iterable[Mapping[str, Any]]) -> str:
    """Rasa NLU training data (``version: "3.1"``) from corrections, grouped by the correct intent.

    ``rows`` need ``text`` and ``correct_intent`` (as from :func:`pending_corrections`). Intents come in
    alphabetical order, examples in the order given, each text once per intent. Retrieval intents keep
    their full name (``faq/pas``). Texts skipped by :func:`training_text` do not appear; an intent
    left without examples is left out.
    """
    grouped: dict[str, list[str]] = {}
    for row in rows:
        intent = str(row.get("correct_intent") or "").strip()
        text = training_text(str(row.get("text") or ""))
        if not intent or text is None:
            continue
        examples = grouped.setdefault(intent, [])
        if text not in examples:
            examples.append(text)
    nlu = [
        {"intent": intent, "examples": _Literal("".join(_example_line(text) + "\n" for text in grouped[intent]))}
        for intent in sorted(grouped)
    ]
    body = yaml.dump({"nlu": nlu}, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000)
    return 'version: "3.1"\n' + body
