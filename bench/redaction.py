"""``muni bench redaction``: recall and false-positive rate of the CPR detector on a generated corpus.

Positives: CPR numbers with random valid dates (1900-2025, 29 February only in leap years) and serials,
in every typed shape (every separator, grouping and space form, full-width forms, a hidden zero-width
space) and every digit script (ASCII, full-width, Arabic-Indic, Devanagari, Bengali, Thai, mathematical
bold, mixed), inside Danish sentences. A positive counts as found when the text comes back with exactly
the number replaced by ``[CPR-nummer]`` and every other character kept.

Negatives: what must not be taken for a CPR number, in sentences: booking references, dates, times,
amounts, postcodes, case and order numbers with prefixes, Rasa's model and message ids (hex), UUIDs,
model file names with timestamps, ISO and Unix timestamps; phone numbers too, which must come back
as ``[telefonnummer]``. A negative is a false positive when the text comes back any other way.

Both corpora are seeded, so a run is repeatable; ``tests/unit/test_redaction_corpus.py`` runs the
same generator on 10,000 + 10,000 texts.
"""

from __future__ import annotations

import argparse
import calendar
import json
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from muni_core.redaction import CPR_PLACEHOLDER, PHONE_PLACEHOLDER, redact_text

DIGIT_FORMS: dict[str, int | None] = {
    "ascii": 0x30,
    "fullwidth": 0xFF10,
    "arabic-indic": 0x0660,
    "extended-arabic-indic": 0x06F0,
    "devanagari": 0x0966,
    "bengali": 0x09E6,
    "thai": 0x0E50,
    "math-bold": 0x1D7CE,
    "mixed": None,  # each digit in a random one of the scripts above
}

FULLWIDTH_SEPS = {"－": "-", "／": "/", "＿": "_", "．": ".", "＼": "\\"}
SEPARATORS = ["", "-", "/", "_", ".", "\\", ",", " ", "\u00a0", "\u2009", "\u202f", " - ", "–", *FULLWIDTH_SEPS]
"""Between the date part and the serial: ``ddmmyy{sep}xxxx``."""
GROUP_SEPARATORS = ["-", " ", ".", "/", "_", "\\", "\u00a0", "\u2009", "－", "／"]
"""Between every group: ``dd{sep}mm{sep}yy{sep}xxxx``."""
SPACES = [" ", "\u00a0", "\u2009", "\u202f", "\u3000"]


def _shapes() -> list[tuple[str, Callable[[str, str, str, str], str]]]:
    shapes: list[tuple[str, Callable[[str, str, str, str], str]]] = []
    for sep in SEPARATORS:
        shapes.append((f"ddmmyy{sep!r}xxxx", lambda d, m, y, s, sep=sep: f"{d}{m}{y}{sep}{s}"))
    for sep in GROUP_SEPARATORS:
        shapes.append((f"dd{sep!r}mm{sep!r}yy{sep!r}xxxx", lambda d, m, y, s, sep=sep: sep.join((d, m, y, s))))
    for space in SPACES:
        shapes.append((f"ddmm{space!r}yyxxxx", lambda d, m, y, s, sp=space: f"{d}{m}{sp}{y}{s}"))
        shapes.append((f"dd{space!r}mm{space!r}yyxxxx", lambda d, m, y, s, sp=space: f"{d}{sp}{m}{sp}{y}{s}"))
        shapes.append((f"ddmm{space!r}yy{space!r}xxxx", lambda d, m, y, s, sp=space: f"{d}{m}{sp}{y}{sp}{s}"))
    shapes += [
        ("dd.mm.yy-xxxx", lambda d, m, y, s: f"{d}.{m}.{y}-{s}"),
        ("dd.mm.yy xxxx", lambda d, m, y, s: f"{d}.{m}.{y} {s}"),
        ("dd/mm/yy-xxxx", lambda d, m, y, s: f"{d}/{m}/{y}-{s}"),
        ("dd mm yy xx xx", lambda d, m, y, s: f"{d} {m} {y} {s[:2]} {s[2:]}"),
        ("ddmmyy xx xx", lambda d, m, y, s: f"{d}{m}{y} {s[:2]} {s[2:]}"),
        ("ddmm<ZWSP>yyxxxx", lambda d, m, y, s: f"{d}{m}\u200b{y}{s}"),
        ("ddmmyy<soft hyphen>xxxx", lambda d, m, y, s: f"{d}{m}{y}\u00ad{s}"),
    ]
    return shapes


SHAPES = _shapes()

POSITIVE_SENTENCES = [
    "{x}",
    "Mit CPR-nummer er {x}, tak.",
    "cpr: {x}",
    "CPR:{x}",
    "{x} er mit personnummer",
    "Hej, jeg hedder Jens Hansen og mit cpr er {x}. Kan I hjælpe?",
    "Personnummer {x} – jeg har fået et brev fra kommunen.",
    "Kan I slå mig op på {x}?",
    "mit cpr nr er {x} og jeg ringer om min boligstøtte",
    "Barnets cpr-nummer: {x}\nMor: Karen",
    "Jeg har 2 børn, mit cpr er ({x}) hvis I skal bruge det",
    "Det drejer sig om min mor, {x}.",
]

NEGATIVE_SENTENCES = [
    "{x}",
    "Jeg skrev {x} i formularen.",
    "Se venligst {x}, tak.",
    "Hej, det drejer sig om {x} – kan I hjælpe?",
    "Ang. {x}\nMvh. Karen",
]

MONTHS = "januar februar marts april maj juni juli august september oktober november december".split()
NAME_WORDS = ["principal", "wood", "brisk", "sun", "quiet", "field", "amber", "harbour", "north", "lake"]


def _convert(text: str, form: str, rng: random.Random) -> str:
    """ASCII digits of ``text`` written in one of :data:`DIGIT_FORMS` (full-width also turns separators full-width)."""
    scripts = [base for base in DIGIT_FORMS.values() if base is not None]
    chars = []
    for char in text:
        if char.isdigit():
            base = DIGIT_FORMS[form] if form != "mixed" else rng.choice(scripts)
            chars.append(chr(int(char) + base))  # type: ignore[operator]
        else:
            chars.append(char)
    return "".join(chars)


def _random_date(rng: random.Random, first: int = 1900, last: int = 2025) -> tuple[int, int, int]:
    year = rng.randint(first, last)
    month = rng.randint(1, 12)
    return rng.randint(1, calendar.monthrange(year, month)[1]), month, year


def positives(count: int, seed: int = 13) -> list[tuple[str, str, str]]:
    """``count`` (shape and digit form, text, expected redaction): every shape × every digit form, in turn."""
    rng = random.Random(seed)
    corpus: list[tuple[str, str, str]] = []
    combos = [(shape, form) for shape in SHAPES for form in DIGIT_FORMS]
    while len(corpus) < count:
        (name, shape), form = combos[len(corpus) % len(combos)]
        day, month, year = _random_date(rng)
        number = shape(f"{day:02d}", f"{month:02d}", f"{year % 100:02d}", f"{rng.randrange(10_000):04d}")
        sentence = rng.choice(POSITIVE_SENTENCES)
        corpus.append(
            (f"{name} {form}", sentence.format(x=_convert(number, form, rng)), sentence.format(x=CPR_PLACEHOLDER))
        )
    return corpus


def _negative(kind: str, rng: random.Random) -> tuple[str, str]:
    """One negative of a kind: (the thing, what it must come back as)."""
    day, month, year = _random_date(rng, 2020, 2030)
    hour, minute, second = rng.randrange(24), rng.randrange(60), rng.randrange(60)
    if kind == "booking reference":
        ref = f"{rng.randrange(1_000_000):06d}"
        spoken = f"{ref[:2]} {ref[2:4]} {ref[4:]}"
        return rng.choice([ref, spoken, f"reference {spoken} ({ref})"]), ""
    if kind == "date":
        return rng.choice(
            [
                f"{day:02d}.{month:02d}.{year}",
                f"{day}/{month}-{year % 100:02d}",
                f"{day:02d}/{month:02d}-{year}",
                f"{year}-{month:02d}-{day:02d}",
                f"{day:02d}-{month:02d}-{year}",
                f"{day:02d}.{month:02d}.{year % 100:02d}",
                f"den {day}. {MONTHS[month - 1]} {year}",
                f"fra {day:02d}.{month:02d}.{year} til {rng.randint(1, 28):02d}.{month:02d}.{year}",
                f"{day:02d}.{month:02d}.{year} kl. {hour:02d}.{minute:02d}",
                f"{day:02d}/{month:02d}/{year % 100:02d} kl. {hour:02d}:{minute:02d}",
                f"{day:02d}.{month:02d}.{year % 100:02d} {hour:02d}.{minute:02d}",
            ]
        ), ""
    if kind == "time":
        end = (hour + 1) % 24
        return rng.choice(
            [f"kl. {hour:02d}.{minute:02d}", f"{hour:02d}:{minute:02d}", f"kl. {hour}.00-{end}.30", f"{hour}-{end}"]
        ), ""
    if kind == "amount":
        kroner = rng.randrange(100, 10_000_000)
        dotted = f"{kroner:,}".replace(",", ".")
        return rng.choice(
            [
                f"{dotted},{rng.randrange(100):02d} kr",
                f"kr. {dotted}",
                f"{dotted} kroner",
                f"DKK {dotted}",
                f"{dotted},-",
            ]
        ), ""
    if kind == "postcode":
        street = rng.choice(["Vestergade", "Havnegade", "Skolevej", "Rådhus Allé"])
        postcode = rng.randrange(1000, 10_000)
        return rng.choice(
            [f"{postcode} Frederikshavn", f"{street} {rng.randint(1, 150)}, 2. th, {postcode} Aarhus C"]
        ), ""
    if kind == "phone":
        digits = f"{rng.randint(2, 9)}{rng.randrange(10_000_000):07d}"
        while 1900 <= int(digits[:4]) <= 2099 and 1900 <= int(digits[4:]) <= 2099:  # "2029 1968" reads as two years
            digits = f"{rng.randint(2, 9)}{rng.randrange(10_000_000):07d}"
        pairs = " ".join(digits[i : i + 2] for i in range(0, 8, 2))
        return rng.choice(
            [digits, pairs, f"+45 {pairs}", f"{digits[:4]} {digits[4:]}", f"+45{digits}"]
        ), PHONE_PLACEHOLDER
    if kind == "case number":
        return rng.choice(
            [
                f"sagsnr. {year}-{rng.randrange(1_000_000):06d}",
                f"sag nr. {year % 100:02d}/{rng.randrange(100_000):05d}",
                f"ordrenr. ORD-{rng.randrange(1_000_000):06d}",
                f"J.nr. {year}-{rng.randrange(100_000):05d}",
                f"faktura {rng.randrange(1_000_000):06d}",
                f"SAG-{year}-{rng.randrange(10_000):04d}",
            ]
        ), ""
    if kind == "hex id":
        hexid = uuid.UUID(int=rng.getrandbits(128), version=4).hex
        return rng.choice([f"model_id {hexid}", f"message_id={hexid}", hexid, f"'model_id': '{hexid}'"]), ""
    if kind == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4)), ""
    if kind == "model file":
        stamp = f"{year}{month:02d}{day:02d}-{hour:02d}{minute:02d}{second:02d}"
        name = f"{stamp}-{rng.choice(NAME_WORDS)}-{rng.choice(NAME_WORDS)}.tar.gz"
        return rng.choice([name, f"models/{name}", f"Loading model /srv/muni/models/{name}"]), ""
    if kind == "iso timestamp":
        stamp = f"{year}-{month:02d}-{day:02d}"
        clock = f"{hour:02d}:{minute:02d}:{second:02d}"
        return rng.choice(
            [
                f"{stamp}T{clock}.{rng.randrange(1_000_000):06d}+00:00",
                f"{stamp}T{clock}Z",
                f"{stamp} {clock},{rng.randrange(1000):03d} INFO",
            ]
        ), ""
    if kind == "unix timestamp":
        return f"{rng.randrange(1_600_000_000, 1_900_000_000)}.{rng.randrange(1_000_000):06d}", ""
    raise ValueError(kind)


NEGATIVE_KINDS = [
    "booking reference",
    "date",
    "time",
    "amount",
    "postcode",
    "phone",
    "case number",
    "hex id",
    "uuid",
    "model file",
    "iso timestamp",
    "unix timestamp",
]


def negatives(count: int, seed: int = 13) -> list[tuple[str, str, str]]:
    """``count`` (kind, text, expected redaction), the kinds of :data:`NEGATIVE_KINDS` in turn."""
    rng = random.Random(seed + 1)
    corpus: list[tuple[str, str, str]] = []
    while len(corpus) < count:
        kind = NEGATIVE_KINDS[len(corpus) % len(NEGATIVE_KINDS)]
        thing, replaced = _negative(kind, rng)
        sentence = rng.choice(NEGATIVE_SENTENCES)
        corpus.append((kind, sentence.format(x=thing), sentence.format(x=replaced or thing)))
    return corpus


@dataclass
class Measured:
    """The detector's figures on one corpus."""

    positives: int = 0
    found: int = 0
    negatives: int = 0
    false_positives: int = 0
    cpr_false_positives: int = 0
    characters: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    missed: Counter[str] = field(default_factory=Counter)
    wrong: Counter[str] = field(default_factory=Counter)
    examples: list[tuple[str, str]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Positives redacted exactly."""
        return self.found / self.positives if self.positives else 1.0

    @property
    def false_positive_rate(self) -> float:
        """Negatives changed in any way other than expected."""
        return self.false_positives / self.negatives if self.negatives else 0.0

    @property
    def cpr_false_positive_rate(self) -> float:
        """Negatives in which a CPR number was 'found'."""
        return self.cpr_false_positives / self.negatives if self.negatives else 0.0


def measure(positive: list[tuple[str, str, str]], negative: list[tuple[str, str, str]]) -> Measured:
    """Redact every text of both corpora and count."""
    result = Measured(positives=len(positive), negatives=len(negative))
    started, cpu_started = time.perf_counter(), time.process_time()
    for label, text, expected in positive:
        got = redact_text(text)
        if got == expected:
            result.found += 1
        else:
            result.missed[label] += 1
            result.examples.append((text, got))
    for label, text, expected in negative:
        got = redact_text(text)
        if got != expected:
            result.false_positives += 1
            result.cpr_false_positives += CPR_PLACEHOLDER in got
            result.wrong[label] += 1
            result.examples.append((text, got))
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = time.process_time() - cpu_started
    result.characters = sum(len(text) for _, text, _ in positive) + sum(len(text) for _, text, _ in negative)
    return result


def run_redaction_bench(args: argparse.Namespace) -> int:
    """Generate the corpora, measure, print (and optionally write JSON); 1 if recall < 1 or FP rate > 0.1 %."""
    positive, negative = positives(args.size, args.seed), negatives(args.size, args.seed)
    result = measure(positive, negative)
    texts = result.positives + result.negatives
    figures = {
        "positives": result.positives,
        "negatives": result.negatives,
        "shapes": len(SHAPES),
        "digit_forms": len(DIGIT_FORMS),
        "recall": result.recall,
        "false_positive_rate": result.false_positive_rate,
        "cpr_false_positive_rate": result.cpr_false_positive_rate,
        "texts_per_second": texts / result.seconds,
        "texts_per_cpu_second": texts / result.cpu_seconds,
        "characters_per_cpu_second": result.characters / result.cpu_seconds,
        "mean_characters": result.characters / texts,
        "missed": dict(result.missed),
        "wrong": dict(result.wrong),
    }
    print(f"CPR-redaktion på {texts:,} genererede tekster (seed {args.seed})")
    print(f"  positive: {result.positives:,} ({len(SHAPES)} former × {len(DIGIT_FORMS)} cifferskrifter)")
    print(f"  recall:   {result.recall:.5f} ({result.found:,} fundet)")
    print(f"  negative: {result.negatives:,} ({len(NEGATIVE_KINDS)} slags)")
    print(
        f"  falsk positive: {result.false_positive_rate:.4%} ({result.false_positives}), heraf som CPR-nummer "
        f"{result.cpr_false_positive_rate:.4%} ({result.cpr_false_positives})"
    )
    print(
        f"  hastighed: {figures['texts_per_cpu_second']:,.0f} tekster pr. CPU-sekund "
        f"({figures['characters_per_cpu_second'] / 1e6:.2f} M tegn, gns. {figures['mean_characters']:.0f} tegn/tekst); "
        f"{figures['texts_per_second']:,.0f} tekster/s i væguret"
    )
    for text, got in result.examples[:10]:
        print(f"  fejl: {text!r} -> {got!r}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0 if result.recall == 1.0 and result.false_positive_rate <= 0.001 else 1


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.redaction``: the same as ``muni bench redaction``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", type=Path, default=None)
    return run_redaction_bench(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
