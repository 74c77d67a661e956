"""The assistant's answers made for the telephone, and the caller's spoken answers mapped back.

Rasa's REST channel answers with messages written for a screen: markdown, links, e-mail
addresses, buttons, "kl. 10.30", "98 45 50 00", "3.500 kr.". ``render_for_phone`` turns them
into plain Danish that a TTS voice (Piper da_DK, espeak-ng da) reads well, with the buttons
spoken as choices and numbered for the keypad. ``match_choice`` and ``yes_no`` map what a
weak speech recogniser heard back to a button or to ja/nej.

One module a job: ``spoken_numbers`` (numbers, times, dates and amounts in a text as words; the
words come from ``muni_core.danish.numbers``), ``screen_text`` (screen text as speech: links,
e-mail addresses, markdown, abbreviations), ``choices`` (buttons as spoken choices) and
``caller`` (what the caller said: a choice, ja/nej), with ``heard`` reading words, numbers,
days and times for comparison.
"""

from muni_core.danish.numbers import digits_in_pairs, number_to_danish, ordinal_to_danish
from voice_gateway.phone_text.caller import match_choice, yes_no
from voice_gateway.phone_text.choices import Choice, SpokenReply, asks_yes_no, render_for_phone
from voice_gateway.phone_text.screen_text import speak_text

__all__ = [
    "Choice",
    "SpokenReply",
    "asks_yes_no",
    "digits_in_pairs",
    "match_choice",
    "number_to_danish",
    "ordinal_to_danish",
    "render_for_phone",
    "speak_text",
    "yes_no",
]
