"""``muni review export``: the reviewers' corrections as Rasa NLU training data.

In the console a reviewer marks a citizen message that the assistant misunderstood and picks the
intent it should have been (``muni_review_corrections``). This command writes those corrections as
Rasa 3.x NLU YAML (``version: "3.1"``, one ``- intent:`` entry with an ``examples: |`` block per
intent; :func:`muni_core.console.review.corrections_to_nlu_yaml`) to ``--out`` or standard output.

Which corrections, and what is marked:

* by default the pending ones (never exported); after the file is written they are marked exported,
  so the next export brings only what reviewers marked since;
* ``--all``: every correction, also those exported before (to rebuild one complete file); the
  pending ones among them are marked exported as usual;
* ``--keep``: marks nothing (a preview; combine with ``--all`` for a look at everything).

Nothing is written when there is nothing to export (an earlier ``--out`` file is left as it was).
The file is never copied into ``nlu_data/`` by this command: a person checks it first.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from muni.services import eprint
from muni.staff_cli import open_engine


def count_examples(nlu_yaml: str) -> tuple[int, int]:
    """(examples, intents) in Rasa NLU YAML as written by ``corrections_to_nlu_yaml``."""
    import yaml

    entries = (yaml.safe_load(nlu_yaml) or {}).get("nlu") or []
    examples = sum(
        1 for entry in entries for line in str(entry.get("examples", "")).splitlines() if line.startswith("- ")
    )
    return examples, len(entries)


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder (no half-written file)."""
    path = path.expanduser()
    folder = path.parent if str(path.parent) else Path()
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def run_export(args: argparse.Namespace, url: str) -> int:
    """Carry out ``muni review export`` against the database at ``url``."""
    from muni_core.console.review import corrections_to_nlu_yaml, mark_exported, pending_corrections

    engine = open_engine(url)
    try:
        rows: list[dict[str, Any]] = pending_corrections(engine, include_exported=args.all)
        nlu_yaml = corrections_to_nlu_yaml(rows)
        examples, intents = count_examples(nlu_yaml)
        if not examples:
            what = "rettelser" if args.all else "nye rettelser"
            unusable = " (kun tekster, der ikke kan bruges til træning)" if rows else ""
            eprint(f"Ingen {what} at eksportere{unusable}.")
            if rows and not args.keep:
                mark_exported(engine, [row["id"] for row in rows if row.get("exported_at") is None])
            return 0
        if args.out:
            try:
                _write_atomically(Path(args.out), nlu_yaml)
            except OSError as error:
                eprint(f"Fejl: {args.out} kunne ikke skrives ({error.strerror or error}). Intet er markeret.")
                return 1
        else:
            sys.stdout.write(nlu_yaml)
            sys.stdout.flush()
        pending = [row["id"] for row in rows if row.get("exported_at") is None]
        marked = 0 if args.keep else mark_exported(engine, pending)
    finally:
        engine.dispose()
    target = args.out or "standard-output"
    eprint(f"Eksporterede {examples} eksempler ({intents} intents) til {target}.")
    if args.keep:
        eprint("Intet er markeret som eksporteret (--keep).")
    elif marked:
        eprint(f"{marked} rettelser er markeret som eksporteret.")
    eprint("Gennemgå eksemplerne, og kopiér dem ind i nlu_data/ (i den rette fil), før du kører 'muni train'.")
    return 0
