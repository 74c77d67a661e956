"""Local accounts of the staff console: who may log in, with which role.

Accounts live in ``muni_staff`` (schema in :mod:`muni_core.conversations.schema`), next to the
conversations in the tracker database. Passwords are stored only as argon2id hashes
(``argon2-cffi``'s :class:`~argon2.PasswordHasher` with its default, OWASP-recommended parameters);
a hash made with older parameters is replaced on the next successful login.

Changing a password or removing an account deletes the user's rows in ``muni_staff_sessions``, so
every browser logged in as that user is logged out at once.

New passwords (:func:`check_password`, used by ``muni staff add``/``passwd``) must be at least
:data:`MIN_PASSWORD_CHARS` characters, not only whitespace, not the username (also reversed or with
digits after it) and not on the list of common passwords shipped in ``common_passwords.txt`` (also
with digits, years or signs after them). Existing passwords keep working.

Every function takes a SQLAlchemy :class:`~sqlalchemy.engine.Engine` and creates the console's
tables the first time it sees that engine (:func:`muni_core.conversations.schema.create_schema`,
idempotent), so callers need not. Administrators manage accounts with ``muni staff``
(:mod:`muni.staff_cli`).
"""

from __future__ import annotations

import functools
import re
import secrets
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from muni_core.conversations.schema import create_schema, staff, staff_sessions

ROLES = ("reviewer", "admin")
"""``reviewer`` reads conversations and marks corrections; ``admin`` also reads the audit log."""
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024
"""Longer input is refused before hashing (no use, and each byte costs hashing time)."""
USERNAME_PATTERN = re.compile(r"^[a-z0-9._-]{2,64}$")
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
_SEPARATORS = re.compile(r"[\s._-]+")
_TRAILING = re.compile(r"[\d\W_]+$")

_hasher = PasswordHasher()
_schema_ready: weakref.WeakSet[sa.engine.Engine] = weakref.WeakSet()
_schema_lock = threading.Lock()
_dummy_hash: str | None = None


class AccountError(ValueError):
    """A request about an account that cannot be done; the message is Danish and meant for the user."""


def hash_password(password: str) -> str:
    """An argon2id hash (with salt and parameters) of ``password``."""
    return _hasher.hash(password)


def normalize_username(username: str) -> str:
    """The stored form of a username (trimmed, lower case); AccountError when it is not allowed."""
    name = (username or "").strip().lower()
    if not USERNAME_PATTERN.match(name):
        raise AccountError(
            "Brugernavnet skal være 2-64 tegn og må kun indeholde a-z, 0-9, punktum, bindestreg og understreg."
        )
    return name


def _forms(text: str) -> set[str]:
    """``text`` as the policy compares it: lower case, also without separators and without what trails it."""
    lowered = text.strip().lower()
    forms = {lowered, _SEPARATORS.sub("", lowered)}
    forms |= {_TRAILING.sub("", form) for form in forms}
    return {form for form in forms if form}


@functools.lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower case, also without separators)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    entries = {line.strip().lower() for line in lines if line.strip() and not line.startswith("#")}
    return frozenset(entries | {_SEPARATORS.sub("", entry) for entry in entries})


def is_common_password(password: str) -> bool:
    """Whether ``password`` is on the common list, also with digits, years or signs after it (case-insensitive)."""
    return not _forms(password).isdisjoint(common_passwords())


def is_like_username(password: str, username: str) -> bool:
    """Whether ``password`` is the username, also reversed or with digits or signs after it (case-insensitive)."""
    names = _forms(username)
    return not _forms(password).isdisjoint(names | {name[::-1] for name in names})


def check_password(password: str, username: str | None = None) -> None:
    """AccountError (Danish) when ``password`` may not be used as a new password (of ``username``)."""
    password = password or ""
    if password and not password.strip():
        raise AccountError("Adgangskoden må ikke kun bestå af mellemrum.")
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"Adgangskoden skal være mindst {MIN_PASSWORD_CHARS} tegn.")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AccountError(f"Adgangskoden må højst være {MAX_PASSWORD_CHARS} tegn.")
    if username and is_like_username(password, username):
        raise AccountError("Adgangskoden må ikke være brugernavnet – heller ikke baglæns eller med tal efter.")
    if is_common_password(password):
        raise AccountError(
            "Adgangskoden er for almindelig: den står på listen over ofte brugte adgangskoder "
            "(også med tal eller tegn efter). Vælg fx en sætning af flere ord, som kun du kender."
        )


def check_role(role: str) -> str:
    """``role`` itself; AccountError when it is not one of :data:`ROLES`."""
    if role not in ROLES:
        raise AccountError(f"Ukendt rolle '{role}': vælg {' eller '.join(ROLES)}.")
    return role


def _ensure_schema(engine: sa.engine.Engine) -> None:
    """Create the console's tables once per engine and process."""
    if engine in _schema_ready:
        return
    with _schema_lock:
        if engine not in _schema_ready:
            create_schema(engine)
            _schema_ready.add(engine)


def _unknown(username: str) -> AccountError:
    return AccountError(f"Der findes ingen bruger med navnet '{username}'.")


def add_staff(engine: sa.engine.Engine, username: str, password: str, role: str) -> None:
    """Create an account; AccountError on a bad or taken username, an unknown role or a short password."""
    name = normalize_username(username)
    check_role(role)
    check_password(password, name)
    _ensure_schema(engine)
    password_hash = hash_password(password)
    now = time.time()
    try:
        with engine.begin() as connection:
            taken = connection.execute(sa.select(staff.c.id).where(staff.c.username == name)).first()
            if taken is not None:
                raise AccountError(f"Brugeren '{name}' findes allerede.")
            connection.execute(
                sa.insert(staff).values(
                    username=name, password_hash=password_hash, role=role, created_at=now, password_changed_at=now
                )
            )
    except sa.exc.IntegrityError as error:  # created by someone else in the meantime
        raise AccountError(f"Brugeren '{name}' findes allerede.") from error


def remove_staff(engine: sa.engine.Engine, username: str) -> None:
    """Delete an account and log it out everywhere; AccountError when there is no such user."""
    name = (username or "").strip().lower()
    _ensure_schema(engine)
    with engine.begin() as connection:
        deleted = connection.execute(sa.delete(staff).where(staff.c.username == name)).rowcount
        if not deleted:
            raise _unknown(name)
        connection.execute(sa.delete(staff_sessions).where(staff_sessions.c.username == name))


def set_password(engine: sa.engine.Engine, username: str, password: str) -> None:
    """Give an account a new password and log it out everywhere; AccountError if unknown or too short."""
    name = (username or "").strip().lower()
    check_password(password, name)
    _ensure_schema(engine)
    password_hash = hash_password(password)
    with engine.begin() as connection:
        updated = connection.execute(
            sa.update(staff)
            .where(staff.c.username == name)
            .values(password_hash=password_hash, password_changed_at=time.time())
        ).rowcount
        if not updated:
            raise _unknown(name)
        connection.execute(sa.delete(staff_sessions).where(staff_sessions.c.username == name))


def list_staff(engine: sa.engine.Engine) -> list[dict[str, Any]]:
    """Every account (``username``, ``role``, ``created_at``, ``password_changed_at``), sorted by username."""
    _ensure_schema(engine)
    columns = (staff.c.username, staff.c.role, staff.c.created_at, staff.c.password_changed_at)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(*columns).order_by(staff.c.username))
        return [dict(row._mapping) for row in rows]


def _dummy() -> str:
    """A hash of a random password, to verify against when the user does not exist (same time taken)."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(secrets.token_urlsafe(24))
    return _dummy_hash


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(engine: sa.engine.Engine, username: str, password: str) -> str | None:
    """The account's role when ``password`` is right, else None (unknown users take as long as known ones).

    A hash made with other parameters than the current defaults is replaced by a new one.
    """
    name = (username or "").strip().lower()
    password = password or ""
    if len(password) > MAX_PASSWORD_CHARS:
        return None
    _ensure_schema(engine)
    row = None
    if USERNAME_PATTERN.match(name):
        with engine.connect() as connection:
            row = connection.execute(
                sa.select(staff.c.id, staff.c.password_hash, staff.c.role).where(staff.c.username == name)
            ).first()
    if row is None:
        _verify(_dummy(), password)
        return None
    if not _verify(row.password_hash, password):
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        with engine.begin() as connection:
            connection.execute(
                sa.update(staff)
                .where((staff.c.id == row.id) & (staff.c.password_hash == row.password_hash))
                .values(password_hash=hash_password(password))
            )
    return str(row.role)
