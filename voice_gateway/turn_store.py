"""Phone turns' latency and recogniser confidence in the console's database (``muni_voice_turns``).

The console shows them beside each phone turn and computes the dashboard's voice latency
percentiles from them. No citizen text is stored here: only figures, the turn id (also in the
message metadata the tracker stores) and the conversation id.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import sqlalchemy as sa

from muni_core.conversations.schema import voice_turns

logger = logging.getLogger(__name__)
_COLUMNS = {column.name for column in voice_turns.columns} - {"id"}


class SqlTurnRecorder:
    """Writes each answered turn off the event loop; a failing database never disturbs a call.

    ``engine`` is the gateway's one tracker database engine (:data:`voice_gateway.keys.DATABASE`).
    """

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine

    def _insert(self, row: dict[str, Any]) -> None:
        with self.engine.begin() as connection:
            connection.execute(sa.insert(voice_turns).values(**row))

    async def record(self, turn: dict[str, Any]) -> None:
        """Store one turn (keys of ``muni_voice_turns``; ``created_at`` defaults to now)."""
        row = {key: value for key, value in turn.items() if key in _COLUMNS}
        row.setdefault("created_at", time.time())
        try:
            await asyncio.to_thread(self._insert, row)
        except Exception as error:  # noqa: BLE001 - figures are best effort; the call goes on
            logger.warning("could not store the latency of turn %s: %s", row.get("turn_id"), error)
