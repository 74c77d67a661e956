"""The assistant's buttons as spoken choices: numbered for the keypad and offered at the end of the answer.

``render_for_phone`` joins Rasa's messages into one ``SpokenReply``: the text made speakable, the
buttons as ``Choice`` es with keypad digits (1..9, 0 for a person, 1 and 2 for a ja/nej pair) and a
closing offer ('Sig 'pas' eller 'kørekort', eller tryk 1 eller 2.'); ``asks_yes_no`` says whether
an answer ends with a yes/no question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from muni_core.danish.numbers import ordinal_to_danish
from voice_gateway.phone_text.heard import normalise, when_in_label
from voice_gateway.phone_text.screen_text import speak_text, with_end


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


def is_handoff(title: str, payload: str) -> bool:
    """True for a button that asks for a person (it gets keypad digit 0)."""
    return payload.startswith("/human_handoff") or bool(_HANDOFF_WORDS.search(title))


def yes_no_role(title: str, payload: str) -> str | None:
    """'yes' for a ja button, 'no' for a nej button, None for any other."""
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
    if " ja eller nej " in f" {normalise(_last_sentence(text))} ":
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
    return f" {normalise(label)} " in f" {normalise(text)} "


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
        if any(when_in_label(c.label) for c in numbered):
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
    said = f" {normalise(text)} "
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
    roles = [yes_no_role(title, payload) for title, payload in buttons]
    if roles.count("yes") == 1 and roles.count("no") == 1:
        yes = buttons[roles.index("yes")]
        no = buttons[roles.index("no")]
        choices = [Choice(yes[0], yes[1], "1"), Choice(no[0], no[1], "2")]
        rest = [b for b, role in zip(buttons, roles, strict=True) if role is None]
        next_digit = 3
        for title, payload in rest:
            if is_handoff(title, payload) and not any(c.digit == "0" for c in choices):
                choices.append(Choice(title, payload, "0"))
            else:
                choices.append(Choice(title, payload, str(next_digit) if next_digit <= MAX_KEYPAD_CHOICES else ""))
                next_digit += 1
        return choices, True
    ordinary: list[Choice] = []
    handoff: list[Choice] = []
    for title, payload in buttons:
        if is_handoff(title, payload) and not handoff:
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
    raw = " ".join(with_end(t) for t in texts)
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
