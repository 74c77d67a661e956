"""The password policy of console accounts (muni_core.console.accounts.check_password) on its own.

The same rules through ``muni staff add/passwd`` are in test_staff_cli.
"""

from __future__ import annotations

import pytest

from muni_core.console import accounts
from muni_core.console.accounts import AccountError, check_password, common_passwords, is_common_password

COMMON = "for almindelig"
LIKE_NAME = "må ikke være brugernavnet"
GOOD = ["korrekt hest batteri", "endnu bedre kodeord 2", "Mølleåens grønne bænk 7", "tre katte på en tagryg"]


def test_the_shipped_list_is_large_and_has_the_danish_favourites() -> None:
    entries = common_passwords()
    assert len(entries) >= 1000
    for danish in ("sommer2024", "password1", "qwerty123", "kodeord", "hejmeddig", "københavn", "brøndby"):
        assert danish in entries, danish
    assert all(entry == entry.lower() and entry.strip() == entry for entry in entries)
    assert accounts.COMMON_PASSWORDS_FILE.is_file()


@pytest.mark.parametrize(
    "password",
    [
        "Password1234",
        "PASSWORD2024!",
        "Sommer2024!!",
        "Sommer2024.12",
        "qwerty123456",
        "QwertyUiop123",
        "kodeord12345",
        "Kodeord 2025!",
        "hejmeddig123",
        "Hej med dig 2024",
        "hej-med-dig-1234",
        "Velkommen1234",
        "adgangskode12",
        "qwertyuiopå12",
        "123456789012",
        "111111111111",
        "Correct Horse Battery Staple",
    ],
)
def test_common_passwords_are_refused_also_with_digits_years_or_signs_after(password: str) -> None:
    assert len(password) >= accounts.MIN_PASSWORD_CHARS
    assert is_common_password(password)
    with pytest.raises(AccountError, match=COMMON):
        check_password(password, "anna")


@pytest.mark.parametrize("password", GOOD)
def test_good_passwords_pass(password: str) -> None:
    assert not is_common_password(password)
    check_password(password, "anna.jensen")


@pytest.mark.parametrize(
    "password",
    [
        "anna.jensen2024",
        "ANNA.JENSEN!!",
        "Anna.Jensen!",
        "annajensen1234",
        "nesnej.anna12",
        "NESNEJANNA123",
        "anna jensen 99",
    ],
)
def test_the_username_is_refused_also_reversed_or_with_digits_after(password: str) -> None:
    with pytest.raises(AccountError, match=LIKE_NAME):
        check_password(password, "anna.jensen")
    check_password("anna.jensen og hendes cykel", "anna.jensen")  # the name inside a longer sentence is fine


@pytest.mark.parametrize("password", [" " * 12, "\t" * 20, " \n \r\n" * 5, "\u00a0" * 15])
def test_only_whitespace_is_refused(password: str) -> None:
    with pytest.raises(AccountError, match="må ikke kun bestå af mellemrum"):
        check_password(password, "anna")


def test_length_limits_stay() -> None:
    with pytest.raises(AccountError, match="mindst 12 tegn"):
        check_password("", "anna")
    with pytest.raises(AccountError, match="mindst 12 tegn"):
        check_password("Xk7#qPz!", "anna")
    with pytest.raises(AccountError, match="højst være 1024 tegn"):
        check_password("ordentlig lang sætning " * 60, "anna")


def test_add_and_set_password_apply_the_policy(tmp_path, monkeypatch) -> None:
    import sqlalchemy as sa
    from argon2 import PasswordHasher

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    try:
        with pytest.raises(AccountError, match=COMMON):
            accounts.add_staff(engine, "bo", "sommer2024!!", "reviewer")
        with pytest.raises(AccountError, match=LIKE_NAME):
            accounts.add_staff(engine, "frederik.holm", "Frederik.Holm2025", "reviewer")
        assert accounts.list_staff(engine) == []  # nothing was created
        accounts.add_staff(engine, "frederik.holm", GOOD[0], "reviewer")
        with pytest.raises(AccountError, match="mellemrum"):
            accounts.set_password(engine, "frederik.holm", " " * 16)
        with pytest.raises(AccountError, match=LIKE_NAME):
            accounts.set_password(engine, "frederik.holm", "mloh.kirederf1")
        assert accounts.authenticate(engine, "frederik.holm", GOOD[0]) == "reviewer"  # the old one still works
    finally:
        engine.dispose()
