"""Redaction of personal data from citizen messages before they are stored or logged.

This is not a display filter: what :func:`redact_text` replaces is gone. Only the matched
span changes; every other character of the text is kept as it was. Standard library only.

What is replaced
----------------
``[e-mail]``
    * Typed addresses: ``local@domain.tld`` (letters incl. æøå, digits, ``. + -`` in the
      local part, any number of sub-domains, a letter-only TLD of 2+ letters).
    * Spoken addresses as a speech recogniser writes them: a local part (words joined by
      ``.``/"punktum"/"dot"/"prik"), then ``@`` with spaces, "snabel-a", "snabel a" or
      "snabela", then a domain ending in a dot ("." or spoken) and a TLD.
    * The English "at" is also the commonest Danish word, so "... at ..." only counts when
      the domain ends in a *spoken* dot ("punktum"/"dot"/"prik") and a known TLD (dk, com, ...).

``[CPR-nummer]``
    Ten digits whose first six are a valid date DDMMYY (day 01-31 of the month, month 01-12, any
    year, 29 February allowed; the modulus-11 check is not used, numbers since 2007 need not pass
    it): ``0103841234``; typed groups ``010384-1234``, ``010384 1234``, ``010384/1234``,
    ``010384_1234``, ``010384.1234`` (or a backslash), ``01 03 84 12 34``, ``01.03.84-1234``,
    ``01-03-84-1234``, ``01/03/84/1234``, ``01 03 84 - 12 34``, ``0103 841234``, ``01 03 841234``.
    Typed groups must look like a CPR number: the date part is one group of six, ``ddmm yy``,
    ``dd mmyy`` or groups of at most two digits with one kind of separator (space, dash, dot,
    slash, underscore or backslash); between date and serial any of these or a comma; the
    serial part is one group of four or groups of at most two digits (space or dash, never dot,
    so "01.12.26 10.30" stays a date and time). Without a separator after the date part, the
    groups may be split only inside it and only by spaces (``ddmm yyxxxx``).
    Digits of every script (full-width ``０１０３８４－１２３４``, Arabic-Indic, Devanagari, ...)
    and full-width separators, no-break, thin and other spaces and dash variants count as their
    ASCII forms; invisible characters (zero-width spaces, soft hyphens) are skipped. The
    replacement covers exactly the original characters.
    Spoken digits and Danish number words count too ("nul en nul tre fireogfirs tolv
    fireogtredive", "nul et nul tre otte fire et to tre fire", "nul en, nul tre, firs fire,
    tolv, fireogtredive" -- a tens word followed by a unit word may be read as one number).

``[telefonnummer]``
    * Danish numbers: eight digits ``12345678``, ``1234 5678``/``1234-5678`` (not two years
      such as "2025-2026"), or groups of at most two digits with one kind of separator
      (``12 34 56 78``, ``12-34-56-78``, ``12.34.56.78``), optionally after ``+45``, ``(+45)``,
      ``0045`` or ``45``; ``+4512345678``; ten digits starting with 45 that are not a CPR number.
    * Spoken numbers in words or digit words ("tolv fireogtredive seksoghalvtreds
      otteoghalvfjerds", "et to tre fire fem seks syv otte"), optionally after "plus".
    * Foreign numbers: ``+`` (or ``00``) and a country code, 8-15 digits in all, in groups
      separated by spaces or dashes (``+44 20 7946 0958``, ``+1 (555) 123-4567``).

``[nummer]``
    Any other run of eight or more consecutive digits (account numbers, card numbers).
    An eight-digit run is always taken as a phone number: Danish phone numbers have eight
    digits and a date written without separators ("20261201") is rare in a chat.

What is kept
------------
Identifiers, never citizen text: UUIDs, hex ids of 16+ characters with a letter and a digit
(Rasa's ``model_id`` and ``message_id``), ISO timestamps ("2026-12-06T05:56:26.123+00:00", also
with a space as in log lines), compact timestamps of file names ("20261206-055626-principal-
wood.tar.gz"), Unix times with a fraction ("1765000586.123456"). Case and order numbers: a number
glued to a word ("SAG-2026-4512", "ORD48291234") or after "j.nr.", "sagsnr.", "ordrenr.",
"fakturanr.", "kundenr." is not taken for a phone number (it is still checked for a CPR number,
and runs of 8+ digits such as account numbers are still replaced).

Dates ("01.12.2026", "1/12-2026", "2026-12-01", "01 12 2026", "den 3. december 2026"), times
("kl. 10.30", "10:30", "10.30-11.30"), years and year ranges, postcodes, house numbers, amounts
("1.250 kr.", "12.500 kroner", "12.500.000 kr"; even a bare run of 8+ digits directly followed
or preceded by kr/kroner/DKK/,-), PINs, percentages and six-digit booking references ("48 29 13",
see :func:`actions.booking_store.normalise_reference`): none of them have the digit count or
grouping of a CPR or phone number. Number words are only joined across spaces, commas, dashes
and full stops; the standalone word "og" always separates them ("to og tre børn"), so only
compounds such as "fireogfirs" are read as one number. Opening hours with mixed separators
("10-12, 13-15") are kept because a phone number uses one kind of separator.

How
---
The text is scanned once for number tokens (digit runs, ``+CC``, Danish number words) and
the tokens are joined into chains across separators (never across a newline). For each chain
a small dynamic programme picks the non-overlapping windows that redact the most digits, so
"en nul en nul tre ..." finds the CPR number after the article "en". Everything is linear in
the length of the text; no regular expression here can backtrack catastrophically.

Known limits: a six-digit reference directly followed by a phone number in two-digit groups,
with nothing between them ("48 29 13 12 34 56 78"), is one run of groups and may be split in the
wrong place (here "48 29 [CPR-nummer]"); a spoken or typed list of eight or ten small numbers
("fire fem seks syv otte ni ti", "10 30 11 30") is taken for a phone or CPR number; a date with
a two-digit year followed by a four-digit time ("01.12.26 1030", "01/12/26 1030") is read as a CPR number.
Chains of more than 40 number tokens are read one token at a time ("firs fire" is then 80 4).
A CPR number written glued inside a hex string of 16+ characters ("0103841234abcdef") is read as
an identifier and kept.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any

from muni_core.danish.numbers import number_values

CPR_PLACEHOLDER = "[CPR-nummer]"
PHONE_PLACEHOLDER = "[telefonnummer]"
EMAIL_PLACEHOLDER = "[e-mail]"
NUMBER_PLACEHOLDER = "[nummer]"
NAME_PLACEHOLDER = "[navn]"
"""Not found by :func:`redact_text`: the tracker store replaces the name a booking recorded with it."""

# ---------------------------------------------------------------------------
# E-mail addresses
# ---------------------------------------------------------------------------

_SP = r"[ \t\u00a0]"
_SPOKEN_DOT = rf"{_SP}+(?:punktum|dot|prik){_SP}+"
_LOCAL_WORD = r"[\w+\-]+"
# Start only where a local part can start, never in the middle of a chain already tried
# (keeps every pattern linear).
_LOCAL_START = r"(?<![\w.+\-])(?<!punktum )(?<!dot )(?<!prik )"
_LOCAL = rf"{_LOCAL_WORD}(?:(?:\.|{_SPOKEN_DOT}|{_SP}+(?:bindestreg|understreg(?:ning)?){_SP}+){_LOCAL_WORD})*"
_DOMAIN_WORD = r"[\w\-]+"
_ANY_DOT = rf"(?:\.|{_SPOKEN_DOT})"
_SPOKEN_TLDS = "com|dk|net|org|eu|nu|se|no|de|fi|is|fo|gl|nl|fr|uk|co|io|me|info|biz|online|email|mail|live|edu|gov"

_TYPED_EMAIL_RE = re.compile(r"(?<![\w.+\-])[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}")
_SPOKEN_EMAIL_RE = re.compile(
    rf"{_LOCAL_START}{_LOCAL}(?:{_SP}*@{_SP}*|{_SP}+snabel(?:{_SP}|-)?a{_SP}+)"
    rf"{_DOMAIN_WORD}(?:{_ANY_DOT}{_DOMAIN_WORD})*{_ANY_DOT}[^\W\d_]{{2,24}}(?!\w)",
    re.IGNORECASE,
)
_SPOKEN_AT_EMAIL_RE = re.compile(
    rf"{_LOCAL_START}{_LOCAL}{_SP}+at{_SP}+"
    rf"{_DOMAIN_WORD}(?:{_ANY_DOT}{_DOMAIN_WORD})*{_SPOKEN_DOT}(?:{_SPOKEN_TLDS})(?!\w)",
    re.IGNORECASE,
)


def _redact_emails(text: str) -> str:
    if "@" in text:
        text = _TYPED_EMAIL_RE.sub(EMAIL_PLACEHOLDER, text)
    text = _SPOKEN_EMAIL_RE.sub(EMAIL_PLACEHOLDER, text)
    return _SPOKEN_AT_EMAIL_RE.sub(EMAIL_PLACEHOLDER, text)


# ---------------------------------------------------------------------------
# Numbers: tokens
# ---------------------------------------------------------------------------

_UNITS = number_values(range(1, 10))  # with 'et', 'én' and 'ét'
_TEENS = number_values(range(10, 20))
_TENS = number_values(range(20, 100, 10))  # with 'tredve' and the old 'fyrretyve', 'halvtredsindstyve', ...
_COMPOUND_UNITS = number_values(range(1, 10), forms=False)  # the 'en' of 'enogtyve'


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_COMPOUND_RE = re.compile(rf"({_alternatives(_COMPOUND_UNITS)})og({_alternatives(_TENS)})", re.IGNORECASE)
_WORDS = rf"(?:{_alternatives(_COMPOUND_UNITS)})og(?:{_alternatives(_TENS)})|nul|plus|"
_WORDS += _alternatives({**_UNITS, **_TEENS, **_TENS})

_TOKEN_RE = re.compile(
    r"(?P<plus>(?<![\w+])(?:\([ ]?\+[0-9]{1,3}[ ]?\)|\+[0-9]+))"
    r"|(?P<paren>\([0-9]{1,5}\))"
    r"|(?P<digits>[0-9]+)"
    rf"|(?<!\w)(?P<word>{_WORDS})(?!\w)",
    re.IGNORECASE,
)
_SEP_RE = re.compile(rf"{_SP}*(?:[\-–—,/\\_]|\.{{1,3}}|…){_SP}*|{_SP}+")
_MAX_GAP = 8
_AMOUNT_AFTER_RE = re.compile(rf"(?:,[0-9]+)?{_SP}*(?:kr\b|kroner|dkk\b|,-|€|eur\b)", re.IGNORECASE)
_AMOUNT_BEFORE_RE = re.compile(rf"(?:\bkr\.?|\bdkk){_SP}*\Z", re.IGNORECASE)
_PREFIX_RE = re.compile(r"(?<![^\W\d_])([^\W\d_]{2,})(?:[-#/]|\.?nr\.?[-#]?)?\Z")
_CASE_WORD_RE = re.compile(
    r"(?<!\w)(?:j\.? ?nr|journalnr|journalnummer|sagsnr|sagsnummer|sag nr|ordrenr|ordrenummer|fakturanr|"
    r"fakturanummer|kundenr|kundenummer)\.?:? ?\Z",
    re.IGNORECASE,
)
_PHONE_STEMS = ("tlf", "tel", "mob", "ring", "sms", "fax", "nr", "nummer", "no", "phone")
"""A number glued to a word starting so ("tlfnr20304050", "mobil-20304050") may still be a phone number."""
_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_MAX_DIGITS = 15
_MAX_READINGS = 4  # readings of one window kept when "firs fire" may be 80 4 or 84
_PLUS_KINDS = ("plus", "plusword")
_MAX_MERGE_CHAIN = 40  # longer chains of number words are not speech; read them one word at a time

_ODD_SEPS = {"/": "slash", "\\": "backslash", "_": "underscore"}
"""Separators seen only in typed CPR numbers ("010384/1234"): never part of a phone number or a spoken number."""
_CPR_MIDDLE_SEPS = ("space", "dash", "comma", "dot", *_ODD_SEPS.values())
_CPR_DATE_SEPS = ("space", "dash", "dot", *_ODD_SEPS.values())

_CPR, _PHONE, _NUMBER = 2, 1, 0
_PLACEHOLDERS = {_CPR: CPR_PLACEHOLDER, _PHONE: PHONE_PLACEHOLDER, _NUMBER: NUMBER_PLACEHOLDER}


class _Token:
    __slots__ = ("digits", "end", "kind", "start", "tens", "unit")

    def __init__(self, match: re.Match[str]) -> None:
        self.start, self.end = match.span()
        self.kind = match.lastgroup or ""
        self.tens = self.unit = False
        text = match.group()
        if self.kind == "word":
            word = text.lower()
            if word == "plus":
                self.kind, self.digits = "plusword", ""
            elif word == "nul":
                self.digits = "0"
            elif word in _UNITS:
                self.digits, self.unit = str(_UNITS[word]), True
            elif word in _TEENS:
                self.digits = str(_TEENS[word])
            elif word in _TENS:
                self.digits, self.tens = str(_TENS[word]), True
            else:
                compound = _COMPOUND_RE.fullmatch(word)
                self.digits = str(_COMPOUND_UNITS[compound[1]] + _TENS[compound[2]]) if compound else ""
        else:
            self.digits = "".join(c for c in text if c.isdigit())


def _sep_kind(gap: str) -> str:
    core = gap.strip(" \t\u00a0")
    if not core:
        return "space"
    if core == ".":
        return "dot" if gap == "." else "stop"
    if core in "-–—":
        return "dash"
    if core == ",":
        return "comma"
    return _ODD_SEPS.get(core, "stop")


def _valid_ddmmyy(digits: str) -> bool:
    day, month = int(digits[0:2]), int(digits[2:4])
    return 1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month]


def _is_prefixed(text: str, start: int) -> bool:
    """Whether a number is glued to a word such as "SAG-", "ORD" or "J.nr." (a case or order number, not a phone)."""
    before = text[max(0, start - 24) : start]
    if not before.rstrip(" :.#/-")[-1:].isalpha():
        return False
    match = _PREFIX_RE.search(before)
    return bool(match and not match[1].lower().startswith(_PHONE_STEMS)) or bool(_CASE_WORD_RE.search(before))


def _is_amount(text: str, token: _Token) -> bool:
    after = text[token.end : token.end + 16]
    before = text[max(0, token.start - 8) : token.start]
    return bool(_AMOUNT_AFTER_RE.match(after) or _AMOUNT_BEFORE_RE.search(before))


# ---------------------------------------------------------------------------
# Numbers: what a window of tokens is
# ---------------------------------------------------------------------------


def _one_kind(seps: list[str], allowed: tuple[str, ...]) -> bool:
    return len(set(seps)) <= 1 and all(kind in allowed for kind in seps)


def _is_typed_phone(tokens: list[_Token], seps: list[str]) -> bool:
    lengths = [len(t.digits) for t in tokens]
    if sum(lengths) != 8:
        return False
    if len(lengths) == 1:
        return True
    if not _one_kind(seps, ("space", "dash", "dot")):
        return False
    if lengths == [4, 4]:
        first, second = int(tokens[0].digits), int(tokens[1].digits)
        return seps[0] != "dot" and not (1900 <= first <= 2099 and 1900 <= second <= 2099)
    if all(length <= 2 for length in lengths):
        return seps[0] != "dot" or lengths == [2, 2, 2, 2]
    return False


def _is_typed_cpr(lengths: list[int], seps: list[str]) -> bool:
    total, boundary, bounds = 0, None, set()
    for index, length in enumerate(lengths[:-1]):
        total += length
        bounds.add(total)
        if total == 6:
            boundary = index
    if boundary is None:
        # "01 03 84 12 34", "01-03-84-12-34"; "0103 841234", "01 03 841234" (spaces only)
        if all(length <= 2 for length in lengths) and _one_kind(seps, ("space", "dash")):
            return True
        return bounds <= {2, 4} and _one_kind(seps, ("space",))
    date, serial = lengths[: boundary + 1], lengths[boundary + 1 :]
    date_seps, middle, serial_seps = seps[:boundary], seps[boundary], seps[boundary + 1 :]
    return (
        (date in ([6], [4, 2], [2, 4]) or all(length <= 2 for length in date))
        and (serial == [4] or all(length <= 2 for length in serial))
        and _one_kind(date_seps, _CPR_DATE_SEPS)
        and middle in _CPR_MIDDLE_SEPS
        and _one_kind(serial_seps, ("space", "dash"))
    )


def _classify_plus(digits: str) -> int | None:
    if digits.startswith("45"):
        return _PHONE if len(digits) == 10 else None
    return _PHONE if 8 <= len(digits) <= _MAX_DIGITS else None


def _classify_single(token: _Token, text: str) -> int | None:
    digits = token.digits
    if token.kind == "plus":
        if len(digits) < 8:
            return None
        return _classify_plus(digits) or _NUMBER
    if token.kind != "digits" or len(digits) < 8 or _is_amount(text, token):
        return None
    if len(digits) == 10:
        if _valid_ddmmyy(digits):
            return _CPR
        return _PHONE if digits.startswith("45") else _NUMBER
    if len(digits) == 8 or (len(digits) == 12 and digits.startswith("0045")):
        return _PHONE
    return _NUMBER


def _classify_spoken(tokens: list[_Token], seps: list[str], digits: str) -> int | None:
    for index, kind in enumerate(seps):
        if kind in ("dot", "stop") and tokens[index].kind == tokens[index + 1].kind == "digits":
            return None
        if kind in _ODD_SEPS.values():
            return None
    if len(digits) not in (8, 10, 12) or any(t.kind == "digits" and len(t.digits) > 4 for t in tokens):
        return None
    if len(digits) == 10:
        if _valid_ddmmyy(digits):
            return _CPR
        return _PHONE if digits.startswith("45") else None
    if len(digits) == 8 or (len(digits) == 12 and digits.startswith("0045")):
        return _PHONE
    return None


def _classify_typed(tokens: list[_Token], seps: list[str], digits: str) -> int | None:
    if "stop" in seps:
        return None
    if len(digits) == 10 and _valid_ddmmyy(digits) and _is_typed_cpr([len(t.digits) for t in tokens], seps):
        return _CPR
    first = tokens[0].digits
    if first in ("45", "0045") and len(digits) == len(first) + 8 and seps[0] in ("space", "dash"):
        return _PHONE if _is_typed_phone(tokens[1:], seps[1:]) else None
    if 3 <= len(first) <= 5 and first.startswith("00") and first[2] != "0" and first != "0045":
        if 8 <= len(digits) - 2 <= _MAX_DIGITS and _one_kind(seps, ("space", "dash")):
            return _PHONE
        return None
    if len(digits) == 8 and _is_typed_phone(tokens, seps):
        return _PHONE
    return None


class _Chain:
    """Number tokens joined by separators, with prefix counts for constant-time window checks."""

    __slots__ = ("cumulative", "ends", "parens", "pluses", "seps", "tokens", "words")

    def __init__(self, tokens: list[_Token], seps: list[str]) -> None:
        self.tokens, self.seps = tokens, seps
        self.cumulative, self.pluses, self.words, self.parens = [0], [0], [0], [0]
        for token in tokens:
            self.cumulative.append(self.cumulative[-1] + len(token.digits))
            self.pluses.append(self.pluses[-1] + (token.kind in _PLUS_KINDS))
            self.words.append(self.words[-1] + (token.kind == "word"))
            self.parens.append(self.parens[-1] + (token.kind == "paren"))
        self.ends: dict[int, int] = {}
        for end in range(len(tokens), 0, -1):
            self.ends[self.cumulative[end]] = end  # the first window end with this many digits

    def classify(self, i: int, j: int, digits: str) -> int | None:
        """What the window of tokens i..j (read as these digits) is, or None."""
        tokens, seps = self.tokens[i : j + 1], self.seps[i:j]
        if tokens[0].kind in _PLUS_KINDS:
            if "stop" in seps or not digits:
                return None
            return _classify_plus(digits)
        if self.parens[j + 1] - self.parens[i]:
            return None
        if self.words[j + 1] - self.words[i]:
            return _classify_spoken(tokens, seps, digits)
        return _classify_typed(tokens, seps, digits)

    def windows(self, i: int) -> Iterator[tuple[int, int, int]]:
        """(last token index, digit count, label) of each redactable window of 2+ tokens from token i."""
        base, tokens = self.cumulative[i], self.tokens
        for count in _window_targets(tokens[i]):
            end = self.ends.get(base + count)
            if end is None or end <= i + 1 or self.pluses[end] - self.pluses[i + 1]:
                continue
            label = self.classify(i, end - 1, "".join(t.digits for t in tokens[i:end]))
            if label is not None:
                yield end - 1, count, label

    def readings(self, i: int) -> Iterator[tuple[int, int, int]]:
        """Like :meth:`windows`, also reading a tens word and a unit word ("firs fire") as one number.

        Keeps at most a few readings of each window.
        """
        tokens, seps = self.tokens, self.seps
        targets = _window_targets(tokens[i])
        before: tuple[str, ...] = ()
        current: tuple[str, ...] = ("",)
        for j in range(i, len(tokens)):
            token = tokens[j]
            if j > i and token.kind in _PLUS_KINDS:
                return
            found = [s + token.digits for s in current if len(s) + len(token.digits) <= _MAX_DIGITS]
            previous = tokens[j - 1]
            if j > i and token.unit and previous.tens and seps[j - 1] in ("space", "comma", "dash"):
                found += [s + previous.digits[0] + token.digits for s in before if len(s) + 2 <= _MAX_DIGITS]
                found = list(dict.fromkeys(found))[:_MAX_READINGS]
            if not found:
                return
            before, current = current, tuple(found)
            if j == i:
                continue
            for digits in current:
                if len(digits) in targets:
                    label = self.classify(i, j, digits)
                    if label is not None:
                        yield j, len(digits), label

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """The spans to replace, chosen to redact as many digits as possible (leftmost on ties)."""
        tokens, seps = self.tokens, self.seps
        count = len(tokens)
        merges = count <= _MAX_MERGE_CHAIN and any(
            tokens[k].tens and tokens[k + 1].unit and seps[k] in ("space", "comma", "dash") for k in range(count - 1)
        )
        best = [0] * (count + 1)
        choice: list[tuple[int, int] | None] = [None] * (count + 1)
        for i in range(count - 1, -1, -1):
            best[i], choice[i] = best[i + 1], None
            candidates = list(self.readings(i) if merges else self.windows(i))
            single = _classify_single(tokens[i], text)
            if single is not None:
                candidates.append((i, len(tokens[i].digits), single))
            if i == 0 and tokens[0].kind == "digits" and _is_prefixed(text, tokens[0].start):
                candidates = [candidate for candidate in candidates if candidate[2] != _PHONE]
            for j, digit_count, label in candidates:
                score = digit_count * 4 + label + best[j + 1]
                if score >= best[i]:
                    best[i], choice[i] = score, (j, label)
        spans, i = [], 0
        while i < count:
            picked = choice[i]
            if picked is None:
                i += 1
                continue
            j, label = picked
            spans.append((tokens[i].start, tokens[j].end, _PLACEHOLDERS[label]))
            i = j + 1
        return spans


def _window_targets(first: _Token) -> range | tuple[int, ...]:
    """The digit counts a window starting with this token can be redacted at."""
    if first.kind in _PLUS_KINDS:
        return range(8, _MAX_DIGITS + 1)
    lead = first.digits
    if first.kind == "digits" and 3 <= len(lead) <= 5 and lead.startswith("00") and lead[2] != "0":
        return range(10, _MAX_DIGITS + 1)
    return (8, 10, 12)


def _chains(text: str) -> Iterator[tuple[list[_Token], list[str]]]:
    chain: list[_Token] = []
    seps: list[str] = []
    for match in _TOKEN_RE.finditer(text):
        token = _Token(match)
        if chain:
            gap = text[chain[-1].end : token.start]
            if len(gap) <= _MAX_GAP and _SEP_RE.fullmatch(gap):
                chain.append(token)
                seps.append(_sep_kind(gap))
                continue
            yield chain, seps
        chain, seps = [token], []
    if chain:
        yield chain, seps


def _number_spans(text: str) -> Iterator[tuple[int, int, str]]:
    for chain, seps in _chains(text):
        if sum(len(t.digits) for t in chain) >= 8:
            yield from _Chain(chain, seps).spans(text)


# ---------------------------------------------------------------------------
# Numbers: Unicode forms and identifiers
# ---------------------------------------------------------------------------

_IGNORED = re.compile("[\u00ad\u180e\u200b-\u200d\u2060-\u2064\ufeff]")
"""Invisible characters (soft hyphen, zero-width spaces and joiners) that could hide a number: left out."""
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"
_OTHER_FORMS = {"\u2044": "/", "\u2215": "/", "\u29f5": "\\", "\u2024": ".", "\u3002": "."}


class _AsciiForms(dict[int, str]):
    """``str.translate`` table, filled on demand: one ASCII character for each digit, space or separator form."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        digit = unicodedata.decimal(char, None)
        if digit is not None:
            value = str(digit)
        elif 0xFF01 <= code <= 0xFF5E:  # full-width ASCII: "０１０３８４／１２３４"
            value = chr(code - 0xFEE0)
        elif unicodedata.category(char) == "Zs":  # NBSP, thin, narrow and ideographic spaces
            value = " "
        elif char in _DASHES:
            value = "-"
        else:
            value = _OTHER_FORMS.get(char, char)
        self[code] = value
        return value


_ASCII_FORMS = _AsciiForms()

_HEX = "[0-9a-fA-F]"
_IDENTIFIER_RE = re.compile(
    # UUIDs; hex ids of 16+ characters with a letter and a digit (Rasa's model_id, message_id)
    rf"(?<![0-9A-Za-z]){_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}(?![0-9A-Za-z])"
    rf"|(?<![0-9A-Za-z])(?=[0-9]*[a-fA-F])(?=[a-fA-F]*[0-9]){_HEX}{{16,}}(?![0-9A-Za-z])"
    # ISO timestamps (also with a space, as logging's asctime): 2026-12-06T05:56:26.123456+00:00
    r"|(?<![0-9])(?:19|20)[0-9]{2}-[01][0-9]-[0-3][0-9][T ][0-2][0-9]:[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]+)?)?"
    r"(?:Z|[+-][0-2][0-9]:?[0-5][0-9])?(?![0-9])"
    # compact timestamps of file names: 20261206-055626-principal-wood.tar.gz, 20261206_055626, 20261206T055626
    r"|(?<![0-9])(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[-_T]?(?:[01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]"
    r"(?![0-9])"
    # Unix timestamps with a fraction (Rasa's event times): 1765000586.123456
    r"|(?<![0-9.,])1[5-9][0-9]{8}\.[0-9]{1,9}(?![0-9])"
)


def _mask(match: re.Match[str]) -> str:
    return "x" * len(match.group())


def _detection_text(text: str) -> tuple[str, list[int] | None]:
    """The text as the number detector reads it, and where each of its characters is in ``text`` (None: same place).

    Digits of every script and full-width forms become ASCII, odd spaces a space, dashes "-"; invisible
    characters are left out; identifiers (UUIDs, hex ids, timestamps) become "x"s so that no digit of
    theirs is read.
    """
    positions: list[int] | None = None
    if not text.isascii():
        if _IGNORED.search(text):
            positions = [index for index, char in enumerate(text) if not _IGNORED.match(char)]
            text = "".join(text[index] for index in positions)
        text = text.translate(_ASCII_FORMS)
    return _IDENTIFIER_RE.sub(_mask, text), positions


def _redact_numbers(text: str) -> str:
    detected, positions = _detection_text(text)
    parts: list[str] = []
    position = 0
    for start, end, placeholder in _number_spans(detected):
        if positions is not None:
            start, end = positions[start], positions[end - 1] + 1
        parts.append(text[position:start])
        parts.append(placeholder)
        position = end
    if not parts:
        return text
    parts.append(text[position:])
    return "".join(parts)


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def redact_text(text: str) -> str:
    """The text with CPR numbers, phone numbers, e-mail addresses and long digit runs replaced.

    Idempotent, linear in the length of the text; everything outside a replaced span is kept.
    """
    if not text:
        return text
    return _redact_numbers(_redact_emails(text))


def contains_personal_data(text: str) -> bool:
    """Whether :func:`redact_text` would change the text."""
    return bool(text) and redact_text(text) != text


def redact_value(
    value: Any, *, redact: Callable[[str], str] = redact_text, keep_keys: Collection[str] = frozenset()
) -> Any:
    """A copy of a value with every string inside dicts, lists and tuples redacted (keys unchanged).

    ``redact`` replaces :func:`redact_text` (the tracker store adds names and public numbers);
    values under ``keep_keys`` (names of events and actions, timestamps, ids) are left as they are.
    """
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {
            key: item if key in keep_keys else redact_value(item, redact=redact, keep_keys=keep_keys)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_value(item, redact=redact, keep_keys=keep_keys) for item in value]
    if isinstance(value, tuple):
        items = [redact_value(item, redact=redact, keep_keys=keep_keys) for item in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    return value


class RedactingLogRecordFactory:
    """A logging record factory that redacts the formatted message of every record it makes.

    Constructing one wraps ``wrapped`` (the current factory by default). The record's message
    is formatted with ``record.getMessage()``, redacted and stored as ``record.msg`` with
    ``record.args = ()``; a traceback is formatted and redacted into ``record.exc_text``.
    It never raises: if the message cannot be formatted, the record is returned as it was.
    """

    def __init__(self, wrapped: Callable[..., logging.LogRecord] | None = None) -> None:
        self.wrapped = wrapped or logging.getLogRecordFactory()

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        """Make the record with the wrapped factory and redact it."""
        record = self.wrapped(*args, **kwargs)
        try:
            message = redact_text(record.getMessage())
        except Exception:  # noqa: BLE001 -- logging must never fail because of redaction
            return record
        record.msg, record.args = message, ()
        if record.exc_info and not record.exc_text:
            try:
                record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
            except Exception:  # noqa: BLE001, S110 -- the formatter will try again itself
                pass
        return record


def install_log_redaction() -> None:
    """Make every log record redacted (idempotent: a second call does not wrap again)."""
    if not isinstance(logging.getLogRecordFactory(), RedactingLogRecordFactory):
        logging.setLogRecordFactory(RedactingLogRecordFactory(logging.getLogRecordFactory()))
