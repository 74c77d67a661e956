"""The console dashboard's figures: conversations per day and channel, shares, top intents, voice latency."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from muni_core.console.common import CHANNELS, COPENHAGEN, day_start
from muni_core.conversations.schema import conversation_intents, conversations, voice_turns
from muni_core.stats import percentile

PERCENTILES = (("p50", 0.5), ("p90", 0.9), ("p95", 0.95))


def _latency(connection: sa.Connection, column: sa.Column, since: float, dialect: str) -> dict[str, Any]:
    where = (voice_turns.c.created_at >= since, column.is_not(None))
    if dialect == "postgresql":
        aggregates = [sa.func.count(column)] + [
            sa.func.percentile_cont(fraction).within_group(column) for _, fraction in PERCENTILES
        ]
        row = connection.execute(sa.select(*aggregates).where(*where)).one()
        result: dict[str, Any] = {"count": int(row[0] or 0)}
        for (name, _), value in zip(PERCENTILES, row[1:], strict=True):
            result[name] = float(value) if value is not None else None
        return result
    values = [float(value) for (value,) in connection.execute(sa.select(column).where(*where).order_by(column))]
    result = {"count": len(values)}
    for name, fraction in PERCENTILES:
        result[name] = percentile(values, fraction)
    return result


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def dashboard_stats(engine: sa.engine.Engine, days: int, now: float | None = None) -> dict[str, Any]:
    """Figures of the last ``days`` days (today included, Europe/Copenhagen), by conversation start.

    Keys: days (list of dates), channels, per_day ({channel: [count per day]}), total, handed_over,
    fallback, containment and fallback_rate (fractions or None), top_intents and top_faq
    (lists of (intent, conversations)), voice and stt (count, p50, p90, p95 in ms).
    """
    now = time.time() if now is None else now
    today = datetime.fromtimestamp(now, COPENHAGEN).date()
    first_day = today - timedelta(days=days - 1)
    day_list = [first_day + timedelta(days=offset) for offset in range(days)]
    since = day_start(first_day)
    dialect = engine.dialect.name
    hours = (conversations.c.started_at - since) / 3600.0
    bucket = sa.func.floor(hours) if dialect == "postgresql" else sa.cast(hours, sa.Integer)
    in_period = conversations.c.started_at >= since
    per_day: dict[str, list[int]] = {}
    index_of = {day: position for position, day in enumerate(day_list)}
    handed = sa.func.sum(sa.case((conversations.c.handed_over == sa.true(), 1), else_=0))
    fell_back = sa.func.sum(sa.case((conversations.c.fallback == sa.true(), 1), else_=0))
    total = handed_over = fallback = 0
    with engine.connect() as connection:
        buckets = connection.execute(
            sa.select(bucket.label("bucket"), conversations.c.channel, sa.func.count(), handed, fell_back)
            .where(in_period)
            .group_by(sa.literal_column("bucket"), conversations.c.channel)
        )
        for hour, channel, count, bucket_handed, bucket_fallback in buckets:
            total += int(count)
            handed_over += int(bucket_handed or 0)
            fallback += int(bucket_fallback or 0)
            day = datetime.fromtimestamp(since + int(hour) * 3600, COPENHAGEN).date()
            if day in index_of:
                series = per_day.setdefault(channel or "ukendt", [0] * days)
                series[index_of[day]] += int(count)
        count = sa.func.count().label("n")
        statement = sa.select(conversation_intents.c.intent, count).group_by(conversation_intents.c.intent)
        oldest = connection.execute(sa.select(sa.func.min(conversations.c.started_at))).scalar()
        if oldest is not None and oldest < since:  # only then is the join needed
            statement = statement.select_from(
                conversation_intents.join(
                    conversations, conversations.c.conversation_id == conversation_intents.c.conversation_id
                )
            ).where(in_period)
        ranked = sorted(((intent, int(n)) for intent, n in connection.execute(statement)), key=lambda x: (-x[1], x[0]))
        top_intents = [item for item in ranked if not item[0].startswith("faq/")][:10]
        top_faq = [item for item in ranked if item[0].startswith("faq/")][:10]
        voice = _latency(connection, voice_turns.c.voice_to_voice_ms, since, dialect)
        stt = _latency(connection, voice_turns.c.stt_ms, since, dialect)
    order = [channel for channel in CHANNELS if channel in per_day] + sorted(set(per_day) - set(CHANNELS))
    return {
        "days": day_list,
        "since": since,
        "channels": order,
        "per_day": {channel: per_day[channel] for channel in order},
        "total": total,
        "handed_over": handed_over,
        "fallback": fallback,
        "containment": _share(total - handed_over, total),
        "fallback_rate": _share(fallback, total),
        "top_intents": top_intents,
        "top_faq": top_faq,
        "voice": voice,
        "stt": stt,
    }
