"""``muni review export``: reviewers' corrections as Rasa NLU training data, each exported once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from muni_core.conversations.schema import create_schema, review_corrections
from muni_core.paths import REPO_ROOT

REPO = REPO_ROOT
MUNI = [str(REPO / ".venv" / "bin" / "muni")] if (REPO / ".venv" / "bin" / "muni").exists() else [
    sys.executable, "-m", "muni.cli"
]  # fmt: skip
CORRECTIONS = [
    ("hvornår kan jeg hente mit nye pas", "nlu_fallback", "faq/pas"),
    ("jeg vil snakke med et rigtigt menneske", "out_of_scope", "human_handoff"),
    ("mit pas blev vasket i vaskemaskinen", "faq/koerekort", "faq/pas"),
    ("hvornår kan jeg hente mit nye pas", "nlu_fallback", "faq/pas"),  # same text marked in another conversation
    ("/greet", "greet", "greet"),  # a button payload: no training example
]


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MUNI_PROFILE", raising=False)
    monkeypatch.setenv("MUNI_CONFIG", str(tmp_path / "muni.yml"))
    monkeypatch.setenv("MUNI_RASA_TOKEN", "test-token")


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[str, sa.engine.Engine]]:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = sa.create_engine(url)
    create_schema(engine)
    insert(engine, CORRECTIONS, first_event=1)
    yield url, engine
    engine.dispose()


def insert(engine: sa.engine.Engine, corrections: list[tuple[str, str, str]], first_event: int) -> None:
    now = time.time()
    rows = [
        {
            "conversation_id": f"samtale-{index % 3}",
            "event_id": first_event + index,
            "text": text,
            "predicted_intent": predicted,
            "correct_intent": correct,
            "reviewer": "alice",
            "created_at": now + index,
            "exported_at": None,
        }
        for index, (text, predicted, correct) in enumerate(corrections)
    ]
    with engine.begin() as connection:
        connection.execute(sa.insert(review_corrections), rows)


def export(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MUNI, "review", "export", "--url", url, *args],
        capture_output=True, text=True, timeout=60, check=False, cwd=REPO, env=os.environ.copy(),
    )  # fmt: skip


def exported_at(engine: sa.engine.Engine) -> list[float | None]:
    with engine.connect() as connection:
        return list(connection.execute(sa.select(review_corrections.c.exported_at).order_by("id")).scalars())


def test_export_writes_rasa_nlu_yaml_and_marks_corrections(database, tmp_path: Path) -> None:
    url, engine = database
    out = tmp_path / "rettelser.yml"
    done = export(url, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    text = out.read_text(encoding="utf-8")
    assert text.startswith('version: "3.1"\n')
    data = yaml.safe_load(text)
    assert data["version"] == "3.1"
    assert data["nlu"] == [
        {
            "intent": "faq/pas",
            "examples": "- hvornår kan jeg hente mit nye pas\n- mit pas blev vasket i vaskemaskinen\n",
        },
        {"intent": "human_handoff", "examples": "- jeg vil snakke med et rigtigt menneske\n"},
    ]
    assert "examples: |" in text  # Rasa's block style
    assert "Eksporterede 3 eksempler (2 intents)" in done.stderr
    assert "nlu_data/" in done.stderr and "muni train" in done.stderr
    assert all(value is not None for value in exported_at(engine))

    again = export(url, "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert "Ingen nye rettelser at eksportere." in again.stderr
    assert out.read_text(encoding="utf-8") == text  # left as it was

    insert(engine, [("kan i sende mig en blanket til boligstøtte", "nlu_fallback", "faq/boligstoette")], 100)
    new = export(url)  # to standard output
    assert new.returncode == 0, new.stderr
    assert yaml.safe_load(new.stdout)["nlu"] == [
        {"intent": "faq/boligstoette", "examples": "- kan i sende mig en blanket til boligstøtte\n"}
    ]
    assert "Eksporterede 1 eksempler (1 intents) til standard-output." in new.stderr


def test_all_re_exports_and_keep_marks_nothing(database, tmp_path: Path) -> None:
    url, engine = database
    preview = export(url, "--keep")
    assert preview.returncode == 0, preview.stderr
    assert "Intet er markeret som eksporteret (--keep)." in preview.stderr
    assert exported_at(engine) == [None] * len(CORRECTIONS)
    assert export(url, "--out", str(tmp_path / "first.yml")).returncode == 0
    marked = exported_at(engine)

    everything = export(url, "--all", "--out", str(tmp_path / "all.yml"))
    assert everything.returncode == 0, everything.stderr
    assert yaml.safe_load((tmp_path / "all.yml").read_text(encoding="utf-8")) == yaml.safe_load(
        (tmp_path / "first.yml").read_text(encoding="utf-8")
    )
    assert exported_at(engine) == marked  # already exported: the first export time is kept
    assert "Ingen nye rettelser" in export(url).stderr


def test_unwritable_out_marks_nothing(database, tmp_path: Path) -> None:
    url, engine = database
    done = export(url, "--out", str(tmp_path / "missing-folder" / "f.yml"))
    assert done.returncode == 1
    assert "kunne ikke skrives" in done.stderr and "Traceback" not in done.stderr
    assert exported_at(engine) == [None] * len(CORRECTIONS)


def test_unreachable_database_is_a_clear_error() -> None:
    done = export("postgresql://postgres@127.0.0.1:1/muni")
    assert done.returncode == 2
    assert "kan ikke nås" in done.stderr and "Traceback" not in done.stderr
