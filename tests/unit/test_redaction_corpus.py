"""The CPR detector on a generated corpus: 10,000 positives found exactly, at most 0.1 % false positives.

The corpora are the seeded ones of ``bench/redaction.py`` (``muni bench redaction`` runs them bigger).
Measured on 10,000 + 10,000 (seed 13): recall 1.0, false-positive rate 0.0 %.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bench.redaction import DIGIT_FORMS, NEGATIVE_KINDS, SHAPES, measure, negatives, positives
from muni_core.redaction import CPR_PLACEHOLDER

SIZE = 10_000


@pytest.fixture(scope="module")
def corpora() -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    return positives(SIZE), negatives(SIZE)


def test_the_corpus_is_large_varied_and_deterministic(corpora) -> None:
    positive, negative = corpora
    assert len(positive) >= 10_000 and len(negative) >= 10_000
    assert positives(50) == positive[:50] and negatives(50) == negative[:50]
    assert len({text for _, text, _ in positive}) > 0.99 * len(positive)
    assert len({label for label, _, _ in positive}) == len(SHAPES) * len(DIGIT_FORMS)  # every shape × every script
    assert set(Counter(kind for kind, _, _ in negative)) == set(NEGATIVE_KINDS)
    assert all(CPR_PLACEHOLDER in expected for _, _, expected in positive)
    assert not any(CPR_PLACEHOLDER in expected for _, _, expected in negative)


def test_recall_is_one_and_false_positives_at_most_a_tenth_of_a_percent(corpora) -> None:
    result = measure(*corpora)
    print(
        f"recall {result.recall:.5f} on {result.positives}, false-positive rate {result.false_positive_rate:.4%} "
        f"(as CPR {result.cpr_false_positive_rate:.4%}) on {result.negatives}"
    )
    assert result.recall == 1.0, (dict(result.missed), result.examples[:5])
    assert result.false_positive_rate <= 0.001, (dict(result.wrong), result.examples[:5])
    assert result.cpr_false_positives == 0, result.examples[:5]
