"""Tables of the console, beside Rasa's own ``events`` table in the same database.

Rasa's ``events`` table (one row per event, JSON in ``data``, already redacted by the
tracker store) stays the record of every conversation. The tables here are:

* ``muni_conversations``: one row per conversation, kept up to date by the tracker store on
  every save (what the console's list filters, pages and searches on);
* ``muni_conversation_intents``: which intents a conversation contained (intent filter, top intents);
* ``muni_voice_turns``: timing and recogniser confidence of phone turns, written by the gateway;
* ``muni_staff``, ``muni_staff_sessions``, ``muni_login_failures``: console accounts and logins;
* ``muni_console_keys``: the console's signing key for "known device" cookies;
* ``muni_audit_log``: who logged in, opened or exported what;
* ``muni_review_corrections``: citizen messages a reviewer marked as misunderstood.

Free-text search: SQLite gets an FTS5 table kept in step by triggers, PostgreSQL a stored generated
column ``search_vector = to_tsvector('danish', transcript)`` with a GIN index; see :func:`create_schema`.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

ENCRYPTED_PREFIX = "enc:v1:"
"""How an encrypted slot value starts in stored events (written by the tracker store, hidden by the console)."""

conversations = sa.Table(
    "muni_conversations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(255), nullable=False, unique=True),
    sa.Column("municipality", sa.String(64), nullable=True),
    sa.Column("channel", sa.String(32), nullable=True),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("last_at", sa.Float, nullable=False),
    sa.Column("user_turns", sa.Integer, nullable=False, default=0),
    sa.Column("fallback", sa.Boolean, nullable=False, default=False),
    sa.Column("handed_over", sa.Boolean, nullable=False, default=False),
    sa.Column("rating", sa.String(8), nullable=True),
    sa.Column("first_message", sa.Text, nullable=True),
    sa.Column("transcript", sa.Text, nullable=False, default=""),
    sa.Index("ix_muni_conversations_last", "last_at", "id"),
    sa.Index("ix_muni_conversations_municipality", "municipality", "last_at"),
    sa.Index("ix_muni_conversations_channel", "channel", "last_at"),
    sa.Index("ix_muni_conversations_started", "started_at"),
)

conversation_intents = sa.Table(
    "muni_conversation_intents",
    metadata,
    sa.Column("conversation_id", sa.String(255), primary_key=True),
    sa.Column("intent", sa.String(128), primary_key=True),
    sa.Column("turns", sa.Integer, nullable=False, default=1),
    sa.Index("ix_muni_conversation_intents_intent", "intent", "conversation_id"),
)

voice_turns = sa.Table(
    "muni_voice_turns",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("turn_id", sa.String(64), nullable=False, unique=True),
    sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
    sa.Column("created_at", sa.Float, nullable=False, index=True),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("transcript_confidence", sa.Float, nullable=True),
    sa.Column("stt_ms", sa.Float, nullable=True),
    sa.Column("dialogue_ms", sa.Float, nullable=True),
    sa.Column("tts_first_ms", sa.Float, nullable=True),
    sa.Column("voice_to_voice_ms", sa.Float, nullable=True),
)

staff = sa.Table(
    "muni_staff",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("password_changed_at", sa.Float, nullable=False),
)

staff_sessions = sa.Table(
    "muni_staff_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_seen_at", sa.Float, nullable=False),
)

login_failures = sa.Table(
    "muni_login_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("remote", sa.String(64), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    # Added later (see ADDED_COLUMNS): the known-device id of the attempt, and whether the attempt
    # was refused by the throttle without checking the password.
    sa.Column("device", sa.String(64), nullable=True),
    sa.Column("blocked", sa.Boolean, nullable=True),
    sa.Index("ix_muni_login_failures_user", "username", "at"),
    sa.Index("ix_muni_login_failures_remote", "remote", "at"),
)

console_keys = sa.Table(
    "muni_console_keys",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.String(128), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)
"""Server-side secrets of the console (the key that signs "known device" cookies), made on first use."""

audit_log = sa.Table(
    "muni_audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("conversation_id", sa.String(255), nullable=True, index=True),
    sa.Column("detail", sa.Text, nullable=True),
)

review_corrections = sa.Table(
    "muni_review_corrections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
    sa.Column("event_id", sa.Integer, nullable=False, unique=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("predicted_intent", sa.String(128), nullable=True),
    sa.Column("correct_intent", sa.String(128), nullable=False),
    sa.Column("reviewer", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("exported_at", sa.Float, nullable=True),
)

SQLITE_SEARCH_TABLE = "muni_conversation_search"

_SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS muni_conversation_search USING fts5("
    "transcript, content='muni_conversations', content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER IF NOT EXISTS muni_conversations_ai AFTER INSERT ON muni_conversations BEGIN "
    "INSERT INTO muni_conversation_search(rowid, transcript) VALUES (new.id, new.transcript); END",
    "CREATE TRIGGER IF NOT EXISTS muni_conversations_ad AFTER DELETE ON muni_conversations BEGIN "
    "INSERT INTO muni_conversation_search(muni_conversation_search, rowid, transcript) "
    "VALUES ('delete', old.id, old.transcript); END",
    "CREATE TRIGGER IF NOT EXISTS muni_conversations_au AFTER UPDATE OF transcript ON muni_conversations BEGIN "
    "INSERT INTO muni_conversation_search(muni_conversation_search, rowid, transcript) "
    "VALUES ('delete', old.id, old.transcript); "
    "INSERT INTO muni_conversation_search(rowid, transcript) VALUES (new.id, new.transcript); END",
]

POSTGRES_SEARCH_COLUMN = "search_vector"
_POSTGRES_SEARCH = [
    # Stored, so that checking a row costs no to_tsvector() of a long transcript at query time.
    "ALTER TABLE muni_conversations ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('danish', transcript)) STORED",
    "CREATE INDEX IF NOT EXISTS ix_muni_conversations_search_vector ON muni_conversations USING GIN (search_vector)",
]


ADDED_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "muni_login_failures": (("device", "VARCHAR(64)"), ("blocked", "BOOLEAN")),
}
"""Nullable columns added to existing tables after their first release; :func:`create_schema` adds them."""


def create_schema(engine: sa.engine.Engine) -> None:
    """Create the console's tables and search index if they are missing (idempotent)."""
    metadata.create_all(engine, checkfirst=True)
    _add_missing_columns(engine)
    statements = _SQLITE_SEARCH if engine.dialect.name == "sqlite" else _POSTGRES_SEARCH
    for statement in statements:
        try:
            with engine.begin() as connection:
                connection.execute(sa.text(statement))
        except (sa.exc.ProgrammingError, sa.exc.IntegrityError, sa.exc.OperationalError):
            # Rasa and the gateway start together and both make sure of the schema: when the other
            # process created the object a moment earlier, "IF NOT EXISTS" can still collide.
            if not _search_ready(engine):
                raise


def _add_missing_columns(engine: sa.engine.Engine) -> None:
    """Add the :data:`ADDED_COLUMNS` a database made by an older release lacks (no migration tool needed)."""
    for table, columns in ADDED_COLUMNS.items():
        present = {column["name"] for column in sa.inspect(engine).get_columns(table)}
        for name, sql_type in columns:
            if name in present:
                continue
            try:
                with engine.begin() as connection:
                    connection.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {name} {sql_type}"))
            except (sa.exc.ProgrammingError, sa.exc.OperationalError):
                # added by the other process (Rasa or the gateway) a moment earlier
                if name not in {column["name"] for column in sa.inspect(engine).get_columns(table)}:
                    raise


def _search_ready(engine: sa.engine.Engine) -> bool:
    """Whether the search table (SQLite) or column (PostgreSQL) exists."""
    inspector = sa.inspect(engine)
    if engine.dialect.name == "sqlite":
        return inspector.has_table(SQLITE_SEARCH_TABLE)
    return any(column["name"] == POSTGRES_SEARCH_COLUMN for column in inspector.get_columns("muni_conversations"))


rasa_metadata = sa.MetaData()

rasa_events = sa.Table(
    "events",
    rasa_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)
"""Rasa's own table (``rasa.core.tracker_store.SQLTrackerStore.SQLEvent``), as Rasa 3.6 creates it.

Declared here so that the console can read it and tests and benchmarks can create it without Rasa.
"""
