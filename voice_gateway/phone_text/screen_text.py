"""Text written for a screen made plain Danish for a TTS voice (Piper da_DK, espeak-ng da).

``speak_text`` removes markdown, HTML, emoji and odd symbols, reads links as their domain ('på
borger.dk'), spells e-mail addresses ('post snabel-a kommune punktum dk'), expands abbreviations
('f.eks.', 'kl.') and has ``say_numbers`` say every number.
"""

from __future__ import annotations

import re
import unicodedata

from muni_core.danish.numbers import spell_digits
from voice_gateway.phone_text.spoken_numbers import say_numbers, sentence_ends_after

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


def _like_case(original: str, replacement: str) -> str:
    return replacement[:1].upper() + replacement[1:] if _UPPER_START.match(original) else replacement


def _domain(url: str) -> str:
    host = re.sub(r"^(?:https?://)?", "", url, flags=re.IGNORECASE).split("/")[0].split("?")[0].split("#")[0]
    host = host.split("@")[-1].split(":")[0].lower()
    return host[4:] if host.startswith("www.") else host


def _spell_email(match: re.Match[str]) -> str:
    def spell(part: str) -> str:
        part = part.replace(".", " punktum ").replace("-", " bindestreg ").replace("_", " understreg ")
        return re.sub(r"\d+", lambda m: f" {spell_digits(m.group(0))} ", part.replace("+", " plus "))

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


def _abbreviation(match: re.Match[str]) -> str:
    found = match.group(1)
    spoken = _like_case(found, ABBREVIATIONS[found.lower()])
    return spoken + "." if found.endswith(".") and sentence_ends_after(match) else spoken


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
    text = say_numbers(text)
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


def with_end(text: str) -> str:
    """``text`` stripped, with a full stop unless it already ends a sentence."""
    text = text.strip()
    return text if not text or text[-1] in ".!?:" else text + "."
