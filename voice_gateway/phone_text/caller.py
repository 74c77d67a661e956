"""Understanding the caller: which offered choice a (misheard) answer picks, and what a yes/no answer means.

``match_choice`` maps what a weak speech recogniser heard to a button ('tryk to', 'den anden', 'halv
elleve på torsdag', 'kørekort'); ``yes_no`` reads 'ja tak', 'nej det er forkert', 'jep', 'næ'.
"""

from __future__ import annotations

import difflib
import itertools
import re

from muni_core.danish.numbers import ordinal_values
from voice_gateway.phone_text.choices import Choice, is_handoff, yes_no_role
from voice_gateway.phone_text.heard import fold, heard_when, normalise, number_value, when_in_label


def _similar(a: str, b: str) -> float:
    fa, fb = fold(a), fold(b)
    if not fa or not fb:
        return 0.0
    if fa == fb:
        return 1.0
    return difflib.SequenceMatcher(None, fa, fb).ratio()


def _word_matches(label_word: str, heard_word: str) -> bool:
    """True when a heard word is (a mishearing of) a label word; short words must be (nearly) exact."""
    fl, fh = fold(label_word), fold(heard_word)
    if not fl or not fh:
        return False
    if fl == fh:
        return True
    if len(fl) <= 2:
        return False
    ratio = difflib.SequenceMatcher(None, fl, fh).ratio()
    if len(fl) <= 4:
        return ratio >= 0.85 and fl[0] == fh[0]
    return ratio >= 0.8


_STOPWORDS = frozenset(
    "jeg du han hun vi i de den det der en et og på til med om af for at er hos mig dig min mit mine din dit "
    "vil gerne have tage tager vælge vælger kan skal godt så bare lige øh øhm hmm altså jamen men nå okay ok "
    "tak hellere gerne lidt noget meget ikke the".split()
)
_ORDINAL_WORDS = ordinal_values(range(1, 10), variants=False) | {"sidste": -1}
_NEGATIONS = frozenset({"ikke", "hverken", "ingen", "næste", "nej"})
_HANDOFF_REQUEST_WORDS = re.compile(
    r"\b(?:medarbejder\w*|sagsbehandler\w*|menneske\w*|person|personlig|stil mig videre|omstil\w*)\b"
)

_KEYPAD_WORDS = frozenset({"tryk", "trykker", "taster", "tast", "nummer", "nr", "mulighed", "valg", "knap"})
# Words that may stand around 'den anden' / 'to' without making it mean something else.
_CHOICE_FILLERS = frozenset(
    "mulighed muligheden valg valget knap knappen emne emnet af dem tak gerne den det nummer jeg vil have tage "
    "tager vælger ja øh så bare lige okay ok hellere".split()
)
_ORDINAL_FILLERS = _CHOICE_FILLERS | {"tid", "tiden", "tidspunkt", "tidspunktet", "en", "et", "de", "tider"}


def _keypad_reference(words: list[str], choices: list[Choice]) -> Choice | None:
    """'tryk 2', 'nummer to', 'valg tre', 'den anden', 'den sidste tid'."""
    by_digit = {c.digit: c for c in choices if c.digit}
    for index, word in enumerate(words[:-1]):
        if word in _KEYPAD_WORDS:
            number = number_value(words[index + 1])
            if number is not None:
                return by_digit.get(str(number))
    ordinals = [w for w in words if w in _ORDINAL_WORDS]
    others = [w for w in words if w not in _ORDINAL_WORDS and w not in _ORDINAL_FILLERS]
    if len(ordinals) == 1 and not others:
        ordinary = [c for c in choices if c.digit != "0"] or choices
        position = _ORDINAL_WORDS[ordinals[0]]
        if position == -1:
            return ordinary[-1]
        if position <= len(ordinary):
            return ordinary[position - 1]
    return None


def _bare_number(words: list[str], choices: list[Choice]) -> Choice | None:
    """Just a digit or number word ('to', '2', 'jeg tager to') picks the choice with that keypad digit."""
    numbers = [w for w in words if number_value(w) is not None]
    others = [w for w in words if number_value(w) is None and w not in _CHOICE_FILLERS]
    if len(numbers) != 1 or others or len(words) > 3:
        return None
    return next((c for c in choices if c.digit and c.digit == str(number_value(numbers[0]))), None)


def _same_hour(heard: int, offered: int) -> bool:
    return heard == offered or heard + 12 == offered


def _time_match(words: list[str], choices: list[Choice]) -> Choice | None:
    """The offered time the caller named ('torsdag klokken ti tredive', 'halv elleve på torsdag')."""
    offered = [(c, when_in_label(c.label)) for c in choices]
    offered = [(c, w) for c, w in offered if w is not None]
    if not offered or any(w in _NEGATIONS for w in words):
        return None
    heard = heard_when(words)
    if heard.empty:
        return None
    matching = []
    for choice, when in offered:
        if heard.weekday and heard.weekday != when.weekday:
            continue
        if heard.relative and heard.relative != when.relative:
            continue
        if heard.day is not None and heard.day != when.day:
            continue
        if heard.month and heard.month != when.month:
            continue
        if heard.hour is not None and not (
            when.hour is not None and _same_hour(heard.hour, when.hour) and heard.minute == when.minute
        ):
            continue
        matching.append(choice)
    return matching[0] if len(matching) == 1 else None


def _content_words(text: str) -> list[str]:
    words = normalise(text).split()
    return [w for w in words if w not in _STOPWORDS] or words


def _contains_phrase(haystack: list[str], needle: list[str]) -> bool:
    folded_hay = [fold(w) for w in haystack]
    folded_needle = [fold(w) for w in needle]
    size = len(folded_needle)
    return any(folded_hay[i : i + size] == folded_needle for i in range(len(folded_hay) - size + 1))


def _word_score(label: str, words: list[str]) -> float:
    """Share of the label's content words heard (allowing mishearings and split compounds)."""
    wanted = _content_words(label)
    heard = list(words) + [a + b for a, b in itertools.pairwise(words)]
    hits = sum(1 for w in wanted if any(_word_matches(w, h) for h in heard))
    return hits / len(wanted)


def _heard_in_label(heard: str, label: str) -> bool:
    return any(_word_matches(word, heard) for word in normalise(label).split())


def _unique_best(scored: list[tuple[float, Choice]], threshold: float) -> Choice | None:
    scored = sorted(scored, key=lambda item: item[0], reverse=True)
    if not scored or scored[0][0] < threshold:
        return None
    if len(scored) > 1 and scored[1][0] >= scored[0][0] - 0.05:
        return None
    return scored[0][1]


def match_choice(utterance: str, choices: list[Choice]) -> Choice | None:
    """The choice the caller picked by voice, despite recognition errors; None when unclear or unrelated.

    Tries in turn: ja/nej to a ja/nej pair, the exact label, keypad words ('tryk 2', 'nummer
    to', 'den anden', 'den sidste'), an offered day and time ('halv elleve på torsdag'), a bare
    number ('to'), a request for a person, the label inside the sentence, and fuzzy word
    matching. A sentence that only shares a word or two with several labels, or that says
    'ikke', gives None: the words then go to the assistant as they are.
    """
    words = normalise(utterance).split()
    if not words or not choices:
        return None
    yes_choice = next((c for c in choices if c.digit == "1" and yes_no_role(c.label, c.payload) == "yes"), None)
    no_choice = next((c for c in choices if c.digit == "2" and yes_no_role(c.label, c.payload) == "no"), None)
    if yes_choice and no_choice:
        answer = yes_no(utterance)
        if answer is not None:
            return yes_choice if answer else no_choice
    folded = fold(utterance)
    exact = [c for c in choices if fold(c.label) == folded]
    if len(exact) == 1:
        return exact[0]
    picked = _keypad_reference(words, choices)
    if picked:
        return picked
    time_like = any(when_in_label(c.label) for c in choices)
    if time_like:
        picked = _time_match(words, choices)
        if picked:
            return picked
    picked = _bare_number(words, choices)
    if picked:
        return picked
    if time_like or any(w in ("ikke", "hverken", "ingen") for w in words):
        return None
    if _HANDOFF_REQUEST_WORDS.search(" ".join(words)):
        handoff = [c for c in choices if is_handoff(c.label, c.payload)]
        if len(handoff) == 1:
            return handoff[0]
    inside = [c for c in choices if _contains_phrase(words, normalise(c.label).split())]
    if len(inside) == 1:
        return inside[0]
    if len(inside) > 1:
        longest = max(inside, key=lambda c: len(normalise(c.label)))
        others = [c for c in inside if c is not longest]
        if all(_contains_phrase(normalise(longest.label).split(), normalise(c.label).split()) for c in others):
            return longest
        return None
    picked = _unique_best([(_word_score(c.label, words), c) for c in choices], threshold=0.66)
    if picked:
        return picked
    heard = _content_words(utterance)
    if len(heard) <= 2:
        covering = [c for c in choices if all(_heard_in_label(h, c.label) for h in heard)]
        if len(covering) == 1:
            return covering[0]
    if len(words) <= 4:
        return _unique_best([(_similar(utterance, c.label), c) for c in choices], threshold=0.8)
    return None


_YES_WORDS = frozenset({"ja", "jo", "jep", "jeps", "jup", "jah", "jaja", "jojo", "javel", "yes", "yep", "yeah", "ya"})
_NO_WORDS = frozenset({"nej", "næ", "næh", "næj", "nope", "nix", "nah", "nei", "nay", "neh", "nejtak", "nejnej"})
_FILLERS = frozenset({"øh", "øhm", "hmm", "mm", "mmm", "altså", "jamen", "men", "nå", "hm", "eh", "æh", "øhh"})
_NO_PHRASES = (
    "forkert", "ikke rigtig", "ikke korrekt", "passer ikke", "stemmer ikke", "nej tak", "ellers tak",
    "slet ikke", "vil jeg ikke", "skal du ikke", "lad være", "lad vær", "ikke det", "bestemt ikke", "aldrig",
    "absolut ikke", "det gør jeg ikke", "det er det ikke",
)  # fmt: skip
_YES_PHRASES = (
    "rigtig", "korrekt", "præcis", "passer", "stemmer", "netop", "gerne", "selvfølgelig", "bestemt", "absolut",
    "det er det", "lyder godt", "det er fint", "det gør jeg", "gør det", "book den", "book tiden", "sikkert",
)  # fmt: skip
_OKAY_WORDS = frozenset({"ok", "okay", "okej", "fint", "godt", "tak", "så", "det", "er", "jamen"})


def _squeeze(word: str) -> str:
    return re.sub(r"(.)\1+", r"\1", word)


def yes_no(utterance: str) -> bool | None:
    """What a caller's spoken answer to a yes/no question means: True, False, or None when unclear.

    Understands 'ja tak', 'jo', 'jep', 'det er rigtigt', 'korrekt', 'nej tak', 'nej det er
    forkert', 'næ', 'nej nej' and recogniser variants ('Ja.', 'Jaa', 'Nej!'). An answer that
    says both ('ja, det er forkert') or neither ('hvad sagde du?') gives None.
    """
    words = [w for w in normalise(utterance).split() if w not in _FILLERS]
    if not words:
        return None
    squeezed = [_squeeze(w) for w in words]
    text = " " + " ".join(words) + " "
    first_yes = words[0] in _YES_WORDS or squeezed[0] in _YES_WORDS
    first_no = words[0] in _NO_WORDS or squeezed[0] in _NO_WORDS
    negative = any(f" {p}" in text for p in _NO_PHRASES) or words == ["ikke"]
    if first_yes:
        return None if negative or any(w in _NO_WORDS for w in squeezed[1:3]) else True
    if first_no:
        return None if any(w in _YES_WORDS for w in squeezed[1:3]) else False
    if negative:
        return False
    if any(w in _YES_WORDS for w in squeezed[:3]) and not any(w in _NO_WORDS for w in squeezed):
        return True
    if any(f" {p}" in text for p in _YES_PHRASES) and "ikke" not in words:
        return True
    if set(words) <= _OKAY_WORDS and set(words) & {"ok", "okay", "okej", "fint"}:
        return True
    return None
