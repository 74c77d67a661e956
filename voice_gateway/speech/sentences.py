"""Danish text prepared for speech: cleaned of what synthesisers choke on and split into sentences.

Text-to-speech yields one audio chunk per sentence so the first audio leaves while the rest of the
answer is still being synthesised. A naive split on "." breaks Danish text at abbreviations
("kl. 10", "f.eks. pas"), ordinals and dates ("den 24. december"), times ("kl. 10.30"), decimals
and addresses ("borger.dk"); :func:`split_sentences` avoids that, splits bullet lists and lines,
merges very short fragments into a neighbour and cuts very long sentences at commas.
"""

from __future__ import annotations

import re
import unicodedata

from muni_core.danish.calendar import MONTH_ABBREVIATIONS, MONTH_NAMES

MIN_SENTENCE_CHARS = 12
MAX_SENTENCE_CHARS = 160

# Abbreviations after which a sentence never ends (they are followed by what they abbreviate).
NEVER_FINAL_ABBREVIATIONS = frozenset(
    {
        "kl.",
        "f.eks.",
        "fx.",
        "bl.a.",
        "nr.",
        "ca.",
        "evt.",
        "dvs.",
        "jf.",
        "jvf.",
        "tlf.",
        "pkt.",
        "hhv.",
        "inkl.",
        "ekskl.",
        "ang.",
        "vedr.",
        "pga.",
        "mht.",
        "iht.",
        "ift.",
        "vha.",
        "hr.",
        "fr.",
        "dr.",
        "skt.",
        "sct.",
        "att.",
        "ref.",
    }
)

# Abbreviations that often close a sentence ("... pas, kørekort osv. Husk også ..."): they end one only
# when the next word starts with a capital letter, like any other word ending in a period.
MAYBE_FINAL_ABBREVIATIONS = frozenset({"mv.", "m.v.", "osv.", "m.m.", "m.fl.", "o.l.", "etc.", "kr."})

# Month names and abbreviations ("24. dec. kl. 10"): an ordinal before one does not end a sentence.
MONTHS = frozenset(MONTH_NAMES) | {f"{abbreviation}." for abbreviation in MONTH_ABBREVIATIONS}

# Sentence-final punctuation (optionally followed by closing quotes/brackets) before a space or the end.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”»)\]]*(?=\s|$)")
_BULLET = re.compile(r"^\s*(?:[-*•–—·▪◦‣]|(\d{1,2})[.)])\s+")
_SOFT_BREAK = re.compile(r"(?<=[,;:])\s+|(?<=\s[–—])\s+")
_TERMINAL = ".!?…,;:"
_LEADING_PUNCT = "\"'“„«([{"

# Markdown and characters the engines read out or choke on.
_MD_LINK = re.compile(r"\[([^\]]*)\]\((?:[^)]*)\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|`+|~~)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_UNSPEAKABLE = re.compile(r"[\[\]{}<>|\\^_~]+")
_KEEP_SYMBOLS = frozenset("°©®")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")


def clean_for_speech(text: str) -> str:
    """Text with markup, emoji, control and bracket characters removed; line structure and bullets kept.

    Square brackets are always removed: Piper reads ``[[ ... ]]`` as raw phonemes.
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _INVISIBLE.sub("", text)
    lines = []
    for raw_line in text.split("\n"):
        line = _MD_HEADING.sub("", raw_line)
        bullet = _BULLET.match(line)
        prefix = ""
        if bullet:
            prefix = f"{bullet.group(1)}. " if bullet.group(1) else "- "
            line = line[bullet.end() :]
        line = _MD_LINK.sub(r"\1", line)
        line = _MD_EMPHASIS.sub("", line)
        line = "".join(_speakable_char(char) for char in line)
        line = _UNSPEAKABLE.sub(" ", line)
        line = _SPACES.sub(" ", line).strip()
        lines.append(prefix + line if line else "")
    return "\n".join(lines).strip()


def _speakable_char(char: str) -> str:
    """The character itself, a space for control characters, or nothing for emoji and other symbols."""
    if char == "\t":
        return " "
    category = unicodedata.category(char)
    if category in ("Cc", "Cf", "Cs", "Co", "Cn"):
        return " " if category == "Cc" else ""
    if category in ("So", "Sk") and char not in _KEEP_SYMBOLS:
        return ""
    return char


def split_sentences(
    text: str, *, min_chars: int = MIN_SENTENCE_CHARS, max_chars: int = MAX_SENTENCE_CHARS
) -> list[str]:
    """Danish ``text`` as a list of sentences to synthesise one at a time.

    Splits at ``.``, ``!``, ``?`` and line breaks/bullet items, but not after abbreviations, ordinal
    and date numbers, times, decimals or e-mail and web addresses. Fragments shorter than
    ``min_chars`` are merged into a neighbour; sentences longer than ``max_chars`` are cut at commas
    (or, failing that, between words).
    """
    pieces: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _SPACES.sub(" ", line).strip()
        bullet = _BULLET.match(line)
        marker = ""
        if bullet:
            marker = f"{bullet.group(1)}. " if bullet.group(1) else ""
            line = line[bullet.end() :].strip()
        if not line:
            continue
        for index, sentence in enumerate(_split_line(line)):
            pieces.append(marker + sentence if index == 0 else sentence)
    merged = _merge_short(pieces, min_chars, max_chars)
    result: list[str] = []
    for sentence in merged:
        result.extend(_cap_length(sentence, max_chars))
    return result


def _split_line(line: str) -> list[str]:
    """One line cut at its sentence boundaries."""
    sentences = []
    start = 0
    for match in _BOUNDARY.finditer(line):
        end = match.end()
        if end < len(line) and not _is_boundary(line, match):
            continue
        sentence = line[start:end].strip()
        if sentence:
            sentences.append(sentence)
        start = end
    rest = line[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def _is_boundary(line: str, match: re.Match[str]) -> bool:
    """Whether the punctuation ``match`` (followed by more text) ends a sentence."""
    punctuation = match.group(0)
    if "!" in punctuation or "?" in punctuation:
        return True
    word_start = line.rfind(" ", 0, match.start()) + 1
    word = line[word_start : match.end()].lstrip(_LEADING_PUNCT).lower()
    following = line[match.end() :].lstrip()
    next_word = following.split(" ", 1)[0].lower()
    first = following[0]
    if word in NEVER_FINAL_ABBREVIATIONS:
        return False
    if re.fullmatch(r"\w\.", word) and word[0].isalpha() and line[word_start:].lstrip(_LEADING_PUNCT)[0].isupper():
        return False  # an initial: "H. C. Andersen"
    if re.fullmatch(r"\d{1,4}\.", word) and (next_word in MONTHS or next_word.rstrip(",.") in MONTHS):
        return False  # a date: "den 24. december", "1. Maj"
    # Anything else (a number, "mv.", "osv.", an address, a word) ends a sentence only before a capital
    # letter or an opening quote: "1. sal", "2. behandling", "borger.dk. Der ..." vs "... osv. og ...".
    return first.isupper() or first in _LEADING_PUNCT


def _join(left: str, right: str) -> str:
    """Two fragments as one; a comma keeps the pause when ``left`` has no punctuation of its own."""
    separator = " " if left[-1] in _TERMINAL else ", "
    return left + separator + right


def _merge_short(sentences: list[str], min_chars: int, max_chars: int) -> list[str]:
    """Sentences with fragments shorter than ``min_chars`` merged into the next (or, at the end, previous) one."""
    merged: list[str] = []
    pending = ""
    for sentence in sentences:
        candidate = _join(pending, sentence) if pending else sentence
        if pending and len(candidate) > max_chars:
            merged.append(pending)
            candidate = sentence
        if len(candidate) < min_chars:
            pending = candidate
            continue
        merged.append(candidate)
        pending = ""
    if pending:
        if merged and len(_join(merged[-1], pending)) <= max_chars:
            merged[-1] = _join(merged[-1], pending)
        else:
            merged.append(pending)
    return merged


def _cap_length(sentence: str, max_chars: int) -> list[str]:
    """A sentence cut into parts of at most ``max_chars`` at commas, semicolons, colons or dashes, else spaces."""
    if len(sentence) <= max_chars:
        return [sentence]
    parts = [part for part in _SOFT_BREAK.split(sentence) if part]
    if len(parts) == 1:
        return _cap_at_spaces(sentence, max_chars)
    result: list[str] = []
    current = ""
    for part in parts:
        if len(part) > max_chars:
            if current:
                result.append(current)
                current = ""
            result.extend(_cap_at_spaces(part, max_chars))
        elif not current:
            current = part
        elif len(current) + 1 + len(part) <= max_chars:
            current = f"{current} {part}"
        else:
            result.append(current)
            current = part
    if current:
        result.append(current)
    return result


def _cap_at_spaces(text: str, max_chars: int) -> list[str]:
    """Text cut between words into parts of at most ``max_chars`` (a longer single word stays whole)."""
    result: list[str] = []
    current = ""
    for word in text.split(" "):
        if current and len(current) + 1 + len(word) > max_chars:
            result.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        result.append(current)
    return result
