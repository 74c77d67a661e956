"""The hallucination guard: decide what of Whisper's output may reach the dialogue.

Whisper invents text when it hears little: subtitle credits from its training data ("Undertekster
af …", "Thanks for watching"), decoding loops ("der er en kæmpe, der er en kæmpe, …"), the words of
its own prompt, or far more words than anyone can say in the time. On 8 kHz telephone audio and a
small model such inventions dominate the errors, so every transcript passes :func:`guard` and is
either cleaned and passed on or rejected with a reason (the dialogue then asks again); noise never
reaches the dialogue as text.

The rules, in order (all pure functions, no model needed):

1. Per segment: drop it when ``no_speech_prob`` is high AND ``avg_logprob`` is low (Whisper's own
   silence rule, reason ``no_speech``), when its ``compression_ratio`` is above the threshold (a
   loop, ``repetition``), and remove sentences holding a known hallucination phrase and bracketed
   annotations such as "[Musik]" (if nothing is left: ``hallucination``).
2. Cut the text where it starts to repeat three consecutive words of the initial prompt (the prompt
   is a list of domain words; an echo of it is not speech): ``prompt_echo`` if nothing is left.
3. A 2–4-word n-gram repeated three or more times in a row is a decoding loop: ``repetition``.
   A single word repeated three or more times ("nej nej nej") is collapsed to one.
4. Only punctuation: ``empty``; only fillers ("øh", "hmm"): ``filler``.
5. More than ``max_words_per_second * audio_s + 3`` words cannot have been said in the time:
   ``too_long``. The whole transcript is rejected rather than cut to a prefix: greedy decoding
   usually goes wrong from the start when it goes wrong at all, and asking again costs less than
   acting on a half-invented sentence.
6. ``confidence = exp(mean avg_logprob of the kept segments)`` clipped to 0..1; below
   ``min_confidence``: ``low_confidence``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

# Lower-case fragments of subtitle credits and other text Whisper invents on silence or noise.
HALLUCINATION_PHRASES: tuple[str, ...] = (
    # Danish subtitle credits and outros
    "undertekster af",
    "undertekst af",
    "undertekstning",
    "tekstet af",
    "tekster af",
    "tekster:",
    "tekstning af",
    "tekstning:",
    "danske tekster",
    "dansk tekst",
    "oversat af",
    "oversættelse af",
    "tak fordi du så med",
    "tak fordi i så med",
    "tak for at se med",
    "tak for at i så med",
    "tak fordi du lyttede",
    "husk at abonnere",
    "abonner på kanalen",
    "like og abonner",
    # English ones (Whisper falls back to English on noise)
    "subtitles by",
    "subtitled by",
    "captions by",
    "translated by",
    "transcribed by",
    "thanks for watching",
    "thank you for watching",
    "thanks for listening",
    "please subscribe",
    "like and subscribe",
    "amara.org",
    "www.",
    "http",
    "♪",
    "♫",
    "©",
)

FILLERS = frozenset(
    {"øh", "øhm", "øhh", "øøh", "æh", "æhm", "eh", "ehm", "hm", "hmm", "hmmm", "mm", "mmm", "mhm", "ah", "åh", "uh",
     "um", "uhm"}
)  # fmt: skip

_ANNOTATION = re.compile(r"\[[^\]]*\]|\([^)]*\)|\*[^*]*\*")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_WORD = re.compile(r"\w+(?:['’-]\w+)*")


class SegmentLike(Protocol):
    """What the guard reads of a decoded segment (faster-whisper's ``Segment`` has these fields)."""

    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float


@dataclass(frozen=True)
class DecodedSegment:
    """A decoded segment as plain data (tests, other recognisers)."""

    text: str
    avg_logprob: float = -0.3
    no_speech_prob: float = 0.05
    compression_ratio: float = 1.2


@dataclass(frozen=True)
class GuardSettings:
    """Thresholds of the guard (see the module docstring for what each one does)."""

    no_speech_threshold: float = 0.75
    log_prob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    max_words_per_second: float = 4.5
    min_confidence: float = 0.2
    prompt: str = ""


@dataclass(frozen=True)
class GuardResult:
    """The cleaned text and its confidence, or an empty text and the reason it was rejected."""

    text: str
    confidence: float
    rejected: str | None = None


def words(text: str) -> list[str]:
    """The lower-case words of ``text`` without punctuation."""
    return [word.lower() for word in _WORD.findall(text)]


def max_words(audio_s: float, max_words_per_second: float) -> int:
    """The most words a person can plausibly say in ``audio_s`` seconds."""
    return int(max_words_per_second * max(audio_s, 0.0) + 3)


def segment_drop_reason(segment: SegmentLike, settings: GuardSettings) -> str | None:
    """Why a whole segment is dropped (``no_speech``, ``repetition``), or None to keep it."""
    if segment.no_speech_prob > settings.no_speech_threshold and segment.avg_logprob < settings.log_prob_threshold:
        return "no_speech"
    if segment.compression_ratio > settings.compression_ratio_threshold:
        return "repetition"
    return None


def is_hallucination_phrase(sentence: str) -> bool:
    """True when ``sentence`` holds one of :data:`HALLUCINATION_PHRASES`."""
    lowered = " ".join(sentence.lower().split())
    return any(phrase in lowered for phrase in HALLUCINATION_PHRASES)


def remove_hallucination_phrases(text: str) -> str:
    """``text`` without bracketed annotations and without the sentences that hold a known phrase."""
    text = _ANNOTATION.sub(" ", text)
    kept = [sentence for sentence in _SENTENCE_END.split(text) if not is_hallucination_phrase(sentence)]
    return _tidy(" ".join(kept))


def cut_prompt_echo(text: str, prompt: str, run: int = 3) -> str:
    """``text`` up to where ``run`` consecutive words of ``prompt`` appear in order (an echo of the prompt)."""
    prompt_words = words(prompt)
    if not prompt or len(prompt_words) < run:
        return text
    grams = {tuple(prompt_words[i : i + run]) for i in range(len(prompt_words) - run + 1)}
    tokens = text.split()
    normal = [_normal(token) for token in tokens]
    for start in range(len(tokens) - run + 1):
        window = tuple(normal[start : start + run])
        if all(window) and window in grams:
            return _tidy(" ".join(tokens[:start]))
    return text


def _normal(token: str) -> str:
    return " ".join(words(token))


def _primitive(gram: Sequence[str]) -> bool:
    """True when ``gram`` is not itself a repetition of a shorter unit ("nej nej" is not primitive)."""
    size = len(gram)
    return not any(size % d == 0 and list(gram) == list(gram[:d]) * (size // d) for d in range(1, size))


def _run_length(normal: Sequence[str], start: int, size: int) -> int:
    """How many times the ``size``-word n-gram at ``start`` repeats back to back."""
    gram = normal[start : start + size]
    count = 1
    while normal[start + count * size : start + (count + 1) * size] == gram:
        count += 1
    return count


def find_loop(text: str, min_repeats: int = 3, max_size: int = 4) -> str | None:
    """The first 2–``max_size``-word n-gram repeated ``min_repeats``+ times in a row, or None."""
    normal = words(text)
    for size in range(2, max_size + 1):
        for start in range(len(normal) - size * min_repeats + 1):
            gram = normal[start : start + size]
            if _primitive(gram) and _run_length(normal, start, size) >= min_repeats:
                return " ".join(gram)
    return None


def collapse_repeated_words(text: str, min_repeats: int = 3) -> str:
    """Collapse a single word said ``min_repeats``+ times in a row to one ("nej nej nej" → "nej")."""
    tokens = text.split()
    normal = [_normal(token) for token in tokens]
    kept: list[str] = []
    index = 0
    while index < len(tokens):
        count = 1
        while index + count < len(tokens) and normal[index] and normal[index + count] == normal[index]:
            count += 1
        kept.append(tokens[index])
        index += count if count >= min_repeats else 1
    return _tidy(" ".join(kept))


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip(" ,;:-–")


def confidence_of(segments: Iterable[SegmentLike]) -> float:
    """``exp`` of the mean ``avg_logprob`` of ``segments``, clipped to 0..1 (0 for none)."""
    logprobs = [segment.avg_logprob for segment in segments]
    if not logprobs:
        return 0.0
    return min(1.0, max(0.0, math.exp(sum(logprobs) / len(logprobs))))


def guard(segments: Iterable[SegmentLike], audio_s: float, settings: GuardSettings | None = None) -> GuardResult:
    """Clean Whisper's segments for one utterance of ``audio_s`` seconds, or reject them with a reason."""
    settings = settings or GuardSettings()
    kept: list[SegmentLike] = []
    texts: list[str] = []
    first_drop: str | None = None
    for segment in segments:
        raw = segment.text.strip()
        if not raw:
            continue
        reason = segment_drop_reason(segment, settings)
        cleaned = remove_hallucination_phrases(raw) if reason is None else ""
        if reason is None and not cleaned:
            reason = "hallucination"
        if reason is not None:
            first_drop = first_drop or reason
            continue
        kept.append(segment)
        texts.append(cleaned)
    if not kept:
        return GuardResult("", 0.0, first_drop or "empty")

    text = " ".join(texts)
    text = cut_prompt_echo(text, settings.prompt)
    if not text:
        return GuardResult("", 0.0, "prompt_echo")
    if find_loop(text):
        return GuardResult("", 0.0, "repetition")
    text = collapse_repeated_words(text)
    spoken = words(text)
    if not spoken:
        return GuardResult("", 0.0, "empty")
    if all(word in FILLERS for word in spoken):
        return GuardResult("", 0.0, "filler")
    if len(spoken) > max_words(audio_s, settings.max_words_per_second):
        return GuardResult("", 0.0, "too_long")
    confidence = confidence_of(kept)
    if confidence < settings.min_confidence:
        return GuardResult("", 0.0, "low_confidence")
    return GuardResult(text, confidence)
