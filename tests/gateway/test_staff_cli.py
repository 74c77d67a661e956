"""Console accounts: ``muni staff`` through the real command, and muni_core.console.accounts itself."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from muni import cli
from muni_core.console import accounts
from muni_core.conversations.schema import staff, staff_sessions
from muni_core.paths import REPO_ROOT
from tests.support.postgres import ScratchDatabaseError, create_postgres_database

REPO = REPO_ROOT
MUNI = [str(REPO / ".venv" / "bin" / "muni")] if (REPO / ".venv" / "bin" / "muni").exists() else [
    sys.executable, "-m", "muni.cli"
]  # fmt: skip
PG_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
PASSWORD = "korrekt hest batteri"
NEW_PASSWORD = "endnu bedre kodeord 2"
SHORT_PASSWORD = "kort"
CSRF = "csrf"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tracker.db'}"
        return
    try:
        engine, drop = create_postgres_database(PG_ADMIN_URL, "muni_test_staff")
    except ScratchDatabaseError as error:
        pytest.skip(f"no PostgreSQL on 127.0.0.1:5432: {error}")
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    try:
        yield url
    finally:
        drop()


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.engine.Engine]:
    engine = sa.create_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MUNI_PROFILE", raising=False)
    monkeypatch.setenv("MUNI_CONFIG", str(tmp_path / "muni.yml"))
    monkeypatch.setenv("MUNI_RASA_TOKEN", "test-token")


def muni(*args: str, typed: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MUNI, *args], input=typed, capture_output=True, text=True, timeout=60, check=False,
        cwd=REPO, env=os.environ.copy(),
    )  # fmt: skip


def add(url: str, username: str, role: str = "reviewer", typed: str = PASSWORD) -> subprocess.CompletedProcess:
    return muni("staff", "add", username, "--role", role, "--url", url, "--password-stdin", typed=typed + "\n")


def _session(engine: sa.engine.Engine, username: str) -> str:
    token = secrets.token_hex(16)
    now = time.time()
    with engine.begin() as connection:
        connection.execute(
            sa.insert(staff_sessions).values(
                token_hash=token, username=username, csrf_token=CSRF, created_at=now, last_seen_at=now
            )
        )
    return token


def _sessions(engine: sa.engine.Engine) -> dict[str, str]:
    with engine.connect() as connection:
        return dict(connection.execute(sa.select(staff_sessions.c.token_hash, staff_sessions.c.username)).all())


def _hash(engine: sa.engine.Engine, username: str) -> str:
    with engine.connect() as connection:
        return connection.execute(sa.select(staff.c.password_hash).where(staff.c.username == username)).scalar_one()


def test_add_list_and_refusals(db_url: str, engine: sa.engine.Engine) -> None:
    done = add(db_url, "Alice", "admin")
    assert done.returncode == 0, done.stderr
    assert "Brugeren 'alice' er oprettet med rollen admin." in done.stderr
    assert add(db_url, "bob").returncode == 0

    duplicate = add(db_url, "alice")
    assert duplicate.returncode == 1
    assert "Fejl: Brugeren 'alice' findes allerede." in duplicate.stderr

    short = add(db_url, "carol", typed=SHORT_PASSWORD)
    assert short.returncode == 1
    assert "Adgangskoden skal være mindst 12 tegn." in short.stderr

    bad_role = add(db_url, "carol", role="boss")
    assert bad_role.returncode == 1 and "Ukendt rolle 'boss'" in bad_role.stderr
    bad_name = add(db_url, "carol hansen")
    assert bad_name.returncode == 1 and "Brugernavnet skal være 2-64 tegn" in bad_name.stderr
    no_password = muni("staff", "add", "carol", "--url", db_url, "--password-stdin", typed="")
    assert no_password.returncode == 1 and "Ingen adgangskode" in no_password.stderr

    listed = muni("staff", "list", "--url", db_url)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:3] == ["brugernavn", "rolle", "oprettet"]
    assert [line.split()[:2] for line in lines[1:]] == [["alice", "admin"], ["bob", "reviewer"]]
    assert [row["username"] for row in accounts.list_staff(engine)] == ["alice", "bob"]
    assert {"username", "role", "created_at"} <= set(accounts.list_staff(engine)[0])
    for done in (short, bad_role, bad_name, duplicate):
        assert "Traceback" not in done.stderr


def test_passwd_changes_password_and_ends_only_that_users_sessions(db_url: str, engine: sa.engine.Engine) -> None:
    assert add(db_url, "alice").returncode == 0
    assert add(db_url, "bob").returncode == 0
    alice_session, bob_session = _session(engine, "alice"), _session(engine, "bob")
    old_hash = _hash(engine, "alice")

    short = muni("staff", "passwd", "alice", "--url", db_url, "--password-stdin", typed=SHORT_PASSWORD + "\n")
    assert short.returncode == 1 and "mindst 12 tegn" in short.stderr
    assert set(_sessions(engine)) == {alice_session, bob_session}

    done = muni("staff", "passwd", "alice", "--url", db_url, "--password-stdin", typed=NEW_PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert "Adgangskoden til 'alice' er skiftet" in done.stderr
    assert _sessions(engine) == {bob_session: "bob"}
    assert _hash(engine, "alice") != old_hash
    assert accounts.authenticate(engine, "alice", NEW_PASSWORD) == "reviewer"
    assert accounts.authenticate(engine, "alice", PASSWORD) is None

    unknown = muni("staff", "passwd", "nobody", "--url", db_url, "--password-stdin", typed=NEW_PASSWORD + "\n")
    assert unknown.returncode == 1
    assert "Fejl: Der findes ingen bruger med navnet 'nobody'." in unknown.stderr


def test_remove_deletes_account_and_sessions(db_url: str, engine: sa.engine.Engine) -> None:
    assert add(db_url, "alice").returncode == 0
    assert add(db_url, "bob", "admin").returncode == 0
    _session(engine, "alice")
    bob_session = _session(engine, "bob")
    done = muni("staff", "remove", "alice", "--url", db_url)
    assert done.returncode == 0, done.stderr
    assert "Brugeren 'alice' er slettet" in done.stderr
    assert _sessions(engine) == {bob_session: "bob"}
    assert [row["username"] for row in accounts.list_staff(engine)] == ["bob"]
    assert accounts.authenticate(engine, "alice", PASSWORD) is None

    again = muni("staff", "remove", "alice", "--url", db_url)
    assert again.returncode == 1
    assert "Der findes ingen bruger med navnet 'alice'." in again.stderr
    with pytest.raises(accounts.AccountError, match="Der findes ingen bruger"):
        accounts.remove_staff(engine, "alice")


def test_unreachable_database_is_a_clear_error() -> None:
    done = muni("staff", "list", "--url", "postgresql://postgres@127.0.0.1:1/muni")
    assert done.returncode == 2
    assert "Databasen" in done.stderr and "kan ikke nås" in done.stderr
    assert "Traceback" not in done.stderr
    done = muni("staff", "list", "--url", "sqlite:////nonexistent-folder/tracker.db")
    assert done.returncode == 2 and "kan ikke nås" in done.stderr


def test_passwords_typed_twice_must_match(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cli.main(["staff", "add", "carol", "--url", url]) == 1
    assert "De to adgangskoder er ikke ens. Intet er ændret." in capsys.readouterr().err
    answers = iter([PASSWORD, PASSWORD])
    assert cli.main(["staff", "add", "carol", "--role", "admin", "--url", url]) == 0
    engine = sa.create_engine(url)
    try:
        assert accounts.authenticate(engine, "carol", PASSWORD) == "admin"
    finally:
        engine.dispose()


def test_authenticate_and_hashes(engine: sa.engine.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    accounts.add_staff(engine, "Dorte", PASSWORD, "admin")
    stored = _hash(engine, "dorte")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.hash_password(PASSWORD).startswith("$argon2id$")
    assert accounts.hash_password(PASSWORD) != accounts.hash_password(PASSWORD)  # salted

    assert accounts.authenticate(engine, "dorte", PASSWORD) == "admin"
    assert accounts.authenticate(engine, " DORTE ", PASSWORD) == "admin"
    assert accounts.authenticate(engine, "dorte", PASSWORD + "!") is None
    assert accounts.authenticate(engine, "dorte", "") is None

    verified: list[str] = []
    real_verify = accounts._verify
    monkeypatch.setattr(accounts, "_verify", lambda h, p: verified.append(h) or real_verify(h, p))
    assert accounts.authenticate(engine, "nobody", PASSWORD) is None
    assert accounts.authenticate(engine, "x", PASSWORD) is None  # not even a valid name
    assert len(verified) == 2 and all(h.startswith("$argon2id$") for h in verified)  # same work as a real user

    with pytest.raises(accounts.AccountError, match="mindst 12 tegn"):
        accounts.add_staff(engine, "erik", "x" * 11, "reviewer")
    with pytest.raises(accounts.AccountError, match="Ukendt rolle"):
        accounts.add_staff(engine, "erik", PASSWORD, "root")
    with pytest.raises(accounts.AccountError, match="findes allerede"):
        accounts.add_staff(engine, "DORTE", PASSWORD, "reviewer")
    with pytest.raises(accounts.AccountError, match="Der findes ingen bruger"):
        accounts.set_password(engine, "erik", PASSWORD)
    assert accounts.ROLES == ("reviewer", "admin") and accounts.MIN_PASSWORD_CHARS == 12


def test_old_hash_parameters_are_upgraded_on_login(engine: sa.engine.Engine) -> None:
    accounts.add_staff(engine, "frida", PASSWORD, "reviewer")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with engine.begin() as connection:
        connection.execute(sa.update(staff).where(staff.c.username == "frida").values(password_hash=weak))
    session = _session(engine, "frida")
    assert accounts.authenticate(engine, "frida", PASSWORD) == "reviewer"
    upgraded = _hash(engine, "frida")
    assert upgraded != weak and not PasswordHasher().check_needs_rehash(upgraded)
    assert accounts.authenticate(engine, "frida", PASSWORD) == "reviewer"
    assert session in _sessions(engine)  # a rehash is no password change


def test_weak_passwords_are_refused_with_a_danish_reason(db_url: str, engine: sa.engine.Engine) -> None:
    refused = {
        "Sommer2024!!": "Adgangskoden er for almindelig",
        "qwerty123456": "Adgangskoden er for almindelig",
        "Hej med dig 2025": "Adgangskoden er for almindelig",
        "Signe.Holm2024": "Adgangskoden må ikke være brugernavnet",
        "mloh.engis123": "Adgangskoden må ikke være brugernavnet",
        " " * 14: "Adgangskoden må ikke kun bestå af mellemrum.",
    }
    for password, reason in refused.items():
        done = add(db_url, "signe.holm", typed=password)
        assert done.returncode == 1, password
        assert f"Fejl: {reason}" in done.stderr, (password, done.stderr)
        assert "Traceback" not in done.stderr
    assert accounts.list_staff(engine) == []  # nothing was created
    assert add(db_url, "signe.holm").returncode == 0
    old_hash = _hash(engine, "signe.holm")
    for password, reason in refused.items():
        done = muni("staff", "passwd", "signe.holm", "--url", db_url, "--password-stdin", typed=password + "\n")
        assert done.returncode == 1 and f"Fejl: {reason}" in done.stderr, (password, done.stderr)
    assert _hash(engine, "signe.holm") == old_hash  # nothing changed
    assert accounts.authenticate(engine, "signe.holm", PASSWORD) == "reviewer"


def test_typed_password_is_checked_against_the_policy_before_asking_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    prompts: list[str] = []
    answers = iter(["Kodeord2024!", "Kodeord2024!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": prompts.append(prompt) or next(answers))
    assert cli.main(["staff", "add", "dorte", "--url", url]) == 1
    assert "Fejl: Adgangskoden er for almindelig" in capsys.readouterr().err
    assert prompts == ["Ny adgangskode: "]  # refused at once, not asked twice
    answers = iter(["Dorte1234567"])
    assert cli.main(["staff", "add", "dorte", "--url", url]) == 1
    assert "brugernavnet" in capsys.readouterr().err
