"""What the citizen said during a booking: the wished day and time, a picked offer, a name, a phone number.

Pure functions of the text (and of the latest message the tracker holds); no calendar, no store.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any, Literal

from rasa_sdk import Tracker

from actions.booking_store import normalise_phone
from actions.danish_time import When, parse_when
from muni_core.danish.numbers import number_values

_ORDINALS = {
    0: r"\b(?:første|1\.?|nummer (?:et|en|1))\b|^\s*(?:1|en|et)\s*$",
    1: r"\b(?:anden|andet|2\.|nummer (?:to|2))\b|^\s*(?:2|to)\s*$",
    2: r"\b(?:tredje|sidste|3\.|nummer (?:tre|3))\b|^\s*(?:3|tre)\s*$",
}
_NAME_PREFIX = re.compile(r"^(?:mit navn er|jeg hedder|navnet er|det er|den er på|jeg er)\s+", re.IGNORECASE)
_NAME_PATTERN = re.compile(r"^[A-Za-zÆØÅæøåÄÖÜäöüÉéÈèÁáÍíÓóÚúÇçÑñ' .-]{2,80}$")
NOT_NAMES = frozenset(
    {"ja", "nej", "hej", "ok", "okay", "tak", "hvad", "hvorfor", "nå", "øh", "jo", "jep", "nope", "hallo", "goddag",
     "ved ikke", "det ved jeg ikke", "hvem", "stop", "glem det", "jobcentret", "lægen", "borgerservice"}
)  # fmt: skip
_FUNCTION_WORDS = frozenset(
    "jeg du han hun vi de det den der her hvad hvordan hvorfor hvornår hvor hvem er var har skal kan vil må "
    "en et og i på til med om af for fra ikke min mit mine dit din tid pas kort ja nej hej tak".split()
)
_SPOKEN_NUMBERS = number_values(range(100), variants=False)  # nul … nioghalvfems, en/et, femogtyve


def latest_intent(tracker: Tracker) -> str:
    """The intent of the latest message ('' when none)."""
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""


def latest_text(tracker: Tracker) -> str:
    """The text of the latest message ('' when none)."""
    return (tracker.latest_message or {}).get("text") or ""


def slot_before_latest_message(tracker: Tracker, name: str) -> Any:
    """The value slot ``name`` had before the latest message (what a correction changes)."""
    events = tracker.events or []
    last_user = max((i for i, event in enumerate(events) if event.get("event") == "user"), default=len(events))
    value = None
    for event in events[:last_user]:
        if event.get("event") == "slot" and event.get("name") == name:
            value = event.get("value")
    return value


def latest_entity(tracker: Tracker, name: str) -> str | None:
    """The first value of entity ``name`` in the latest message, if any."""
    return next(tracker.get_latest_entity_values(name), None)


def parse_day(value: Any) -> date | None:
    """A slot's ISO date ('2026-12-03'), or None."""
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def parse_time(value: Any) -> time | None:
    """A slot's ISO clock time ('10:30'), or None."""
    try:
        return time.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def match_offered(text: str, day: date | None, clock: time | None, offered: list[str]) -> datetime | None:
    """The offered slot the citizen picked ('den første', 'kl. 13', 'fredag'), if unambiguous."""
    starts = [datetime.fromisoformat(item) for item in offered or []]
    lowered = text.lower().strip()
    for index, pattern in _ORDINALS.items():
        if index < len(starts) and re.search(pattern, lowered):
            return starts[index]
    bare = re.fullmatch(r"\D*?(\d{1,2})(?:[.:](\d{2}))?\D*", lowered)
    if clock is None and bare and not day:
        hour = int(bare.group(1))
        clock = time(hour + 12 if 1 <= hour <= 6 else hour, int(bare.group(2) or 0)) if hour < 24 else None
    matching = [s for s in starts if (day is None or s.date() == day) and (clock is None or s.time() == clock)]
    if (day or clock) and len(matching) == 1:
        return matching[0]
    return None


def wished_day_and_time(
    text: str, entity_day: Any, entity_time: Any, offered: list[str], now: datetime
) -> tuple[date | None, time | None, When | None]:
    """Day, time and what else the message says about when.

    Entities (from a button) win over the text; an offered slot the citizen picks fills both.
    ``When`` is None when the entities gave the day or time.
    """
    day, clock = parse_day(entity_day), parse_time(entity_time)
    when = parse_when(text, now) if not (day or clock) else None
    day = day or (when.day if when else None)
    clock = clock or (when.clock if when else None)
    picked = match_offered(text, day, clock, offered)
    if picked:
        day, clock = picked.date(), picked.time()
    return day, clock, when


def looks_like_name(text: str) -> bool:
    """1-5 words of letters (after 'mit navn er'), none of them a common Danish function word."""
    words = _NAME_PREFIX.sub("", text).strip(" .!").split()
    return 0 < len(words) <= 5 and all(
        re.fullmatch(r"[A-Za-zÆØÅæøåÄÖÜäöüÉé'-]{2,}", w) and w.lower() not in _FUNCTION_WORDS for w in words
    )


def clean_name(value: Any, *, heard_on_phone: bool) -> str | None:
    """The name capitalised, without 'mit navn er' and the like; None when it is not a name.

    A name heard on the phone is a transcript: the recogniser's punctuation is dropped instead of refused.
    """
    name = _NAME_PREFIX.sub("", str(value or "").strip()).strip(" .!")
    if heard_on_phone:
        name = " ".join(re.sub(r"[^A-Za-zÆØÅæøåÄÖÜäöüÉé' -]", " ", name).split())
    if (
        not _NAME_PATTERN.match(name)
        or not re.search(r"[A-Za-zÆØÅæøå]{2}", name)
        or name.lower().strip() in NOT_NAMES
        or len(name.split()) > 6
    ):
        return None
    return " ".join(part[:1].upper() + part[1:] for part in name.split())


# A phone number inside a longer sentence: eight digits (in pairs with one kind of separator, or fours), maybe
# after +45, no digits around (so never a part of a CPR number, a date or a time).
_PHONE_IN_SENTENCE = re.compile(
    r"(?<![\d+])(?<!\d[\s.-])(?:(?:\+|00)\s?45[\s-]?)?"
    r"(\d{2}([\s.-]?)\d{2}\2\d{2}\2\d{2}|\d{4}[\s-]?\d{4})(?![\s.-]?\d)"
)
# 'mit navn er Karen Jensen og …': the name is the letter words after the introduction.
_NAME_INTRO = re.compile(r"\b(?:mit (?:fulde )?navn er|jeg hedder|navnet er|navnet skal være|navn:)\s+", re.IGNORECASE)
_NOT_NAME_WORDS = _FUNCTION_WORDS | frozenset(
    "og eller men kl klokken tlf telefon telefonnummer nummer nummeret mobil hos ved tak gerne så i dag morgen "
    "mandag tirsdag onsdag torsdag fredag lørdag søndag".split()
)
# The services as citizens name them after 'hos', 'på', 'til' or 'ved' ('nej, det skal være hos lægen').
_SERVICE_WORDS = {
    "jobcenter": r"job ?cent(?:er|re|ret|eret|ert)s?",
    "laege": r"(?:min |egen |vores )?(?:læge|laege|doktor)(?:n|en|huset|tid)?",
}
_SERVICE_PATTERNS = {
    key: re.compile(rf"\b(?:hos|på|paa|til|ved|i|mente)\s+(?:{words})\b", re.IGNORECASE)
    for key, words in _SERVICE_WORDS.items()
}


def phone_in_sentence(text: str) -> str | None:
    """A phone number written inside a longer message ('… og mit nummer er 20 30 40 50'), normalised.

    Stricter than :func:`phone_number_in`: the eight digits must stand apart, so a CPR number, a date or
    a time next to them is never read as a phone number.
    """
    match = _PHONE_IN_SENTENCE.search(text)
    return normalise_phone(match.group(1)) if match else None


def name_in_sentence(text: str) -> str | None:
    """The name after 'mit navn er', 'jeg hedder' … in a longer message, as written; None without one."""
    intro = _NAME_INTRO.search(text)
    if not intro:
        return None
    words = []
    for raw in text[intro.end() :].split():
        word = raw.strip(",.;:!?")
        if not re.fullmatch(r"[A-Za-zÆØÅæøåÄÖÜäöüÉé'-]{2,}", word) or word.lower() in _NOT_NAME_WORDS:
            break
        words.append(word)
        if word != raw or len(words) == 5:
            break  # a comma or full stop ends the name
    return " ".join(words) or None


def without_contact_details(text: str) -> str:
    """``text`` without a phone number and an introduced name, so neither is read as a day or a time."""
    text = _PHONE_IN_SENTENCE.sub(" ", text)
    name = name_in_sentence(text)
    if name:
        text = text.replace(name, " ", 1)
    return text


def service_named(text: str) -> str | None:
    """The service a message names after a preposition ('hos lægen', 'på jobcentret'), if exactly one."""
    found = [key for key, pattern in _SERVICE_PATTERNS.items() if pattern.search(text)]
    return found[0] if len(found) == 1 else None


def digits_from_words(text: str) -> str:
    """Spoken digits to digits: 'tyve tredive fyrre halvtreds' -> '20 30 40 50'."""
    converted = []
    for word in re.findall(r"[a-zæøå]+|\d+", text.lower()):
        if word.isdigit():
            converted.append(word)
        elif word in _SPOKEN_NUMBERS:
            converted.append(str(_SPOKEN_NUMBERS[word]))
    return " ".join(converted)


def phone_number_in(text: str) -> str | None:
    """A Danish phone number (eight digits) written or spoken in ``text``, normalised."""
    return normalise_phone(text) or normalise_phone(digits_from_words(text).replace(" ", ""))


def spoken_phone(digits: str) -> str:
    """'20304050' -> '20 30 40 50'."""
    return " ".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def correction_asked(text: str) -> Literal["name", "phone", "time"]:
    """What a 'nej' to the read-back wants changed: the name, the phone number or (otherwise) the time."""
    lowered = text.lower()
    if "navn" in lowered:
        return "name"
    if re.search(r"nummer|telefon", lowered):
        return "phone"
    return "time"
