import re
from pathlib import Path

import pytest
import yaml

from actions.content import BOOKING_PLACEHOLDERS, ContentBase, ContentError
from muni_core.municipalities import MunicipalityRegistry
from muni_core.paths import REPO_ROOT

CONTENT = ContentBase(REPO_ROOT / "content")
REGISTRY = MunicipalityRegistry(REPO_ROOT / "content" / "municipalities")
TAXONOMY = yaml.safe_load((REPO_ROOT / "taxonomy.yml").read_text(encoding="utf-8"))
TOPICS = [topic["name"] for topic in TAXONOMY["faq_topics"]]
MUNICIPALITIES = [REGISTRY.resolve(i) for i in [*REGISTRY.ids, "_generic"]]
WHERE_NEXT = re.compile(r"\b[\w-]+\.dk\b|kommune|\bBorgerservice\b|\b\d{2} \d{2} \d{2} \d{2}\b", re.IGNORECASE)


def sentences(text: str) -> list[str]:
    # A sentence ends with . ! or ? followed by a space and a capital letter (not "fx." or "kl. 10").
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-ZÆØÅ])", text) if s.strip()]


@pytest.mark.parametrize("topic", TOPICS)
def test_every_taxonomy_topic_has_a_phone_friendly_answer(topic: str) -> None:
    assert topic in CONTENT.answers, f"content/faq/{topic}.yml mangler"
    for municipality in MUNICIPALITIES:
        text = CONTENT.answer(topic, municipality)
        assert "{" not in text and "}" not in text
        assert 2 <= len(sentences(text)) <= 4, text
        assert len(text) <= 520, f"{topic}: {len(text)} tegn er for langt at læse op"
        assert WHERE_NEXT.search(text), f"{topic}: svaret siger ikke, hvor man går hen"
        assert "http" not in text and "*" not in text


def test_municipality_placeholders_are_filled() -> None:
    frederikshavn = REGISTRY.get("frederikshavn")
    generic = REGISTRY.resolve(None)
    uses_name = [t for t, a in CONTENT.answers.items() if "{municipality_name}" in a.text]
    assert uses_name, "mindst ét svar bør nævne kommunen"
    topic = uses_name[0]
    assert "Frederikshavn" in CONTENT.answer(topic, frederikshavn)
    assert "din kommune Kommune" not in CONTENT.answer(topic, generic)


def test_override_wins_for_its_municipality_only() -> None:
    aarhus, frederikshavn = REGISTRY.get("aarhus"), REGISTRY.get("frederikshavn")
    assert "Kredsløb" in CONTENT.answer("affald", aarhus)
    assert "Kredsløb" not in CONTENT.answer("affald", frederikshavn)


def test_messages_render_for_every_municipality() -> None:
    values = {name: "x" for name in BOOKING_PLACEHOLDERS}
    for key in CONTENT.messages:
        for municipality in MUNICIPALITIES:
            text = CONTENT.message(key, municipality, **values)
            assert text and "{" not in text


def test_unknown_placeholder_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "faq").mkdir()
    (tmp_path / "messages.yml").write_text("hello: hej\n", encoding="utf-8")
    (tmp_path / "faq" / "pas.yml").write_text("topic: pas\ntitle: Pas\nanswer: Ring til {telefon}.\n", encoding="utf-8")
    with pytest.raises(ContentError, match="ukendte pladsholdere"):
        ContentBase(tmp_path)


def test_topic_must_match_file_name(tmp_path: Path) -> None:
    (tmp_path / "faq").mkdir()
    (tmp_path / "messages.yml").write_text("hello: hej\n", encoding="utf-8")
    (tmp_path / "faq" / "pas.yml").write_text("topic: vielse\ntitle: Pas\nanswer: Tekst.\n", encoding="utf-8")
    with pytest.raises(ContentError, match="svare til filnavnet"):
        ContentBase(tmp_path)
