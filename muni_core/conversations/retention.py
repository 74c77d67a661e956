"""Retention: delete conversations whose last event is older than the retention period.

Works on the tracker store Rasa writes (SQL ``events`` table; SQLite by default, PostgreSQL in the
production profile). A conversation is deleted whole (all its events, and the staff console's index
rows, phone-turn figures and review marks of it), and only when nothing has happened in it for the
whole period, so an ongoing conversation is never cut in half.

Run through ``muni purge`` (which picks the database of the active profile); directly:
``python -m muni_core.conversations.retention --url sqlite:///var/rasa_tracker.db --days 90 [--dry-run]`` prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass

import sqlalchemy as sa

EVENTS_TABLE = "events"
CONSOLE_TABLES = ("muni_conversations", "muni_conversation_intents", "muni_voice_turns", "muni_review_corrections")
"""The console's rows of a conversation (index, phone-turn figures, reviewers' marks) go with it."""
BATCH = 500


@dataclass(frozen=True)
class PurgeResult:
    """What a purge deleted (or would delete, in a dry run)."""

    conversations: int
    events: int
    cutoff: float
    dry_run: bool


def purge(url: str, retention_days: float, now: float | None = None, dry_run: bool = False) -> PurgeResult:
    """Delete every conversation whose newest event is older than ``retention_days``."""
    if retention_days <= 0:
        raise ValueError("retention_days must be positive")
    cutoff = (now if now is not None else time.time()) - retention_days * 86400
    engine = sa.create_engine(url)
    try:
        if not sa.inspect(engine).has_table(EVENTS_TABLE):
            return PurgeResult(0, 0, cutoff, dry_run)
        events = sa.Table(EVENTS_TABLE, sa.MetaData(), autoload_with=engine)
        stale = (
            sa.select(events.c.sender_id).group_by(events.c.sender_id).having(sa.func.max(events.c.timestamp) < cutoff)
        )
        with engine.begin() as connection:
            senders = [row[0] for row in connection.execute(stale)]
            count = 0
            inspector = sa.inspect(connection)
            console = [
                sa.Table(name, sa.MetaData(), autoload_with=connection)
                for name in CONSOLE_TABLES
                if inspector.has_table(name)
            ]
            for start in range(0, len(senders), BATCH):
                batch = senders[start : start + BATCH]
                where = events.c.sender_id.in_(batch)
                if dry_run:
                    count += connection.execute(sa.select(sa.func.count()).where(where)).scalar_one()
                else:
                    count += connection.execute(sa.delete(events).where(where)).rowcount
                    for table in console:
                        connection.execute(sa.delete(table).where(table.c.conversation_id.in_(batch)))
        return PurgeResult(len(senders), count, cutoff, dry_run)
    finally:
        engine.dispose()


def main() -> None:
    """Command line: purge one database and print the result as JSON."""
    parser = argparse.ArgumentParser(description="Slet samtaler, der er ældre end opbevaringsperioden.")
    parser.add_argument("--url", required=True, help="SQLAlchemy-URL til tracker-databasen")
    parser.add_argument("--days", type=float, required=True, help="opbevaringsperiode i dage")
    parser.add_argument("--dry-run", action="store_true", help="tæl kun, slet intet")
    args = parser.parse_args()
    try:
        result = purge(args.url, args.days, dry_run=args.dry_run)
    except (sa.exc.SQLAlchemyError, ValueError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        print(f"tracker-databasen kunne ikke bruges: {reason}", file=sys.stderr)
        raise SystemExit(1) from None
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()
