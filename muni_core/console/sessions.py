"""Login sessions and failed-login throttling of the staff console, in the tracker database.

* Sessions (``muni_staff_sessions``): the browser keeps a random token; the database only its
  SHA-256. Idle and absolute timeouts end a session; the role is read from ``muni_staff`` each time
  a session is loaded, so a removed account or a changed role counts at once.
* Throttling (``muni_login_failures``) is keyed so that an outsider cannot lock a member of staff out:
  per (address, username) from :data:`MAX_FAILURES_PER_USER` failures on and per address (across
  usernames) from :data:`MAX_FAILURES_PER_REMOTE` on, the next attempt waits 1, 2, 4 … minutes
  (at most :data:`BACKOFF_CAP_S`) after the latest failure. A browser holding a valid "known device"
  cookie of the user (signed with the key in ``muni_console_keys``, set at a successful login) is
  throttled only by its own failures. A burst against one user (:data:`ALERT_FAILURES` attempts from
  :data:`ALERT_ADDRESSES` addresses within :data:`ALERT_WINDOW_S`) writes one ``alert`` row in the
  audit log per window.

The cookies, CSRF checks and access rules around them are the gateway's
(:mod:`voice_gateway.console.security`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from muni_core.console.audit import write_audit
from muni_core.conversations.schema import audit_log, console_keys, login_failures, staff, staff_sessions

FAILURE_MEMORY_S = 24 * 3600
"""How long failures count for one (address, username) or (device, username), unless a login succeeds."""
ADDRESS_MEMORY_S = 3600
"""How long failures count for an address across usernames."""
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_REMOTE = 20
BACKOFF_BASE_S = 60.0
BACKOFF_CAP_S = 3600.0
ALERT_WINDOW_S = 15 * 60
ALERT_FAILURES = 20
ALERT_ADDRESSES = 3
ALERT_ACTION = "alert"
DEVICE_MAX_AGE_S = 30 * 86400
"""A known-device cookie counts for this long after the login that set it."""
DEVICE_KEY_NAME = "device_cookie"


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


# --- known devices -----------------------------------------------------------------------------------


def device_key(engine: sa.engine.Engine) -> bytes:
    """The key that signs known-device cookies: made once, kept in ``muni_console_keys`` (shared by replicas)."""
    select = sa.select(console_keys.c.value).where(console_keys.c.name == DEVICE_KEY_NAME)
    with engine.connect() as connection:
        value = connection.execute(select).scalar()
    if value is None:
        try:
            with engine.begin() as connection:
                connection.execute(
                    sa.insert(console_keys).values(name=DEVICE_KEY_NAME, value=secrets.token_hex(32), created_at=0.0)
                )
        except sa.exc.IntegrityError:  # made by another process in the meantime
            pass
        with engine.connect() as connection:
            value = connection.execute(select).scalar_one()
    return bytes.fromhex(value)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, b"muni-known-device-v1\n" + payload, hashlib.sha256).digest()


def sign_device(key: bytes, username: str, now: float) -> str:
    """A known-device cookie value for ``username``: ``payload.signature`` (HMAC-SHA256), both base64url."""
    payload = f"{username}:{int(now)}:{secrets.token_hex(12)}".encode()
    return _b64(payload) + "." + _b64(_signature(key, payload))


def device_id(key: bytes, cookie: str | None, username: str, now: float) -> str | None:
    """The device id of a valid, recent known-device cookie of ``username``; None for any other value."""
    if not cookie or len(cookie) > 300 or cookie.count(".") != 1:
        return None
    encoded, signature = cookie.split(".")
    try:
        payload, given = _unb64(encoded), _unb64(signature)
    except (binascii.Error, ValueError):
        return None
    if not hmac.compare_digest(_signature(key, payload), given):
        return None
    parts = payload.decode("utf-8", "replace").split(":")
    if len(parts) != 3 or parts[0] != username or not parts[1].isdigit():
        return None
    issued = int(parts[1])
    if now - issued > DEVICE_MAX_AGE_S or issued > now + 300:
        return None
    return parts[2]


# --- login throttling --------------------------------------------------------------------------------


def backoff_s(failures: int, threshold: int) -> float:
    """The wait after the latest of ``failures``: none below ``threshold``, then 1, 2, 4 … minutes, capped."""
    if failures < threshold:
        return 0.0
    return min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2.0 ** min(failures - threshold, 32))


_NOT_BLOCKED = sa.or_(login_failures.c.blocked.is_(None), login_failures.c.blocked == sa.false())


def _wait(connection: sa.engine.Connection, threshold: int, now: float, *conditions: sa.ColumnElement) -> float:
    count, latest = connection.execute(
        sa.select(sa.func.count(), sa.func.max(login_failures.c.at)).where(*conditions, _NOT_BLOCKED)
    ).one()
    if not count:
        return 0.0
    return max(0.0, float(latest) + backoff_s(int(count), threshold) - now)


def login_wait(engine: sa.engine.Engine, username: str, remote: str, now: float, device: str | None = None) -> float:
    """Seconds until a login of ``username`` from ``remote`` (with known device ``device``) may be checked; 0: now.

    Failures elsewhere (other addresses, other devices) never count, so an outsider cannot lock the
    user out of a browser or address of their own.
    """
    columns = login_failures.c
    with engine.connect() as connection:
        if device:
            return _wait(
                connection,
                MAX_FAILURES_PER_USER,
                now,
                columns.username == username,
                columns.device == device[:64],
                columns.at > now - FAILURE_MEMORY_S,
            )
        unknown_device = columns.device.is_(None)
        return max(
            _wait(
                connection,
                MAX_FAILURES_PER_USER,
                now,
                columns.username == username,
                columns.remote == remote[:64],
                unknown_device,
                columns.at > now - FAILURE_MEMORY_S,
            ),
            _wait(
                connection,
                MAX_FAILURES_PER_REMOTE,
                now,
                columns.remote == remote[:64],
                unknown_device,
                columns.at > now - ADDRESS_MEMORY_S,
            ),
        )


def record_failure(
    engine: sa.engine.Engine,
    username: str,
    remote: str,
    now: float,
    device: str | None = None,
    blocked: bool = False,
) -> str | None:
    """Count a failed login (``blocked``: refused by the throttle) and forget failures older than a day.

    Returns the detail of the ``alert`` audit row when this attempt completes a burst against the
    user (written once per :data:`ALERT_WINDOW_S`), else None.
    """
    username, columns = username[:64], login_failures.c
    with engine.begin() as connection:
        connection.execute(
            sa.insert(login_failures).values(
                username=username, remote=remote[:64], at=now, device=device[:64] if device else None, blocked=blocked
            )
        )
        connection.execute(sa.delete(login_failures).where(columns.at < now - FAILURE_MEMORY_S))
        since = now - ALERT_WINDOW_S
        recent = (columns.username == username) & (columns.at > since)
        attempts, addresses = connection.execute(
            sa.select(sa.func.count(), sa.func.count(sa.distinct(columns.remote))).where(recent)
        ).one()
        if attempts < ALERT_FAILURES or addresses < ALERT_ADDRESSES:
            return None
        alerted = connection.execute(
            sa.select(audit_log.c.id).where(
                audit_log.c.username == username, audit_log.c.action == ALERT_ACTION, audit_log.c.at > since
            )
        ).first()
        if alerted is not None:
            return None
        sample = [
            value
            for (value,) in connection.execute(
                sa.select(columns.remote).where(recent).distinct().order_by(columns.remote).limit(5)
            )
        ]
    more = " m.fl." if addresses > len(sample) else ""
    detail = (
        f"Muligt angreb: {attempts} mislykkede loginforsøg for '{username}' på {ALERT_WINDOW_S // 60} minutter "
        f"fra {addresses} adresser ({', '.join(sample)}{more})"
    )
    write_audit(engine, username, ALERT_ACTION, None, detail, now)
    return detail


def clear_failures(
    engine: sa.engine.Engine, username: str, remote: str | None = None, device: str | None = None
) -> None:
    """Forget the failures a successful login answers for: its device's, else its address's, else all the user's."""
    columns = login_failures.c
    condition = columns.username == username
    if device:
        condition &= columns.device == device[:64]
    elif remote is not None:
        condition &= (columns.remote == remote[:64]) & columns.device.is_(None)
    with engine.begin() as connection:
        connection.execute(sa.delete(login_failures).where(condition))
