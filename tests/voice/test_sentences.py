"""Danish sentence splitting and text cleaning for text-to-speech."""

from __future__ import annotations

import pytest

from voice_gateway.speech.sentences import clean_for_speech, split_sentences

CASES = [
    # plain sentences, ! and ?
    (
        "Hvad kan jeg hjælpe med? Du kan spørge om pas, kørekort og affald!",
        ["Hvad kan jeg hjælpe med?", "Du kan spørge om pas, kørekort og affald!"],
    ),
    # abbreviations that never end a sentence
    (
        "Borgerservice har åbent kl. 10-15. Husk at bestille tid.",
        ["Borgerservice har åbent kl. 10-15.", "Husk at bestille tid."],
    ),
    ("Du kan f.eks. bruge MitID. Det er nemmest.", ["Du kan f.eks. bruge MitID.", "Det er nemmest."]),
    (
        "Prisen er 2,5 procent. Det er bl.a. fastsat af staten.",
        ["Prisen er 2,5 procent.", "Det er bl.a. fastsat af staten."],
    ),
    ("Ring på tlf. 33 66 33 66. Vi sidder klar.", ["Ring på tlf. 33 66 33 66.", "Vi sidder klar."]),
    (
        "Sagen behandles jf. pkt. 3 i vejledningen. Du hører fra os.",
        ["Sagen behandles jf. pkt. 3 i vejledningen.", "Du hører fra os."],
    ),
    (
        "Gebyret er ca. 45 kr. pr. time. Beløbet dækker evt. udgifter, dvs. porto mv.",
        ["Gebyret er ca. 45 kr. pr. time.", "Beløbet dækker evt. udgifter, dvs. porto mv."],
    ),
    (
        "Du får svar inden for ca. 3 uger, inkl. weekender og ekskl. helligdage. Vi skriver til dig.",
        ["Du får svar inden for ca. 3 uger, inkl. weekender og ekskl. helligdage.", "Vi skriver til dig."],
    ),
    (
        "Henvendelsen vedr. din bolig er modtaget. Vi svarer hhv. på mail og i e-Boks.",
        ["Henvendelsen vedr. din bolig er modtaget.", "Vi svarer hhv. på mail og i e-Boks."],
    ),
    (
        "Brevet ang. dit kørekort er sendt, jf. reglerne. Du har nr. 12 i køen.",
        ["Brevet ang. dit kørekort er sendt, jf. reglerne.", "Du har nr. 12 i køen."],
    ),
    # "osv." and "mv." end a sentence only before a capital letter
    ("Medbring pas, kørekort osv. Husk også billedet.", ["Medbring pas, kørekort osv.", "Husk også billedet."]),
    ("Medbring pas, kørekort osv. og et billede.", ["Medbring pas, kørekort osv. og et billede."]),
    # ordinals, dates and times
    (
        "Vi holder lukket den 24. december og 1. januar. Borgerservice åbner igen den 2. januar.",
        ["Vi holder lukket den 24. december og 1. januar.", "Borgerservice åbner igen den 2. januar."],
    ),
    ("Tiden er fredag kl. 10.30. Mød op i god tid.", ["Tiden er fredag kl. 10.30.", "Mød op i god tid."]),
    ("Affaldet hentes hver 2. uge. Det er gratis.", ["Affaldet hentes hver 2. uge.", "Det er gratis."]),
    (
        "Kontoret ligger på 2. sal i Rådhuset. Tag elevatoren.",
        ["Kontoret ligger på 2. sal i Rådhuset.", "Tag elevatoren."],
    ),
    (
        "Mødet er mandag den 3. Marts kl. 9. Husk indkaldelsen.",
        ["Mødet er mandag den 3. Marts kl. 9.", "Husk indkaldelsen."],
    ),
    # decimals, e-mail and web addresses
    ("Version 3.5 af appen virker. Opdater den.", ["Version 3.5 af appen virker.", "Opdater den."]),
    (
        "Skriv til borgerservice@kk.dk. Vi svarer inden for 5 dage.",
        ["Skriv til borgerservice@kk.dk.", "Vi svarer inden for 5 dage."],
    ),
    (
        "Læs mere på www.borger.dk/pas eller https://kk.dk/flytning. Der finder du også blanketter.",
        ["Læs mere på www.borger.dk/pas eller https://kk.dk/flytning.", "Der finder du også blanketter."],
    ),
    # a sentence ending in a number or an amount, and quotes
    ("Det koster 300 kr. Du betaler ved skranken.", ["Det koster 300 kr.", "Du betaler ved skranken."]),
    ('"Pas" er et dokument. Det koster 745 kr.', ['"Pas" er et dokument.', "Det koster 745 kr."]),
    # initials
    (
        "H. C. Andersen blev født i Odense. Han skrev mange eventyr.",
        ["H. C. Andersen blev født i Odense.", "Han skrev mange eventyr."],
    ),
    # short fragments are merged into a neighbour
    ("Ja. Det kan du godt.", ["Ja. Det kan du godt."]),
    ("Du er velkommen. Tak!", ["Du er velkommen. Tak!"]),
    # line breaks and bullet items
    (
        "Du skal medbringe:\n- Gyldigt billed-id\n- Et nyt pasfoto\n• Betaling med kort",
        ["Du skal medbringe:", "Gyldigt billed-id", "Et nyt pasfoto", "Betaling med kort"],
    ),
    ("Du skal medbringe:\n- pas\n- foto", ["Du skal medbringe: pas, foto"]),
    (
        "1. Log ind med MitID.\n2. Vælg pas.\n3. Bestil en tid.",
        ["1. Log ind med MitID.", "2. Vælg pas.", "3. Bestil en tid."],
    ),
    ("Første linje uden punktum\nAnden linje uden punktum", ["Første linje uden punktum", "Anden linje uden punktum"]),
    # empty input
    ("", []),
    ("  \n \n", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[case[0][:40] for case in CASES])
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_long_sentence_is_cut_at_commas() -> None:
    text = (
        "Hvis du er flyttet, skal du melde flytning senest 5 dage efter, at du er flyttet, og du kan gøre det "
        "på borger.dk med MitID, eller du kan møde op i Borgerservice med dit sundhedskort og et gyldigt "
        "billed-id, så hjælper vi dig."
    )
    parts = split_sentences(text, max_chars=120)
    assert len(parts) > 1
    assert all(len(part) <= 120 for part in parts)
    assert all(part.endswith((",", ".")) for part in parts)
    assert " ".join(parts) == text


def test_long_sentence_without_commas_is_cut_between_words() -> None:
    text = " ".join(["kommunen"] * 40) + "."
    parts = split_sentences(text, max_chars=50)
    assert all(len(part) <= 50 for part in parts)
    assert " ".join(parts) == text


def test_dash_is_kept_when_cutting() -> None:
    text = "Vi har åbent mandag til fredag – og om lørdagen har vi åbent på biblioteket i hele sommerperioden."
    parts = split_sentences(text, max_chars=60)
    assert parts == [
        "Vi har åbent mandag til fredag –",
        "og om lørdagen har vi åbent på biblioteket i hele",
        "sommerperioden.",
    ]


def test_merging_never_exceeds_the_cap() -> None:
    parts = split_sentences("Ja. " + "Det er en meget lang sætning om pas og kørekort. " * 3, max_chars=60)
    assert all(len(part) <= 60 for part in parts)


def test_clean_for_speech_removes_markup_emoji_and_phoneme_brackets() -> None:
    text = "## Pas\n**Husk** at medbringe [dit pas](https://borger.dk). 👍 Tak [[ hɛj ]]\n* `kørekort`\u200b"
    assert clean_for_speech(text) == "Pas\nHusk at medbringe dit pas. Tak hɛj\n- kørekort"


def test_clean_for_speech_keeps_danish_text_and_numbers() -> None:
    text = "Åbent kl. 10.30-15, 20 °C, 2,5 % – æøå ÆØÅ."
    assert clean_for_speech(text) == text


def test_clean_for_speech_drops_control_characters() -> None:
    assert clean_for_speech("Hej\x00 med\x07 dig\r\nfarvel") == "Hej med dig\nfarvel"
