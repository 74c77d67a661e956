"""Training the NLU on what the recogniser makes of speech: ``muni nlu phone-augment``.

The default Whisper model mishears much Danish telephone speech. For a sample of the training
examples of every intent, this speaks the example with espeak-ng at telephone quality, transcribes
it with the gateway's own recogniser (same model, settings and hallucination guard), and writes the
transcripts that differ from the original to ``nlu_data/phone_transcripts.yml`` under the same
intent. The next training then also learns the recogniser's typical errors. Examples with entity
annotations are skipped (a transcript has no reliable entity spans), so are short dialogue acts
(``SKIPPED_INTENTS``) and transcripts too unlike the example to be a mishearing (``MIN_SIMILARITY``).
The raw pairs are kept in ``var/phone_augment_raw.tsv`` for inspection.

Run it again after changing the training data or the speech model; the output is committed.
"""

from __future__ import annotations

import asyncio
import difflib
import random
import re
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import yaml

from muni_core.paths import REPO_ROOT

NLU_DIR = REPO_ROOT / "nlu_data"
OUTPUT_FILE = NLU_DIR / "phone_transcripts.yml"
RAW_FILE = REPO_ROOT / "var" / "phone_augment_raw.tsv"
# Short dialogue acts are answered by keypad and the gateway's own ja/nej matching on the phone; their
# garbled transcripts ("Jør.", "Det kørekort.") only blur the topics, so they are not augmented.
SKIPPED_INTENTS = frozenset({"affirm", "deny", "greet", "goodbye", "thank", "repeat", "stop", "inform"})
MIN_SIMILARITY = 0.4
"""Transcripts less similar than this to the spoken example (difflib ratio) are noise, not a mishearing."""
_ANNOTATION = re.compile(r"\[[^\]]+\]\s*[({]")
_WORD = re.compile(r"\w+")


def nlu_examples(path: Path) -> Iterator[tuple[str, str]]:
    """(intent, example text as written, annotations included) of one Rasa NLU file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for block in data.get("nlu") or []:
        intent = block.get("intent")
        if not intent:
            continue
        for line in str(block.get("examples", "")).splitlines():
            text = line.strip().removeprefix("- ").strip()
            if text:
                yield intent, text


def training_examples(nlu_dir: Path = NLU_DIR) -> dict[str, list[str]]:
    """Plain (unannotated) examples per intent from every NLU file except the generated one."""
    examples: dict[str, list[str]] = defaultdict(list)
    for path in sorted(nlu_dir.glob("*.yml")):
        if path.name == OUTPUT_FILE.name:
            continue
        for intent, text in nlu_examples(path):
            if not _ANNOTATION.search(text):
                examples[intent].append(text)
    return examples


def _normalise(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


async def _transcribe_all(jobs: list[tuple[str, str, int]], model_dir: str | None) -> list[tuple[str, str, str]]:
    from dataclasses import replace

    from voice_gateway.speech.audio import resample
    from voice_gateway.speech.stt import SttSettings, WhisperSpeechToText
    from voice_gateway.speech.synthetic import phone_pcm

    settings = SttSettings() if not model_dir else replace(SttSettings(), model_dir=Path(model_dir))
    stt = WhisperSpeechToText(settings)
    results = []
    started = time.monotonic()
    for number, (intent, text, speed) in enumerate(jobs, start=1):
        pcm16k = resample(phone_pcm(text, words_per_minute=speed), 8000, 16000)
        transcript = await stt.transcribe(pcm16k)
        results.append((intent, text, transcript.text if transcript.understood else ""))
        if number % 50 == 0:
            elapsed = time.monotonic() - started
            print(f"{number}/{len(jobs)} eksempler ({elapsed / number:.2f} s pr. stk.)", flush=True)
    return results


def augment(per_intent: int = 20, seed: int = 11, model_dir: str | None = None, output: Path = OUTPUT_FILE) -> int:
    """Write the transcripts file; return how many examples it holds."""
    rng = random.Random(seed)
    jobs: list[tuple[str, str, int]] = []
    for intent, texts in sorted(training_examples().items()):
        if intent in SKIPPED_INTENTS:
            continue
        sample = rng.sample(texts, min(per_intent, len(texts)))
        jobs.extend((intent, text, rng.choice((140, 160, 180))) for text in sample)
    results = asyncio.run(_transcribe_all(jobs, model_dir))
    RAW_FILE.parent.mkdir(parents=True, exist_ok=True)
    RAW_FILE.write_text("".join(f"{intent}\t{text}\t{heard}\n" for intent, text, heard in results), encoding="utf-8")
    return write_transcripts(results, output)


def similarity(said: str, heard: str) -> float:
    """How close the transcript is to what was said (0..1, on normalised words)."""
    return difflib.SequenceMatcher(None, _normalise(said), _normalise(heard)).ratio()


def write_transcripts(results: list[tuple[str, str, str]], output: Path = OUTPUT_FILE) -> int:
    """Keep the plausible mishearings (new, similar enough) and write them as Rasa NLU data."""
    existing = {_normalise(text) for texts in training_examples().values() for text in texts}
    by_intent: dict[str, list[str]] = defaultdict(list)
    seen: set[str] = set()
    for intent, text, heard in results:
        key = _normalise(heard)
        if not key or key in existing or key in seen or similarity(text, heard) < MIN_SIMILARITY:
            continue
        seen.add(key)
        by_intent[intent].append(re.sub(r"[\[\]{}()\n]", " ", heard).strip())
    lines = [
        "# Generated by `muni nlu phone-augment`: what the speech recogniser (models/stt) made of",
        "# espeak-ng telephone audio of a sample of the training examples. Do not edit by hand; re-run it.",
        'version: "3.1"',
        "nlu:",
    ]
    count = 0
    for intent in sorted(by_intent):
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        for text in by_intent[intent]:
            lines.append(f"    - {text}")
            count += 1
    output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return count
