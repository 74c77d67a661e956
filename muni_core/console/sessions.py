"""Login sessions and failed-login throttling of the staff console, in the tracker database.

* Sessions (``muni_staff_sessions``): the browser keeps a random token; the database only its
  SHA-256. Idle and absolute timeouts end a session; the role is read from ``muni_staff`` each time
  a session is loaded, so a removed account or a changed role counts at once.
* Throttling (``muni_login_failures``): 5 failed logins for one username, or 20 from one address,
  within 15 minutes lock further attempts, even with the right password.

The cookies, CSRF checks and access rules around them are the gateway's
(:mod:`voice_gateway.console.security`).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from muni_core.conversations.schema import login_failures, staff, staff_sessions

THROTTLE_WINDOW_S = 15 * 60
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_REMOTE = 20


@dataclass(frozen=True)
class StaffSession:
    """A logged-in member of staff."""

    username: str
    role: str
    csrf_token: str
    token_hash: str
    created_at: float
    last_seen_at: float

    @property
    def is_admin(self) -> bool:
        """Whether the user may use the admin pages."""
        return self.role == "admin"


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps of a session token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


# --- sessions ----------------------------------------------------------------------------------------


def create_session(engine: sa.engine.Engine, username: str, now: float) -> tuple[str, str]:
    """A new session for ``username``: ``(cookie token, csrf token)``; only the token's hash is stored."""
    token, csrf = new_token(), new_token()
    with engine.begin() as connection:
        connection.execute(
            sa.insert(staff_sessions).values(
                token_hash=token_hash(token), username=username, csrf_token=csrf, created_at=now, last_seen_at=now
            )
        )
    return token, csrf


def load_session(
    engine: sa.engine.Engine, token: str, now: float, idle_timeout_s: float, absolute_timeout_s: float
) -> StaffSession | str | None:
    """The session of a cookie token, ``"idle"``/``"expired"`` when it has just timed out, or None.

    A timed-out session is deleted. None: no such session, or its account is gone.
    """
    if not token or len(token) > 200:
        return None
    hashed = token_hash(token)
    statement = (
        sa.select(staff_sessions, staff.c.role)
        .select_from(staff_sessions.join(staff, staff.c.username == staff_sessions.c.username))
        .where(staff_sessions.c.token_hash == hashed)
    )
    with engine.connect() as connection:
        row = connection.execute(statement).first()
    if row is None:
        return None
    if now - row.created_at > absolute_timeout_s or now - row.last_seen_at > idle_timeout_s:
        delete_session(engine, hashed)
        return "expired" if now - row.created_at > absolute_timeout_s else "idle"
    return StaffSession(
        username=row.username,
        role=row.role,
        csrf_token=row.csrf_token,
        token_hash=hashed,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
    )


def touch_session(engine: sa.engine.Engine, hashed: str, now: float) -> None:
    """Record activity (for the idle timeout)."""
    with engine.begin() as connection:
        connection.execute(
            sa.update(staff_sessions).where(staff_sessions.c.token_hash == hashed).values(last_seen_at=now)
        )


def delete_session(engine: sa.engine.Engine, hashed: str) -> None:
    """End a session (logout, timeout, or replaced at login)."""
    with engine.begin() as connection:
        connection.execute(sa.delete(staff_sessions).where(staff_sessions.c.token_hash == hashed))


def purge_sessions(engine: sa.engine.Engine, now: float, idle_timeout_s: float, absolute_timeout_s: float) -> int:
    """Delete every timed-out session; returns how many."""
    with engine.begin() as connection:
        return connection.execute(
            sa.delete(staff_sessions).where(
                (staff_sessions.c.last_seen_at < now - idle_timeout_s)
                | (staff_sessions.c.created_at < now - absolute_timeout_s)
            )
        ).rowcount


# --- login throttling --------------------------------------------------------------------------------


def is_throttled(engine: sa.engine.Engine, username: str, remote: str, now: float) -> bool:
    """Whether this username or this address has too many recent failed logins."""
    since = now - THROTTLE_WINDOW_S
    with engine.connect() as connection:
        by_user = connection.execute(
            sa.select(sa.func.count())
            .select_from(login_failures)
            .where(login_failures.c.username == username, login_failures.c.at > since)
        ).scalar_one()
        if by_user >= MAX_FAILURES_PER_USER:
            return True
        by_remote = connection.execute(
            sa.select(sa.func.count())
            .select_from(login_failures)
            .where(login_failures.c.remote == remote, login_failures.c.at > since)
        ).scalar_one()
    return by_remote >= MAX_FAILURES_PER_REMOTE


def record_failure(engine: sa.engine.Engine, username: str, remote: str, now: float) -> None:
    """Count a failed login (and forget failures older than a day)."""
    with engine.begin() as connection:
        connection.execute(sa.insert(login_failures).values(username=username[:64], remote=remote[:64], at=now))
        connection.execute(sa.delete(login_failures).where(login_failures.c.at < now - 86_400))


def clear_failures(engine: sa.engine.Engine, username: str) -> None:
    """Forget a username's failed logins (after a successful one)."""
    with engine.begin() as connection:
        connection.execute(sa.delete(login_failures).where(login_failures.c.username == username))
