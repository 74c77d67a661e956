"""The assistant's answers made for the telephone, and the caller's spoken answers mapped back.

Rasa's REST channel answers with messages written for a screen: markdown, links, e-mail
addresses, buttons, "kl. 10.30", "98 45 50 00", "3.500 kr.". ``render_for_phone`` turns them
into plain Danish that a TTS voice (Piper da_DK, espeak-ng da) reads well, with the buttons
spoken as choices and numbered for the keypad. ``match_choice`` and ``yes_no`` map what a
weak speech recogniser heard back to a button or to ja/nej.
"""

from __future__ import annotations

import difflib
import itertools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# --- data ----------------------------------------------------------------------------------------


@dataclass
class Choice:
    """A button spoken on the phone: what the caller hears, what goes to Rasa, and its keypad digit.

    ``digit`` is "1".."9", "0" for the handoff button, or "" for a button beyond the ninth.
    """

    label: str
    payload: str
    digit: str


@dataclass
class SpokenReply:
    """One answer of the assistant as it is spoken on the phone."""

    text: str
    choices: list[Choice]
    expects_yes_no: bool


# --- numbers as Danish words ---------------------------------------------------------------------

_UNITS = (
    "nul", "en", "to", "tre", "fire", "fem", "seks", "syv", "otte", "ni", "ti", "elleve", "tolv",
    "tretten", "fjorten", "femten", "seksten", "sytten", "atten", "nitten",
)  # fmt: skip
_TENS = {2: "tyve", 3: "tredive", 4: "fyrre", 5: "halvtreds", 6: "tres", 7: "halvfjerds", 8: "firs", 9: "halvfems"}
_ORDINALS = (
    "nulte", "første", "anden", "tredje", "fjerde", "femte", "sjette", "syvende", "ottende", "niende", "tiende",
    "ellevte", "tolvte", "trettende", "fjortende", "femtende", "sekstende", "syttende", "attende", "nittende",
)  # fmt: skip
_ORDINAL_TENS = {
    2: "tyvende", 3: "tredivte", 4: "fyrretyvende", 5: "halvtredsindstyvende", 6: "tresindstyvende",
    7: "halvfjerdsindstyvende", 8: "firsindstyvende", 9: "halvfemsindstyvende",
}  # fmt: skip
MAX_NUMBER = 999_999_999


def _below_hundred(n: int) -> str:
    if n < 20:
        return _UNITS[n]
    tens, units = divmod(n, 10)
    return _TENS[tens] if units == 0 else f"{_UNITS[units]}og{_TENS[tens]}"


def _below_thousand(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    if not hundreds:
        return _below_hundred(rest)
    words = f"{'et' if hundreds == 1 else _UNITS[hundreds]} hundrede"
    return f"{words} og {_below_hundred(rest)}" if rest else words


def _multiplier(n: int) -> str:
    """A count of thousands or millions: 'et' before 'tusind' when it ends in one ('hundrede og et tusind')."""
    words = _below_thousand(n)
    return words[:-2] + "et" if words.endswith(" en") else words


def number_to_danish(n: int) -> str:
    """``n`` (0..999 999 999) in Danish words: 21 'enogtyve', 105 'et hundrede og fem', 3500 'tre tusind fem hundrede'.

    Tens are the Danish vigesimal ones (halvtreds, tres, halvfjerds, firs, halvfems);
    'og' comes before the last tens/units part, 100 and 1000 are 'et hundrede' and 'et tusind'.
    """
    if not 0 <= n <= MAX_NUMBER:
        raise ValueError(f"{n} is outside 0..{MAX_NUMBER}")
    if n == 0:
        return "nul"
    millions, rest = divmod(n, 1_000_000)
    thousands, units = divmod(rest, 1000)
    parts = []
    if millions:
        parts.append("en million" if millions == 1 else f"{_multiplier(millions)} millioner")
    if thousands:
        parts.append("et tusind" if thousands == 1 else f"{_multiplier(thousands)} tusind")
    if units:
        parts.append(f"og {_below_hundred(units)}" if parts and units < 100 else _below_thousand(units))
    return " ".join(parts)


def ordinal_to_danish(n: int) -> str:
    """``n`` (1..99) as a Danish ordinal: 'første', 'anden', 'enogtyvende', 'tredivte', 'enogtredivte'."""
    if not 0 <= n <= 99:
        raise ValueError(f"{n} is outside 0..99")
    if n < 20:
        return _ORDINALS[n]
    tens, units = divmod(n, 10)
    return _ORDINAL_TENS[tens] if units == 0 else f"{_UNITS[units]}og{_ORDINAL_TENS[tens]}"


def _year_words(year: int) -> str:
    """A year as Danes say it: 1958 'nitten hundrede og otteoghalvtreds', 2026 'to tusind og seksogtyve'."""
    if 1100 <= year <= 1999:
        hundreds, rest = divmod(year, 100)
        words = f"{_UNITS[hundreds]} hundrede"
        return f"{words} og {_below_hundred(rest)}" if rest else words
    return number_to_danish(year)


def _digit_words(digits: str) -> str:
    return " ".join(_UNITS[int(d)] for d in digits)


def _pair_words(pair: str) -> str:
    """Two digits of a phone number or reference: '98' 'otteoghalvfems', '05' 'nul fem', '00' 'nul nul'."""
    if len(pair) == 1 or pair.startswith("0"):
        return _digit_words(pair)
    return _below_hundred(int(pair))


def digits_in_pairs(digits: str) -> str:
    """A phone number or reference two digits at a time: '98455000' 'otteoghalvfems femogfyrre halvtreds nul nul'."""
    clean = re.sub(r"\D", "", digits)
    return " ".join(_pair_words(clean[i : i + 2]) for i in range(0, len(clean), 2))


def _hour_words(hour: int) -> str:
    return "et" if hour == 1 else number_to_danish(hour)


def _clock_words(hour: int, minute: int) -> str:
    """'ti tredive', 'ni', 'otte nul fem' (24-hour clock as Danish systems say it)."""
    if minute == 0:
        return _hour_words(hour)
    minutes = f"nul {_UNITS[minute]}" if minute < 10 else _below_hundred(minute)
    return f"{_hour_words(hour)} {minutes}"


def _plain_number(digits: str) -> str:
    """A number written in digits, as words: leading zeros and very long numbers digit by digit."""
    if (len(digits) > 1 and digits.startswith("0")) or len(digits) > 9:
        return _digit_words(digits)
    value = int(digits)
    if len(digits) == 4 and 1100 <= value <= 1999:
        return _year_words(value)  # '1500' 'femten hundrede', as Danes say years and round counts
    return number_to_danish(value)


# --- text for the ear ----------------------------------------------------------------------------

MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober", "november",
    "december",
)  # fmt: skip
_MONTH_ALIASES = "|".join(
    ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
     "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sept", "sep", "okt", "nov", "dec"]
)  # fmt: skip
_SENTENCE_END = re.compile(r"\s*$|\s+[A-ZÆØÅ\"'(]")
_UPPER_START = re.compile(r"[A-ZÆØÅ]")
ABBREVIATIONS = {
    "f.eks.": "for eksempel",
    "fx": "for eksempel",
    "f.x.": "for eksempel",
    "bl.a.": "blandt andet",
    "ca.": "cirka",
    "tlf.": "telefon",
    "tlf": "telefon",
    "nr.": "nummer",
    "kr.": "kroner",
    "kl.": "klokken",
    "evt.": "eventuelt",
    "osv.": "og så videre",
    "mht.": "med hensyn til",
    "inkl.": "inklusive",
    "ekskl.": "eksklusive",
    "pga.": "på grund af",
    "p.g.a.": "på grund af",
    "dvs.": "det vil sige",
    "d.v.s.": "det vil sige",
    "jf.": "jævnfør",
    "m.m.": "med mere",
    "mv.": "med videre",
    "m.v.": "med videre",
    "o.l.": "og lignende",
    "vedr.": "vedrørende",
    "ift.": "i forhold til",
    "iflg.": "ifølge",
    "hhv.": "henholdsvis",
    "pr.": "per",
    "stk.": "stykke",
    "mio.": "millioner",
    "mia.": "milliarder",
    "t.o.m.": "til og med",
    "f.o.m.": "fra og med",
    "bl. a.": "blandt andet",
    "f. eks.": "for eksempel",
}
_ABBREVIATION_PATTERN = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True)) + r")(?![\w])",
    re.IGNORECASE,
)
_LINK_WORDS = frozenset({"", "link", "linket", "dette link", "siden", "hjemmesiden"})
_READ_MORE_WORDS = frozenset({"læs mere", "se mere", "mere", "læs om det"})
# Numbers Danes say in their own way.
SPECIAL_NUMBERS = {"112": "et et to", "114": "et et fire", "1813": "atten tretten", "24/7": "hele døgnet"}
_URL = r"(?:https?://|www\.)[^\s<>\"'()\[\]]+"
_EMAIL = r"(?:mailto:)?([A-Za-z0-9._%+-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
_EMOJI_RANGES = ((0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0x2190, 0x21FF), (0x2B00, 0x2BFF), (0xFE00, 0xFE0F))
_SYMBOLS = {
    "%": " procent",
    "‰": " promille",
    "§": " paragraf ",
    "&": " og ",
    "€": " euro",
    "°": " grader",
    "@": " snabel-a ",
    "=": " er ",
    "…": ".",
    "•": ",",
    "·": ",",
    "|": ",",
    "/": " ",
    "\\": " ",
    "(": ", ",
    ")": ", ",
    "[": " ",
    "]": " ",
    "{": " ",
    "}": " ",
    "<": " ",
    ">": " ",
    "*": " ",
    "#": " ",
    "_": " ",
    "~": " ",
    "^": " ",
    "`": " ",
    '"': "",
    "“": "",
    "”": "",
    "„": "",
    "«": "",
    "»": "",
    "‘": "'",
    "–": " ",
    "—": " ",
    "’": "'",
}


def _sentence_ends_after(match: re.Match[str]) -> bool:
    """True when the text after ``match`` is the end or a new sentence (so a swallowed '.' must stay)."""
    return bool(_SENTENCE_END.match(match.string, match.end()))


def _like_case(original: str, replacement: str) -> str:
    return replacement[:1].upper() + replacement[1:] if _UPPER_START.match(original) else replacement


def _domain(url: str) -> str:
    host = re.sub(r"^(?:https?://)?", "", url, flags=re.IGNORECASE).split("/")[0].split("?")[0].split("#")[0]
    host = host.split("@")[-1].split(":")[0].lower()
    return host[4:] if host.startswith("www.") else host


def _spell_email(match: re.Match[str]) -> str:
    def spell(part: str) -> str:
        part = part.replace(".", " punktum ").replace("-", " bindestreg ").replace("_", " understreg ")
        return re.sub(r"\d+", lambda m: f" {_digit_words(m.group(0))} ", part.replace("+", " plus "))

    return f"{spell(match.group(1))} snabel-a {spell(match.group(2).lower())}"


def _markdown_link(match: re.Match[str]) -> str:
    text, url = match.group(1).strip(), match.group(2).strip()
    if url.lower().startswith("mailto:"):
        return url[7:]
    if re.fullmatch(_URL, text):
        return f"på {_domain(url)}"
    bare = re.sub(r"\s*\b(?:klik )?her$", "", text, flags=re.IGNORECASE)
    if bare.lower() in _LINK_WORDS:
        return f"på {_domain(url)}"
    if bare.lower() in _READ_MORE_WORDS:
        return f"{bare} på {_domain(url)}"
    return text


def _url(match: re.Match[str]) -> str:
    url = match.group("url").rstrip(".,;:!?")
    tail = match.group("url")[len(url) :]
    domain = _domain(url)
    if match.group("pre"):
        return f"{match.group('pre')}{domain}{tail}"
    if match.group("colon"):
        return f" på {domain}{tail}"
    return f"på {domain}{tail}"


def _markdown_lines(text: str) -> str:
    """Headings, bullets and numbered list items become sentences of their own."""
    sentences = []
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # '1. ' starts a numbered item only in a list of several lines ('1. december er lukket' is a date)
    item_pattern = r"(?:[-*+•]|\d{1,2}[.)])\s+(.*)" if len(lines) > 1 else r"[-*+•]\s+(.*)"
    for line in lines:
        structured = False
        heading = re.match(r"#{1,6}\s+(.*)", line)
        if heading:
            line, structured = heading.group(1).strip("# "), True
        item = re.match(item_pattern, line)
        if item:
            line, structured = item.group(1), True
        if structured and line and line[-1] not in ".!?:;,":
            line += "."
        sentences.append(line)
    return " ".join(sentences)


def _strip_emphasis(text: str) -> str:
    text = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: m.group(1) or m.group(2), text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])", r"\1", text)
    text = re.sub(r"~~(.+?)~~", r"\1", text)
    return re.sub(r"`([^`]*)`", r"\1", text)


def _is_emoji_or_odd_symbol(char: str) -> bool:
    code = ord(char)
    if any(low <= code <= high for low, high in _EMOJI_RANGES):
        return True
    return unicodedata.category(char) in ("So", "Cs", "Co", "Sk") and char not in _SYMBOLS


def _clock_expression(match: re.Match[str]) -> str:
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 24 or minute > 59:
        return match.group(0)
    spoken = f"klokken {_clock_words(hour, minute)}"
    if match.group(3):
        hour2, minute2 = int(match.group(3)), int(match.group(4) or 0)
        if hour2 > 24 or minute2 > 59:
            return match.group(0)
        spoken += f" til {_clock_words(hour2, minute2)}"
    return spoken


def _bare_time_range(match: re.Match[str]) -> str:
    hour, minute, hour2, minute2 = (int(g or 0) for g in match.groups())
    if max(hour, hour2) > 24 or max(minute, minute2) > 59:
        return match.group(0)
    return f"{_clock_words(hour, minute)} til {_clock_words(hour2, minute2)}"


def _bare_time(match: re.Match[str]) -> str:
    return _clock_words(int(match.group(1)), int(match.group(2)))


def _month(name: str) -> str:
    return next(m for m in MONTHS if m.startswith(name.lower()[:3]))


def _named_date(match: re.Match[str]) -> str:
    day = int(match.group(1))
    if not 1 <= day <= 31:
        return match.group(0)
    month = _month(match.group(2))
    spoken = f"{ordinal_to_danish(day)} {month}"
    if match.group(4):
        spoken += f" {_year_words(int(match.group(4)))}"
    elif match.group(3) and (match.group(2).lower() == month or _sentence_ends_after(match)):
        spoken += "."  # the sentence's full stop, not the abbreviation's
    return spoken


def _numeric_date(match: re.Match[str]) -> str:
    day, month = int(match.group("d")), int(match.group("m"))
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return match.group(0)
    spoken = f"{ordinal_to_danish(day)} {MONTHS[month - 1]}"
    year = match.groupdict().get("y")
    if year:
        spoken += f" {_year_words(int(year) + (2000 if len(year) == 2 else 0))}"
    elif match.group(0).endswith(".") and _sentence_ends_after(match):
        spoken += "."
    return spoken


def _ordinal(match: re.Match[str]) -> str:
    number = int(match.group(2))
    if not 1 <= number <= 99:
        return match.group(0)
    spoken = f"{match.group(1) or ''}{ordinal_to_danish(number)}"
    return spoken + "." if match.group(3) and _sentence_ends_after(match) else spoken


def _amount(match: re.Match[str]) -> str:
    kroner = int(match.group("kr").replace(".", ""))
    if kroner > MAX_NUMBER:
        return match.group(0)
    spoken = f"{number_to_danish(kroner)} {'krone' if kroner == 1 else 'kroner'}"
    ore = match.group("ore")
    if ore and ore.isdigit() and int(ore):
        spoken += f" og {number_to_danish(int(ore.ljust(2, '0')))} øre"
    if match.group(0).endswith(".") and _sentence_ends_after(match):
        spoken += "."
    return spoken


def _decimal(match: re.Match[str]) -> str:
    whole, fraction = match.group(1), match.group(2)
    spell = fraction.startswith("0") or len(fraction) > 2
    fraction_words = _digit_words(fraction) if spell else _plain_number(fraction)
    return f"{_plain_number(whole)} komma {fraction_words}"


def _abbreviation(match: re.Match[str]) -> str:
    found = match.group(1)
    spoken = _like_case(found, ABBREVIATIONS[found.lower()])
    return spoken + "." if found.endswith(".") and _sentence_ends_after(match) else spoken


# (pattern, replacement) in the order they run; numbers go from the most to the least specific.
_NUMBER_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str] | str]] = [
    (  # kl. 10.30 / klokken 9 / kl. 10-15 / kl. 8.30-16.30
        re.compile(
            r"\b(?:kl\.?|klokken)\s*(\d{1,2})(?:[.:](\d{2}))?(?!\d)"
            r"(?:\s*(?:-|–|til)\s*(?:kl\.?\s*|klokken\s*)?(\d{1,2})(?:[.:](\d{2}))?(?![\d]|[.:]\d))?",
            re.IGNORECASE,
        ),
        _clock_expression,
    ),
    (  # 13.30-18 / 10-16.30 (a range with minutes is a time range)
        re.compile(r"\b(\d{1,2})[.:](\d{2})\s*[-–]\s*(\d{1,2})(?:[.:](\d{2}))?\b(?![.:]\d)"),
        _bare_time_range,
    ),
    (re.compile(r"\b(\d{1,2})()\s*[-–]\s*(\d{1,2})[.:](\d{2})\b(?![.:]\d)"), _bare_time_range),
    (  # 1. december 2026 / 14. dec
        re.compile(rf"\b(\d{{1,2}})\.\s?({_MONTH_ALIASES})\b(\.)?(?:\s+(\d{{4}})\b)?", re.IGNORECASE),
        _named_date,
    ),
    (re.compile(r"\b(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})\b"), _numeric_date),  # 24.12.2026
    (re.compile(r"\b(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?!\d)"), _numeric_date),  # den 24.12.
    (re.compile(r"(?<=\bden )(?P<d>\d{1,2})\.(?P<m>\d{1,2})\b(?![.:/]?\d)"), _numeric_date),  # den 24.12
    (re.compile(r"\b(?P<d>\d{1,2})/(?P<m>\d{1,2})\b(?![/-]?\d)"), _numeric_date),  # 24/12
    (re.compile(r"\b(?P<d>\d{1,2})/(?P<m>\d{1,2})[/-](?P<y>\d{4}|\d{2})\b"), _numeric_date),  # 24/12-2026
    (re.compile(r"(\bden )(\d{1,2})(\.)(?!\d)", re.IGNORECASE), _ordinal),  # den 14.
    (re.compile(r"()\b(\d{1,2})\.()(?=\s+[a-zæøå])"), _ordinal),  # 2. påskedag, 3. sal
    (  # 3.500 kr. / 12,50 kr / 100 kroner / 3.500,-
        re.compile(
            r"(?<![\w.,])(?P<kr>\d{1,3}(?:\.\d{3})+|\d+)(?:,(?P<ore>\d{1,2}|-))?"
            r"(?:\s*(?:kr\.|kr\b|kroner\b|DKK\b)|(?<=,-))",
            re.IGNORECASE,
        ),
        _amount,
    ),
    (  # kr. 3.500
        re.compile(r"\b(?:kr\.|DKK)\s*(?P<kr>\d{1,3}(?:\.\d{3})+|\d+)(?:,(?P<ore>\d{1,2}|-))?(?![\d])", re.IGNORECASE),
        _amount,
    ),
    (  # phone numbers: +45 98 45 50 00 / 98455000 / 9845 5000
        re.compile(r"(?<![\w.,:+])(?:\+45\s?|0045\s?)?(\d{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{2})(?!\w|[.,:]\d)"),
        lambda m: digits_in_pairs(m.group(1)),
    ),
    (  # booking references: 48 29 13 / 482913
        re.compile(r"(?<![\w.,:])(\d{2} ?\d{2} ?\d{2})(?!\w|[.,:]\d)"),
        lambda m: digits_in_pairs(m.group(1)),
    ),
    (  # any other pairs: 'slutter på 40 50'
        re.compile(r"(?<![\w.,:])(\d{2}(?: \d{2})+)(?!\w|[.,:]\d)"),
        lambda m: digits_in_pairs(m.group(1)),
    ),
    (re.compile(r"\b(\d+),(\d+)\b"), _decimal),  # 2,5
    (  # 1.000.000
        re.compile(r"\b\d{1,3}(?:\.\d{3})+\b"),
        lambda m: (
            number_to_danish(int(m.group(0).replace(".", "")))
            if int(m.group(0).replace(".", "")) <= MAX_NUMBER
            else _digit_words(m.group(0).replace(".", ""))
        ),
    ),
    (  # 15-17 år
        re.compile(r"\b(\d+)\s?[-–]\s?(\d+)\b"),
        lambda m: f"{_plain_number(m.group(1))} til {_plain_number(m.group(2))}",
    ),
    (re.compile(r"\b([01]?\d|2[0-3])[.:]([0-5]\d)\b(?![.:]\d)"), _bare_time),  # 10.30
    (re.compile(r"\b\d+\b"), lambda m: _plain_number(m.group(0))),
]


def speak_text(text: str) -> str:
    """``text`` written for a screen, as plain Danish for a TTS voice (no markdown, links, emoji or digits)."""
    text = unicodedata.normalize("NFC", text or "").replace("\u00a0", " ").replace("\u202f", " ")
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.IGNORECASE)
    text = re.sub(r"</?[A-Za-z][^>]*>", " ", text)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)
    text = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", _markdown_link, text)
    text = _strip_emphasis(_markdown_lines(text))
    text = re.sub(_EMAIL, _spell_email, text)
    text = re.sub(
        rf"(?P<pre>\b(?:på|via|fra|hos|under|til|i|gennem)\s+)?(?P<colon>:\s*)?(?P<url>{_URL})",
        _url,
        text,
        flags=re.IGNORECASE,
    )
    text = "".join("" if unicodedata.category(c) == "Cf" else " " if _is_emoji_or_odd_symbol(c) else c for c in text)
    text = re.sub(
        r"(?<![\w/.,])(" + "|".join(re.escape(n) for n in SPECIAL_NUMBERS) + r")(?![\w/]|[.,]\d)",
        lambda m: SPECIAL_NUMBERS[m.group(1)],
        text,
    )
    for pattern, replacement in _NUMBER_RULES:
        text = pattern.sub(replacement, text)
    text = _ABBREVIATION_PATTERN.sub(_abbreviation, text)
    text = re.sub(r"(?<=\S)\s+[–—-]\s+(?=\S)", ", ", text)  # a dash between words is a pause
    text = re.sub(r"(?<=\s)\+(?=\s)", "plus", text)
    text = "".join(_SYMBOLS.get(c, c) for c in text)
    return _tidy(text)


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([,.!?;:])", r"\1", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    text = re.sub(r"[,;:]\s*([.!?])", r"\1", text)
    text = re.sub(r"([.!?])(?:\s*\.)+", r"\1", text)
    text = re.sub(r"^[,.;:!?\s]+", "", text)
    text = re.sub(r",(?=[^\s\d,])", ", ", text)
    text = re.sub(r"([.!?;:])(?=[A-ZÆØÅ])", r"\1 ", text)
    return re.sub(r"\s+", " ", text).strip()


def _with_end(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?:" else text + "."


# --- buttons as spoken choices -------------------------------------------------------------------

MAX_KEYPAD_CHOICES = 9
YES_NO_PROMPT = "Sig ja eller nej, eller tryk 1 for ja og 2 for nej."
HANDOFF_PHRASE = "at tale med en medarbejder"
_HANDOFF_WORDS = re.compile(r"medarbejder|sagsbehandler|menneske|en person|stil mig videre", re.IGNORECASE)
_YES_BUTTON = re.compile(r"^\s*(?:ja|jo|yes)\b", re.IGNORECASE)
_NO_BUTTON = re.compile(r"^\s*(?:nej|no)\b", re.IGNORECASE)
_QUESTION_VERBS = frozenset(
    "er var skal vil kan har må ønsker passer bor mener tager gælder stemmer bruger ringer ved kender "
    "forstår hedder skulle kunne ville havde synes får gør søger mangler drejer handler".split()
)
_OPEN_QUESTIONS = re.compile(
    r"^(?:er der (?:andet|noget andet|mere|noget)|kan jeg hjælpe|har du (?:andre|flere) spørgsmål)", re.IGNORECASE
)


def _is_handoff(title: str, payload: str) -> bool:
    return payload.startswith("/human_handoff") or bool(_HANDOFF_WORDS.search(title))


def _yes_no_role(title: str, payload: str) -> str | None:
    if payload.startswith("/affirm") or (_YES_BUTTON.match(title) and not payload.startswith("/deny")):
        return "yes"
    if payload.startswith("/deny") or _NO_BUTTON.match(title):
        return "no"
    return None


def _last_sentence(text: str) -> str:
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
    return sentences[-1] if sentences else ""


def asks_yes_no(text: str) -> bool:
    """True when ``text`` ends with a yes/no question ('Er det korrekt?', 'Vil du aflyse den?').

    Either/or questions ('… hos jobcentret eller hos lægen?'), questions with a question word
    and open invitations ('Er der andet, jeg kan hjælpe dig med?') are not yes/no questions.
    """
    if " ja eller nej " in f" {_normalise(_last_sentence(text))} ":
        return True  # 'Svar ja eller nej.'
    sentence = _last_sentence(text).strip(" \"'»«")
    if not sentence.endswith("?"):
        return False
    words = re.findall(r"[a-zæøåéü]+", sentence.lower())
    if not words or " eller " in f" {' '.join(words)} " or _OPEN_QUESTIONS.match(" ".join(words)):
        return False
    return words[0] in _QUESTION_VERBS or (words[-1] == "ikke" and "," in sentence)  # '…, ikke?'


def _spoken_label(label: str) -> str:
    spoken = speak_text(label).rstrip(".!?:;, ")
    words = spoken.split()
    if words and words[0][:1].isupper() and words[0][1:] == words[0][1:].lower():
        if not any(w[:1].isupper() for w in words[1:]):
            spoken = spoken[:1].lower() + spoken[1:]
    return spoken


def _join_or(items: list[str], word: str = "eller") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def _mentioned(label: str, text: str) -> bool:
    return f" {_normalise(label)} " in f" {_normalise(text)} "


def _handoff_sentence(choice: Choice) -> str:
    phrase = HANDOFF_PHRASE if _HANDOFF_WORDS.search(choice.label) else f"'{_spoken_label(choice.label)}'"
    return f"Tryk 0 for {phrase}."


def _choices_prompt(choices: list[Choice], text: str) -> str:
    """The spoken offer of the buttons: 'Sig 'pas' eller 'kørekort', eller tryk 1 eller 2.'."""
    numbered = [c for c in choices if c.digit not in ("", "0")]
    unnumbered = [c for c in choices if c.digit == ""]
    handoff = [c for c in choices if c.digit == "0"]
    ordinary = numbered + unnumbered
    sentences = []
    if ordinary and len(numbered) <= 4 and all(_mentioned(c.label, text) for c in ordinary) and not unnumbered:
        # the text already offered them ('… torsdag kl. 13 eller fredag kl. 9'): only add the keys
        if any(_when_in_label(c.label) for c in numbered):
            positions = [f"{c.digit} for den {ordinal_to_danish(int(c.digit))}" for c in numbered]
        else:
            positions = [f"{c.digit} for {_spoken_label(c.label)}" for c in numbered]
        sentences.append(f"Du kan også trykke {_join_or(positions)}.")
    elif ordinary and len(ordinary) <= 4:
        labels = [f"'{_spoken_label(c.label)}'" for c in ordinary]
        sentences.append(f"Sig {_join_or(labels)}, eller tryk {_join_or([c.digit for c in numbered])}.")
    elif ordinary:
        presses = [f"tryk {c.digit} for {_spoken_label(c.label)}" for c in numbered]
        sentence = _join_or(presses)
        sentences.append(sentence[:1].upper() + sentence[1:] + ".")
        if unnumbered:
            sentences.append(f"Du kan også sige {_join_or([_quoted(c) for c in unnumbered])}.")
    sentences.extend(_handoff_sentence(c) for c in handoff)
    return " ".join(sentences)


def _quoted(choice: Choice) -> str:
    return f"'{_spoken_label(choice.label)}'"


def _yes_no_prompt(text: str) -> str:
    said = f" {_normalise(text)} "
    has_words = "ja eller nej" in said
    has_keys = any(f" tryk {one} " in said for one in ("1", "en", "et"))
    if has_words and has_keys:
        return ""
    if has_words:
        return "Du kan også trykke 1 for ja og 2 for nej."
    return YES_NO_PROMPT


def _buttons(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    found = []
    for message in messages:
        for button in message.get("buttons") or []:
            if not isinstance(button, dict):
                continue
            title = str(button.get("title") or "").strip()
            payload = str(button.get("payload") or title).strip()
            if title:
                found.append((title, payload))
    return found


def _number_choices(buttons: list[tuple[str, str]]) -> tuple[list[Choice], bool]:
    """Choices with keypad digits (spoken order) and whether the buttons are a ja/nej pair."""
    roles = [_yes_no_role(title, payload) for title, payload in buttons]
    if roles.count("yes") == 1 and roles.count("no") == 1:
        yes = buttons[roles.index("yes")]
        no = buttons[roles.index("no")]
        choices = [Choice(yes[0], yes[1], "1"), Choice(no[0], no[1], "2")]
        rest = [b for b, role in zip(buttons, roles, strict=True) if role is None]
        next_digit = 3
        for title, payload in rest:
            if _is_handoff(title, payload) and not any(c.digit == "0" for c in choices):
                choices.append(Choice(title, payload, "0"))
            else:
                choices.append(Choice(title, payload, str(next_digit) if next_digit <= MAX_KEYPAD_CHOICES else ""))
                next_digit += 1
        return choices, True
    ordinary: list[Choice] = []
    handoff: list[Choice] = []
    for title, payload in buttons:
        if _is_handoff(title, payload) and not handoff:
            handoff.append(Choice(title, payload, "0"))
            continue
        digit = str(len(ordinary) + 1) if len(ordinary) < MAX_KEYPAD_CHOICES else ""
        ordinary.append(Choice(title, payload, digit))
    return ordinary + handoff, False


def render_for_phone(messages: list[dict[str, Any]]) -> SpokenReply:
    """The assistant's messages as one spoken answer, with the buttons as numbered choices.

    Texts are joined and made speakable (see ``speak_text``). Buttons become choices with
    keypad digits 1..9 in order (a handoff button gets 0; a ja/nej pair gets 1 for ja and 2
    for nej) and are offered at the end of the text. ``expects_yes_no`` is True when the last
    message asks a yes/no question or the buttons are ja/nej.
    """
    messages = [m for m in messages or [] if isinstance(m, dict)]
    texts = [m["text"].strip() for m in messages if isinstance(m.get("text"), str) and m["text"].strip()]
    raw = " ".join(_with_end(t) for t in texts)
    spoken = speak_text(raw)
    choices, yes_no_pair = _number_choices(_buttons(messages))
    last_text = texts[-1] if texts else ""
    expects_yes_no = yes_no_pair or (not choices and asks_yes_no(last_text))
    prompts = []
    if expects_yes_no:
        prompts.append(_yes_no_prompt(raw))
        others = [c for c in choices[2:] if c.digit != "0"] if choices else []
        for choice in others:
            press = f", eller trykke {choice.digit}" if choice.digit else ""
            prompts.append(f"Du kan også sige {_quoted(choice)}{press}.")
        prompts.extend(_handoff_sentence(c) for c in choices[2:] if c.digit == "0")
    elif choices:
        prompts.append(_choices_prompt(choices, raw))
    text = " ".join(p for p in [spoken, *prompts] if p)
    return SpokenReply(text=text, choices=choices, expects_yes_no=expects_yes_no)


# --- understanding the caller --------------------------------------------------------------------


def _normalise(text: str) -> str:
    """Lowercase words and digits only ('Torsdag kl. 10.30!' -> 'torsdag kl 10 30'), æøå kept."""
    text = unicodedata.normalize("NFC", text or "").lower()
    text = re.sub(r"[^\wæøå]+|_", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _fold(text: str) -> str:
    """A rough sound key that survives spelling and recognition variants: 'Kørekortet' ~ 'koere kortet'."""
    text = _normalise(text).replace(" ", "")
    text = text.replace("aa", "å").replace("ae", "æ").replace("oe", "ø")
    for source, target in (("æ", "e"), ("ä", "e"), ("é", "e"), ("ø", "o"), ("ö", "o"), ("å", "o"), ("ü", "y")):
        text = text.replace(source, target)
    for source, target in (("ph", "f"), ("th", "t"), ("ck", "k"), ("c", "k"), ("w", "v"), ("q", "k"), ("z", "s")):
        text = text.replace(source, target)
    return re.sub(r"(.)\1+", r"\1", text)


def _similar(a: str, b: str) -> float:
    fa, fb = _fold(a), _fold(b)
    if not fa or not fb:
        return 0.0
    if fa == fb:
        return 1.0
    return difflib.SequenceMatcher(None, fa, fb).ratio()


def _word_matches(label_word: str, heard_word: str) -> bool:
    """True when a heard word is (a mishearing of) a label word; short words must be (nearly) exact."""
    fl, fh = _fold(label_word), _fold(heard_word)
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
_NUMBER_WORDS: dict[str, int] = {number_to_danish(n): n for n in range(60)}
_NUMBER_WORDS.update({"et": 1, "én": 1, "ét": 1, "halvtredsindstyve": 50})
_ORDINAL_WORDS = {ordinal_to_danish(n): n for n in range(1, 10)} | {"andet": 2, "sidste": -1}
_NEGATIONS = frozenset({"ikke", "hverken", "ingen", "næste", "nej"})
_HANDOFF_REQUEST_WORDS = re.compile(
    r"\b(?:medarbejder\w*|sagsbehandler\w*|menneske\w*|person|personlig|stil mig videre|omstil\w*)\b"
)
WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
_RELATIVE_DAYS = {"i dag": "idag", "idag": "idag", "i morgen": "imorgen", "imorgen": "imorgen",
                  "i overmorgen": "iovermorgen", "iovermorgen": "iovermorgen"}  # fmt: skip


def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    return _NUMBER_WORDS.get(token)


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
            number = _number(words[index + 1])
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
    numbers = [w for w in words if _number(w) is not None]
    others = [w for w in words if _number(w) is None and w not in _CHOICE_FILLERS]
    if len(numbers) != 1 or others or len(words) > 3:
        return None
    return next((c for c in choices if c.digit and c.digit == str(_number(numbers[0]))), None)


@dataclass(frozen=True)
class _When:
    weekday: str | None = None
    relative: str | None = None
    day: int | None = None
    month: str | None = None
    hour: int | None = None
    minute: int | None = None

    @property
    def empty(self) -> bool:
        return all(v is None for v in (self.weekday, self.relative, self.day, self.month, self.hour))


def _when_in_label(label: str) -> _When | None:
    """Day and time of a booking button ('torsdag kl. 10.30', 'mandag den 14. december kl. 13')."""
    lowered = label.lower()
    clock = re.search(r"\bkl\.?\s*(\d{1,2})(?:[.:](\d{2}))?", lowered)
    if not clock:
        return None
    weekday = next((d for d in WEEKDAYS if d in lowered), None)
    relative = next((v for k, v in _RELATIVE_DAYS.items() if f" {k} " in f" {lowered} "), None)
    date = re.search(rf"\b(\d{{1,2}})\.\s*({_MONTH_ALIASES})", lowered)
    return _When(
        weekday=weekday,
        relative=relative,
        day=int(date.group(1)) if date else None,
        month=_month(date.group(2)) if date else None,
        hour=int(clock.group(1)),
        minute=int(clock.group(2) or 0),
    )


def _heard_clock(words: list[str]) -> tuple[int, int] | None:
    """The clock time in heard words: 'klokken ti tredive', 'halv elleve', 'kvart over ni', '10 30', 'tretten'."""
    numbers = [_number(w) for w in words]
    for i, word in enumerate(words):
        nxt = numbers[i + 1] if i + 1 < len(words) else None
        if word == "halv" and nxt is not None and 1 <= nxt <= 24:
            return (nxt - 1) % 24, 30
        if word == "kvart" and i + 2 < len(words) and numbers[i + 2] is not None:
            hour = numbers[i + 2]
            if words[i + 1] == "over":
                return hour, 15
            if words[i + 1] == "i":
                return (hour - 1) % 24, 45
        if numbers[i] is not None and i + 2 < len(words) and words[i + 1] in ("over", "i"):
            minutes, hour = numbers[i], numbers[i + 2]
            if hour is not None and 0 < minutes < 30 and hour <= 24:
                return (hour, minutes) if words[i + 1] == "over" else ((hour - 1) % 24, 60 - minutes)
    for i, word in enumerate(words):
        if word in ("klokken", "kl", "ved") and i + 1 < len(words) and numbers[i + 1] is not None:
            hour = numbers[i + 1]
            minute = numbers[i + 2] if i + 2 < len(words) and numbers[i + 2] is not None else 0
            if hour <= 24 and minute <= 59:
                return hour, minute
    spoken = [(i, n) for i, n in enumerate(numbers) if n is not None and words[i] not in ("en", "et")]
    for (i, hour), (j, minute) in itertools.pairwise(spoken):
        if j == i + 1 and hour <= 23 and 1 <= minute <= 59:
            return hour, minute
    if len(spoken) == 1 and spoken[0][1] <= 23:
        return spoken[0][1], 0
    return None


def _heard_when(words: list[str]) -> _When:
    """Day and time in what the caller said: weekday, 'i morgen', 'den 14.'/'fjortende', month, clock."""
    text = " ".join(words)
    folded = _fold(text)
    weekday = next((d for d in WEEKDAYS if _fold(d) in folded), None)
    relative = next((v for k, v in _RELATIVE_DAYS.items() if f" {k} " in f" {text} "), None)
    month = next((_month(w) for w in words if _is_month(w)), None)
    day = next((_ORDINAL_WORDS_31[w] for w in words if w in _ORDINAL_WORDS_31), None)
    clock_words = []
    for index, word in enumerate(words):
        before = words[index - 1] if index else ""
        after = words[index + 1] if index + 1 < len(words) else ""
        number = _number(word)
        if number is not None and 1 <= number <= 31 and (before == "den" or (month and after.startswith(month[:3]))):
            day = number
            continue
        if _is_month(word) or _fold(word) in _FOLDED_WEEKDAYS:
            continue
        clock_words.append(word)
    clock = _heard_clock(clock_words)
    return _When(
        weekday=weekday,
        relative=relative,
        day=day,
        month=month,
        hour=clock[0] if clock else None,
        minute=clock[1] if clock else None,
    )


_ORDINAL_WORDS_31 = {ordinal_to_danish(n): n for n in range(1, 32)} | {"andet": 2}
_FOLDED_WEEKDAYS = frozenset(_fold(d) for d in WEEKDAYS)


def _is_month(word: str) -> bool:
    return len(word) >= 3 and any(word.startswith(m[:3]) and m.startswith(word[:3]) for m in MONTHS)


def _same_hour(heard: int, offered: int) -> bool:
    return heard == offered or heard + 12 == offered


def _time_match(words: list[str], choices: list[Choice]) -> Choice | None:
    """The offered time the caller named ('torsdag klokken ti tredive', 'halv elleve på torsdag')."""
    offered = [(c, _when_in_label(c.label)) for c in choices]
    offered = [(c, w) for c, w in offered if w is not None]
    if not offered or any(w in _NEGATIONS for w in words):
        return None
    heard = _heard_when(words)
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
    words = _normalise(text).split()
    return [w for w in words if w not in _STOPWORDS] or words


def _contains_phrase(haystack: list[str], needle: list[str]) -> bool:
    folded_hay = [_fold(w) for w in haystack]
    folded_needle = [_fold(w) for w in needle]
    size = len(folded_needle)
    return any(folded_hay[i : i + size] == folded_needle for i in range(len(folded_hay) - size + 1))


def _word_score(label: str, words: list[str]) -> float:
    """Share of the label's content words heard (allowing mishearings and split compounds)."""
    wanted = _content_words(label)
    heard = list(words) + [a + b for a, b in itertools.pairwise(words)]
    hits = sum(1 for w in wanted if any(_word_matches(w, h) for h in heard))
    return hits / len(wanted)


def _heard_in_label(heard: str, label: str) -> bool:
    return any(_word_matches(word, heard) for word in _normalise(label).split())


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
    words = _normalise(utterance).split()
    if not words or not choices:
        return None
    yes_choice = next((c for c in choices if c.digit == "1" and _yes_no_role(c.label, c.payload) == "yes"), None)
    no_choice = next((c for c in choices if c.digit == "2" and _yes_no_role(c.label, c.payload) == "no"), None)
    if yes_choice and no_choice:
        answer = yes_no(utterance)
        if answer is not None:
            return yes_choice if answer else no_choice
    folded = _fold(utterance)
    exact = [c for c in choices if _fold(c.label) == folded]
    if len(exact) == 1:
        return exact[0]
    picked = _keypad_reference(words, choices)
    if picked:
        return picked
    time_like = any(_when_in_label(c.label) for c in choices)
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
        handoff = [c for c in choices if _is_handoff(c.label, c.payload)]
        if len(handoff) == 1:
            return handoff[0]
    inside = [c for c in choices if _contains_phrase(words, _normalise(c.label).split())]
    if len(inside) == 1:
        return inside[0]
    if len(inside) > 1:
        longest = max(inside, key=lambda c: len(_normalise(c.label)))
        others = [c for c in inside if c is not longest]
        if all(_contains_phrase(_normalise(longest.label).split(), _normalise(c.label).split()) for c in others):
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
    words = [w for w in _normalise(utterance).split() if w not in _FILLERS]
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
