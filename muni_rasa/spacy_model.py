"""Build the Danish spaCy pipeline used by the spaCy-based NLU configuration.

``spacy.blank("da")`` plus the lemmatizer in lookup mode, with its tables from
``spacy-lookups-data`` (a PyPI package; no model download). Saved to a folder
that ``SpacyNLP`` loads by path: ``python -m muni_rasa.spacy_model models/spacy-da-lookup``.
"""

from __future__ import annotations

import sys
from pathlib import Path


def build(target: Path) -> Path:
    """Create and save the pipeline; return the folder."""
    import spacy

    nlp = spacy.blank("da")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    target.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    return target


if __name__ == "__main__":
    folder = build(Path(sys.argv[1] if len(sys.argv) > 1 else "models/spacy-da-lookup"))
    print(f"spaCy-pipeline gemt i {folder}")
