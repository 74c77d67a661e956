"""The hallucination guard, rule by rule (pure functions, no model)."""

from __future__ import annotations

import math

import pytest

from voice_gateway.speech.hallucination import (
    DecodedSegment,
    GuardSettings,
    collapse_repeated_words,
    confidence_of,
    cut_prompt_echo,
    find_loop,
    guard,
    max_words,
    remove_hallucination_phrases,
)
from voice_gateway.speech.stt import DEFAULT_PROMPT

SETTINGS = GuardSettings(prompt=DEFAULT_PROMPT)


def seg(text: str, logprob: float = -0.3, no_speech: float = 0.05, ratio: float = 1.2) -> DecodedSegment:
    return DecodedSegment(text, avg_logprob=logprob, no_speech_prob=no_speech, compression_ratio=ratio)


@pytest.mark.parametrize(
    ("segments", "audio_s", "text", "rejected"),
    [
        # kept as is
        ([seg(" Hvornår har borgerservice åbent?")], 2.0, "Hvornår har borgerservice åbent?", None),
        ([seg(" Ja.")], 0.6, "Ja.", None),
        ([seg(" Jeg vil gerne"), seg(" bestille en tid.")], 2.5, "Jeg vil gerne bestille en tid.", None),
        # nothing decoded / only punctuation / only fillers
        ([], 2.0, "", "empty"),
        ([seg("   ")], 2.0, "", "empty"),
        ([seg(" ... ?")], 2.0, "", "empty"),
        ([seg(" Øh, hmm.")], 1.0, "", "filler"),
        ([seg(" Øh, ja.")], 1.0, "Øh, ja.", None),
        # Whisper's silence rule: high no-speech probability AND low log probability
        ([seg(" Jeg målge en pæs.", logprob=-1.2, no_speech=0.9)], 2.0, "", "no_speech"),
        ([seg(" Jeg vil gerne have et pas.", logprob=-0.5, no_speech=0.9)], 2.0, "Jeg vil gerne have et pas.", None),
        ([seg(" Jeg målge en pæs.", logprob=-1.2, no_speech=0.3)], 2.0, "Jeg målge en pæs.", None),
        # compression ratio: a loop
        ([seg(" Det er en kæmpe, det er en kæmpe.", ratio=3.1)], 2.0, "", "repetition"),
        # subtitle credits and other known inventions, alone or after real speech
        ([seg(" Undertekster af Nicolai Winther")], 2.0, "", "hallucination"),
        ([seg(" Tekstet af Dansk Videotekst")], 2.0, "", "hallucination"),
        ([seg(" Danske tekster af: Jens Jensen")], 2.0, "", "hallucination"),
        ([seg(" Tak fordi du så med!")], 2.0, "", "hallucination"),
        ([seg(" Tak for at se med.")], 2.0, "", "hallucination"),
        ([seg(" Subtitles by the Amara.org community")], 2.0, "", "hallucination"),
        ([seg(" Thanks for watching!")], 2.0, "", "hallucination"),
        ([seg(" www.dr.dk")], 2.0, "", "hallucination"),
        ([seg(" ♪ musik ♪")], 2.0, "", "hallucination"),
        ([seg(" [Musik]")], 2.0, "", "hallucination"),
        ([seg(" Jeg har mistet mit pas. Tak fordi du så med.")], 3.0, "Jeg har mistet mit pas.", None),
        (
            [seg(" Tekstet af Nicolai"), seg(" Jeg vil tale med en medarbejder.")],
            3.0,
            "Jeg vil tale med en medarbejder.",
            None,
        ),
        # a segment of credits first, then a silent one: the first reason is reported
        ([seg(" Undertekster af X"), seg(" hm", logprob=-2.0, no_speech=0.95)], 2.0, "", "hallucination"),
        # decoding loops of 2-4 words are rejected, one word said three times is collapsed
        ([seg(" Det er en kæmpe, der er en kæmpe, der er en kæmpe, der er en kæmpe")], 30.0, "", "repetition"),
        ([seg(" ja tak ja tak ja tak")], 3.0, "", "repetition"),
        ([seg(" Nej, nej, nej.")], 1.5, "Nej", None),
        ([seg(" Jeg vil gerne tage det med min min min min.")], 3.0, "Jeg vil gerne tage det med min", None),
        ([seg(" Nej nej, det passer ikke.")], 2.0, "Nej nej, det passer ikke.", None),
        # words bound by the audio length: 4.5 words/s * 1 s + 3 = 7 words
        ([seg(" Jeg vil gerne bestille tid til et nyt pas")], 1.0, "", "too_long"),
        ([seg(" Jeg vil gerne bestille tid til et")], 1.0, "Jeg vil gerne bestille tid til et", None),
        # an echo of the prompt's domain word list is cut off
        ([seg(" Åbningstider, borgerservice, jobcenter, pas, kørekort,")], 2.0, "Åbningstider", None),
        ([seg(" Borgerservice, jobcenter, pas, kørekort, sundhedskort")], 2.0, "", "prompt_echo"),
        # confidence below the minimum
        ([seg(" I kok", logprob=-2.2, no_speech=0.3)], 1.0, "", "low_confidence"),
    ],
)
def test_guard(segments, audio_s, text, rejected) -> None:
    result = guard(segments, audio_s, SETTINGS)
    assert (result.text, result.rejected) == (text, rejected)
    if rejected:
        assert result.confidence == 0.0
    else:
        assert 0.0 < result.confidence <= 1.0


def test_confidence_is_exp_of_mean_logprob_of_kept_segments() -> None:
    result = guard([seg(" Jeg vil gerne", logprob=-0.2), seg(" have et pas.", logprob=-0.6)], 3.0, SETTINGS)
    assert result.confidence == pytest.approx(math.exp(-0.4))
    dropped = guard([seg(" Jeg vil gerne", logprob=-0.2), seg(" Tak fordi du så med.", logprob=-3.0)], 3.0, SETTINGS)
    assert dropped.confidence == pytest.approx(math.exp(-0.2))


@pytest.mark.parametrize(
    ("logprobs", "expected"), [([], 0.0), ([0.5], 1.0), ([-0.1, -0.3], math.exp(-0.2)), ([-50.0], math.exp(-50))]
)
def test_confidence_is_clipped(logprobs, expected) -> None:
    assert confidence_of([seg("x", logprob=lp) for lp in logprobs]) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "loop"),
    [
        ("der er en kæmpe, der er en kæmpe, der er en kæmpe", "der er en kæmpe"),
        ("ja tak, ja tak, ja tak", "ja tak"),
        ("ja tak, ja tak", None),
        ("nej nej nej nej nej nej", None),  # one word: collapsed, not a loop
        ("jeg vil gerne have en tid til et pas", None),
        ("a b c d e a b c d e a b c d e", None),  # five words: longer than the n-grams looked for
    ],
)
def test_find_loop(text, loop) -> None:
    assert find_loop(text) == loop


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nej nej nej", "nej"),
        ("Nej, nej, nej, det vil jeg ikke", "Nej, det vil jeg ikke"),
        ("nej nej", "nej nej"),
        ("min min min min tid", "min tid"),
    ],
)
def test_collapse_repeated_words(text, expected) -> None:
    assert collapse_repeated_words(text) == expected


def test_prompt_echo_needs_three_consecutive_prompt_words() -> None:
    prompt = "Jobcenter, borgerservice, pas, kørekort."
    assert cut_prompt_echo("Jeg skal bruge et pas og et kørekort", prompt) == "Jeg skal bruge et pas og et kørekort"
    assert cut_prompt_echo("Hej jobcenter, borgerservice, pas, kørekort", prompt) == "Hej"
    assert cut_prompt_echo("Hej jobcenter borgerservice", "") == "Hej jobcenter borgerservice"


def test_known_phrases_only_remove_their_own_sentence() -> None:
    assert (
        remove_hallucination_phrases("Hvornår har I åbent? Undertekster af Nicolai Winther.") == "Hvornår har I åbent?"
    )
    assert remove_hallucination_phrases("Tak for hjælpen.") == "Tak for hjælpen."


@pytest.mark.parametrize(("audio_s", "expected"), [(0.0, 3), (1.0, 7), (2.0, 12), (30.0, 138)])
def test_max_words(audio_s, expected) -> None:
    assert max_words(audio_s, 4.5) == expected
