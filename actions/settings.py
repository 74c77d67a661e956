"""Settings of the action server, read from the environment with sane defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from muni_core.paths import CONTENT_DIR, VAR_DIR

TIMEZONE = ZoneInfo("Europe/Copenhagen")


@dataclass(frozen=True)
class Settings:
    """Where content lives and which municipality answers when none is given."""

    content_dir: Path
    default_municipality: str | None
    fixed_now: datetime | None
    booking_db_url: str = f"sqlite:///{VAR_DIR / 'bookings.db'}"

    @classmethod
    def from_env(cls) -> Settings:
        """Build settings from MUNI_* environment variables."""
        content_dir = Path(os.environ.get("MUNI_CONTENT_DIR", CONTENT_DIR))
        default = os.environ.get("MUNI_DEFAULT_MUNICIPALITY") or None
        fixed_now_text = os.environ.get("MUNI_NOW")
        fixed_now = None
        if fixed_now_text:
            fixed_now = datetime.fromisoformat(fixed_now_text)
            if fixed_now.tzinfo is None:
                fixed_now = fixed_now.replace(tzinfo=TIMEZONE)
        booking_db_url = os.environ.get("MUNI_BOOKING_DB_URL") or cls.booking_db_url
        return cls(content_dir, default, fixed_now, booking_db_url)

    def now(self) -> datetime:
        """Current local time in Denmark (or MUNI_NOW, for demos and tests)."""
        return self.fixed_now or datetime.now(TIMEZONE)
