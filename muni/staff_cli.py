"""``muni staff``: accounts of the staff console (add, remove, passwd, list).

The accounts live in the tracker database of the active profile (``--url`` for another one); the
console's tables are created there if they are missing. Passwords are asked for twice with
``getpass``, or read as one line from standard input with ``--password-stdin`` (scripts, tests).
Errors are one Danish sentence on stderr: exit 1 for a refused request (unknown or taken user; a
password that is short, only whitespace, the username or a common one, see
:func:`muni_core.console.accounts.check_password`; two entries that differ), 2 for a database that
cannot be reached (raised as ServiceError).
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from typing import Any, TextIO

from muni.services import ServiceError, eprint

DB_CONNECT_TIMEOUT_S = 5


def open_engine(url: str) -> Any:
    """An engine for ``url`` whose database answers and holds the console's tables; ServiceError if not."""
    import sqlalchemy as sa

    from muni_core.conversations.database import url_with_driver
    from muni_core.conversations.schema import create_schema

    try:
        parsed = url_with_driver(url)
        connect_args = {"connect_timeout": DB_CONNECT_TIMEOUT_S} if parsed.get_backend_name() == "postgresql" else {}
        engine = sa.create_engine(parsed, connect_args=connect_args)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as error:
        raise ServiceError(f"Databaseadressen '{url}' kan ikke bruges ({error}).") from error
    shown = parsed.render_as_string(hide_password=True)
    try:
        create_schema(engine)
    except sa.exc.DBAPIError as error:
        engine.dispose()
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()
        raise ServiceError(
            f"Databasen {shown} kan ikke nås eller bruges: {reason[0] if reason else type(error).__name__}"
        ) from error
    return engine


class PasswordInputError(Exception):
    """The password could not be read, or the two entries differ (Danish message)."""


def read_password(from_stdin: bool, stdin: TextIO | None = None, username: str | None = None) -> str:
    """The new password (of ``username``): one line of standard input, or typed twice without echo."""
    if from_stdin:
        line = (stdin or sys.stdin).readline()
        if not line:
            raise PasswordInputError("Ingen adgangskode på standard-input.")
        return line.rstrip("\r\n")
    from muni_core.console.accounts import check_password

    try:
        first = getpass.getpass("Ny adgangskode: ")
        check_password(first, username)  # say so before asking again
        second = getpass.getpass("Gentag adgangskoden: ")
    except (EOFError, KeyboardInterrupt) as error:
        raise PasswordInputError("Afbrudt: ingen adgangskode indtastet.") from error
    if first != second:
        raise PasswordInputError("De to adgangskoder er ikke ens. Intet er ændret.")
    return first


def _when(timestamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp)) if timestamp else "-"


def run_staff(args: argparse.Namespace, url: str) -> int:
    """Carry out ``muni staff <action>`` against the database at ``url``."""
    from muni_core.console import accounts

    action = args.staff
    try:
        username = accounts.normalize_username(args.username) if action in ("add", "passwd", "remove") else ""
        if action == "add":
            accounts.check_role(args.role)  # refuse a bad role before asking for a password
        engine = open_engine(url)
        try:
            if action == "list":
                return _print_list(accounts.list_staff(engine))
            known = {account["username"] for account in accounts.list_staff(engine)}
            if action == "add" and username in known:
                raise accounts.AccountError(f"Brugeren '{username}' findes allerede.")
            if action in ("passwd", "remove") and username not in known:
                raise accounts.AccountError(f"Der findes ingen bruger med navnet '{username}'.")
            if action == "add":
                accounts.add_staff(engine, username, read_password(args.password_stdin, username=username), args.role)
                eprint(f"Brugeren '{username}' er oprettet med rollen {args.role}.")
            elif action == "passwd":
                accounts.set_password(engine, username, read_password(args.password_stdin, username=username))
                eprint(f"Adgangskoden til '{username}' er skiftet; brugeren er logget ud alle steder.")
            else:
                accounts.remove_staff(engine, username)
                eprint(f"Brugeren '{username}' er slettet og logget ud alle steder.")
            return 0
        finally:
            engine.dispose()
    except (accounts.AccountError, PasswordInputError) as error:
        eprint(f"Fejl: {error}")
        return 1


def _print_list(accounts_found: list[dict[str, Any]]) -> int:
    if not accounts_found:
        eprint("Der er ingen konti endnu. Opret en med: muni staff add <brugernavn> --role admin")
        return 0
    width = max(len("brugernavn"), *(len(account["username"]) for account in accounts_found))
    print(f"{'brugernavn':<{width}}  {'rolle':<8}  {'oprettet':<16}  adgangskode skiftet")
    for account in accounts_found:
        print(
            f"{account['username']:<{width}}  {account['role']:<8}  {_when(account['created_at']):<16}  "
            f"{_when(account.get('password_changed_at'))}"
        )
    return 0
