"""The trained model must use the taxonomy's names; every label needs enough varied examples."""

import re
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from muni_core.paths import REPO_ROOT

TAXONOMY = yaml.safe_load((REPO_ROOT / "taxonomy.yml").read_text(encoding="utf-8"))
SHARED_TAXONOMY = REPO_ROOT.parent / "shared" / "taxonomy.yml"
ANNOTATION = re.compile(r"\[([^\]]+)\]\{[^}]*\}")


def examples_in(paths: list[Path]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" in block:
                lines = [line[2:].strip() for line in block["examples"].splitlines() if line.strip().startswith("- ")]
                found[block["intent"]].extend(lines)
    return found


TRAINING = examples_in(sorted((REPO_ROOT / "nlu_data").glob("*.yml")))
LABELS = [i["name"] for i in TAXONOMY["dialogue_intents"]] + [f"faq/{t['name']}" for t in TAXONOMY["faq_topics"]]


def plain(example: str) -> str:
    return re.sub(r"[^\wæøå ]", "", ANNOTATION.sub(r"\1", example).lower()).strip()


def test_repository_copy_of_taxonomy_matches_shared() -> None:
    if not SHARED_TAXONOMY.exists():
        pytest.skip("../shared/taxonomy.yml is not beside this checkout")
    assert SHARED_TAXONOMY.read_text(encoding="utf-8") == (REPO_ROOT / "taxonomy.yml").read_text(encoding="utf-8")


@pytest.mark.parametrize("label", LABELS)
def test_each_label_has_at_least_15_distinct_examples(label: str) -> None:
    distinct = {plain(e) for e in TRAINING.get(label, [])}
    assert len(distinct) >= 15, f"{label}: {len(distinct)} eksempler"


# Intents this project adds to the taxonomy (allowed: "Add intents freely; do not rename or drop these").
ADDITIONS = {"stop"}


def test_no_labels_outside_the_taxonomy_and_its_additions() -> None:
    assert set(TRAINING) <= set(LABELS) | ADDITIONS, set(TRAINING) - set(LABELS) - ADDITIONS


def test_no_example_under_two_labels() -> None:
    owner: dict[str, str] = {}
    clashes = []
    for label, examples in TRAINING.items():
        for example in examples:
            key = plain(example)
            if key in owner and owner[key] != label:
                clashes.append((example, owner[key], label))
            owner[key] = label
    assert not clashes, clashes[:10]


def test_one_file_per_topic() -> None:
    for topic in TAXONOMY["faq_topics"]:
        assert (REPO_ROOT / "nlu_data" / f"faq_{topic['name']}.yml").exists()


def test_heldout_set_is_disjoint_from_training() -> None:
    heldout = examples_in([REPO_ROOT / "tests" / "nlu" / "heldout_da.yml"])
    assert set(heldout) == set(LABELS)
    training = {plain(e) for examples in TRAINING.values() for e in examples}
    overlap = [e for examples in heldout.values() for e in examples if plain(e) in training]
    assert not overlap, overlap


def test_domain_declares_every_taxonomy_intent() -> None:
    import sys

    sys.path.insert(0, str(REPO_ROOT))
    from muni.faq_domain import sync

    sync()  # the faq retrieval intent is declared in the generated faq_responses.yml
    declared = set()
    for path in (REPO_ROOT / "bot" / "domain").glob("*.yml"):
        for intent in yaml.safe_load(path.read_text(encoding="utf-8")).get("intents", []) or []:
            declared.add(intent if isinstance(intent, str) else next(iter(intent)))
    assert {i["name"] for i in TAXONOMY["dialogue_intents"]} | {"faq"} <= declared
