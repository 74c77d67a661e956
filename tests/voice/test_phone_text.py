"""The assistant's real answers as spoken on the phone, and callers' (misheard) answers mapped back."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
import yaml

from muni_core.danish.grammar import genitive
from voice_gateway.phone_text import (
    Choice,
    SpokenReply,
    asks_yes_no,
    digits_in_pairs,
    match_choice,
    number_to_danish,
    ordinal_to_danish,
    render_for_phone,
    speak_text,
    yes_no,
)

CONTENT = Path(__file__).resolve().parents[2] / "content"

# --- number words --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "nul"),
        (1, "en"),
        (7, "syv"),
        (10, "ti"),
        (11, "elleve"),
        (15, "femten"),
        (19, "nitten"),
        (20, "tyve"),
        (21, "enogtyve"),
        (30, "tredive"),
        (45, "femogfyrre"),
        (50, "halvtreds"),
        (58, "otteoghalvtreds"),
        (60, "tres"),
        (70, "halvfjerds"),
        (75, "femoghalvfjerds"),
        (80, "firs"),
        (90, "halvfems"),
        (98, "otteoghalvfems"),
        (99, "nioghalvfems"),
        (100, "et hundrede"),
        (105, "et hundrede og fem"),
        (110, "et hundrede og ti"),
        (200, "to hundrede"),
        (600, "seks hundrede"),
        (999, "ni hundrede og nioghalvfems"),
        (1000, "et tusind"),
        (1005, "et tusind og fem"),
        (2026, "to tusind og seksogtyve"),
        (3500, "tre tusind fem hundrede"),
        (3520, "tre tusind fem hundrede og tyve"),
        (8000, "otte tusind"),
        (9900, "ni tusind ni hundrede"),
        (21000, "enogtyve tusind"),
        (100000, "et hundrede tusind"),
        (101000, "et hundrede og et tusind"),
        (1_000_000, "en million"),
        (1_000_001, "en million og en"),
        (1_500_000, "en million fem hundrede tusind"),
        (2_000_000, "to millioner"),
        (
            999_999_999,
            "ni hundrede og nioghalvfems millioner ni hundrede og nioghalvfems tusind ni hundrede og nioghalvfems",
        ),
    ],
)
def test_number_to_danish(number: int, words: str) -> None:
    assert number_to_danish(number) == words


@pytest.mark.parametrize("number", [-1, 1_000_000_000])
def test_number_to_danish_refuses_out_of_range(number: int) -> None:
    with pytest.raises(ValueError):
        number_to_danish(number)


ORDINALS_1_TO_31 = (
    "første anden tredje fjerde femte sjette syvende ottende niende tiende ellevte tolvte trettende fjortende "
    "femtende sekstende syttende attende nittende tyvende enogtyvende toogtyvende treogtyvende fireogtyvende "
    "femogtyvende seksogtyvende syvogtyvende otteogtyvende niogtyvende tredivte enogtredivte"
).split()


@pytest.mark.parametrize(("number", "words"), list(enumerate(ORDINALS_1_TO_31, start=1)))
def test_ordinal_to_danish_for_every_day_of_a_month(number: int, words: str) -> None:
    assert ordinal_to_danish(number) == words


@pytest.mark.parametrize(
    ("number", "words"), [(40, "fyrretyvende"), (50, "halvtredsindstyvende"), (99, "nioghalvfemsindstyvende")]
)
def test_ordinal_to_danish_beyond_a_month(number: int, words: str) -> None:
    assert ordinal_to_danish(number) == words


def test_ordinal_to_danish_refuses_out_of_range() -> None:
    with pytest.raises(ValueError):
        ordinal_to_danish(100)


@pytest.mark.parametrize(
    ("digits", "words"),
    [
        ("98455000", "otteoghalvfems femogfyrre halvtreds nul nul"),
        ("89 40 20 00", "niogfirs fyrre tyve nul nul"),
        ("48 29 13", "otteogfyrre niogtyve tretten"),
        ("051233", "nul fem tolv treogtredive"),
        ("20304050", "tyve tredive fyrre halvtreds"),
        ("12345", "tolv fireogtredive fem"),
    ],
)
def test_digits_in_pairs(digits: str, words: str) -> None:
    assert digits_in_pairs(digits) == words


# --- text for the ear ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        # phone numbers from the municipality profiles and the contact answer
        (
            "Du kan ringe til Borgerservice i Frederikshavn Kommune på 98 45 50 00.",
            "Du kan ringe til Borgerservice i Frederikshavn Kommune på otteoghalvfems femogfyrre halvtreds nul nul.",
        ),
        ("Ring på +45 89 40 20 00.", "Ring på niogfirs fyrre tyve nul nul."),
        ("Ring på +4598455000.", "Ring på otteoghalvfems femogfyrre halvtreds nul nul."),
        ("tlf. 9845 5000", "telefon otteoghalvfems femogfyrre halvtreds nul nul"),
        ("Tlf. 98-45-90-00", "Telefon otteoghalvfems femogfyrre halvfems nul nul"),
        # the caller's own number at the booking ("slutter på 40 50") and the read-back
        (
            "Skal jeg bruge det nummer, du ringer fra, som slutter på 40 50?",
            "Skal jeg bruge det nummer, du ringer fra, som slutter på fyrre halvtreds?",
        ),
        (
            "Jeg booker en tid hos Lægehuset Havnegade (eksempel) i morgen kl. 8.15 til Anna Jensen, telefon 20 30 40 50. Er det korrekt?",
            "Jeg booker en tid hos Lægehuset Havnegade, eksempel, i morgen klokken otte femten til Anna Jensen, telefon tyve tredive fyrre halvtreds. Er det korrekt?",
        ),
        # booking references (spoken_reference gives pairs; typed ones come without spaces)
        (
            "Dit bookingnummer er 48 29 13. Du kan bruge det, hvis du vil se, flytte eller aflyse tiden.",
            "Dit bookingnummer er otteogfyrre niogtyve tretten. Du kan bruge det, hvis du vil se, flytte eller aflyse tiden.",
        ),
        ("Bookingnummeret er det samme: 05 12 33.", "Bookingnummeret er det samme: nul fem tolv treogtredive."),
        ("Nummer 482913 findes ikke.", "Nummer otteogfyrre niogtyve tretten findes ikke."),
        # e-mail addresses and links
        (
            "Du kan skrive til post@frederikshavn.dk. Send ikke CPR-nummer i en almindelig e-mail.",
            "Du kan skrive til post snabel-a frederikshavn punktum dk. Send ikke CPR-nummer i en almindelig e-mail.",
        ),
        ("Skriv til borgerservice@frederikshavn.dk", "Skriv til borgerservice snabel-a frederikshavn punktum dk"),
        ("Skriv til jobcenter@aarhus.dk.", "Skriv til jobcenter snabel-a aarhus punktum dk."),
        ("[skriv til os](mailto:post@frederikshavn.dk)", "post snabel-a frederikshavn punktum dk"),
        ("Læs mere på https://www.borger.dk/familie-og-boern/pas?id=3.", "Læs mere på borger.dk."),
        ("Se https://frederikshavn.dk/borger/affald", "Se på frederikshavn.dk"),
        ("Læs mere: https://www.borger.dk/pas.", "Læs mere på borger.dk."),
        ("Tømmekalenderen finder du på www.kredsloeb.dk/affald.", "Tømmekalenderen finder du på kredsloeb.dk."),
        ("Læs mere [her](https://www.borger.dk/pas).", "Læs mere på borger.dk."),
        ("[Digital Post](https://www.borger.dk/digitalpost) kan læses i appen.", "Digital Post kan læses i appen."),
        ("Meld dig ledig på jobnet.dk med MitID.", "Meld dig ledig på jobnet.dk med MitID."),
        # clock times and opening hours (actions/opening_hours.py)
        (
            "Borgerservice åbner i dag kl. 10 og har åbent til kl. 15.",
            "Borgerservice åbner i dag klokken ti og har åbent til klokken femten.",
        ),
        ("Jobcenter Aarhus åbner i dag kl. 8.30.", "Jobcenter Aarhus åbner i dag klokken otte tredive."),
        ("kl. 10:30", "klokken ti tredive"),
        ("kl. 10.00", "klokken ti"),
        ("kl. 9", "klokken ni"),
        ("klokken 8.05", "klokken otte nul fem"),
        ("kl. 1", "klokken et"),
        (
            "Almindelige åbningstider: mandag til onsdag kl. 10-15, torsdag kl. 10-17 og fredag kl. 10-13.",
            "Almindelige åbningstider: mandag til onsdag klokken ti til femten, torsdag klokken ti til sytten og fredag klokken ti til tretten.",
        ),
        (
            "Almindelige åbningstider: torsdag kl. 10-12 og 13-18, fredag kl. 8.30-13.",
            "Almindelige åbningstider: torsdag klokken ti til tolv og tretten til atten, fredag klokken otte tredive til tretten.",
        ),
        ("torsdag kl. 8-16.30", "torsdag klokken otte til seksten tredive"),
        (
            "Der er åbent igen på tirsdag fra kl. 10 til kl. 15.",
            "Der er åbent igen på tirsdag fra klokken ti til femten.",
        ),
        # offered booking times (actions/booking_calendar.speak_choices)
        (
            "Hvilken dag passer dig? De første ledige tider er torsdag kl. 10.30, torsdag kl. 13 eller fredag kl. 9.",
            "Hvilken dag passer dig? De første ledige tider er torsdag klokken ti tredive, torsdag klokken tretten eller fredag klokken ni.",
        ),
        # dates and holidays
        (
            "Jeg kan tilbyde mandag den 14. december kl. 13.",
            "Jeg kan tilbyde mandag den fjortende december klokken tretten.",
        ),
        ("Vi har lukket 1. december.", "Vi har lukket første december."),
        ("Vi har lukket den 24.12.", "Vi har lukket den fireogtyvende december."),
        ("Lukket den 24.12. Vi åbner igen", "Lukket den fireogtyvende december. Vi åbner igen"),
        ("den 31.12.2026", "den enogtredivte december to tusind og seksogtyve"),
        ("den 14. dec. 2026", "den fjortende december to tusind og seksogtyve"),
        ("Lukket 14. dec. Vi åbner", "Lukket fjortende december. Vi åbner"),
        ("Lukket 14. dec. og 15. dec.", "Lukket fjortende december og femtende december."),
        ("Lukket 24/12.", "Lukket fireogtyvende december."),
        ("Sig fx 'den 14.'", "Sig for eksempel 'den fjortende'"),
        (
            "Borgerservice har lukket i dag (2. påskedag). Der er åbent igen på tirsdag.",
            "Borgerservice har lukket i dag, anden påskedag. Der er åbent igen på tirsdag.",
        ),
        ("Lukket 1. juledag og 2. pinsedag.", "Lukket første juledag og anden pinsedag."),
        ("Husk det senest den 5. Du kan", "Husk det senest den femte. Du kan"),
        # amounts and plain numbers
        ("Det koster 3.500 kr.", "Det koster tre tusind fem hundrede kroner."),
        ("Det koster 3.500 kr. om året.", "Det koster tre tusind fem hundrede kroner om året."),
        ("Gebyret er kr. 600", "Gebyret er seks hundrede kroner"),
        ("Prisen er 12,50 kr", "Prisen er tolv kroner og halvtreds øre"),
        ("Prisen er 3.500,-", "Prisen er tre tusind fem hundrede kroner"),
        ("1 kr.", "en krone."),
        ("op til 1.000.000 kr", "op til en million kroner"),
        ("2,5 mio.", "to komma fem millioner."),
        ("50 % af beløbet", "halvtreds procent af beløbet"),
        ("børn under 15 år og unge på 15 til 17 år", "børn under femten år og unge på femten til sytten år"),
        ("unge på 15-17 år", "unge på femten til sytten år"),
        ("fra barnet er 26 uger", "fra barnet er seksogtyve uger"),
        ("senest 5 dage efter", "senest fem dage efter"),
        (
            "Rådhus Allé 100, 9900 Frederikshavn",
            "Rådhus Allé et hundrede, ni tusind ni hundrede Frederikshavn",
        ),
        ("Hack Kampmanns Plads 2, 8000 Aarhus C", "Hack Kampmanns Plads to, otte tusind Aarhus C"),
        ("født i 1958", "født i nitten hundrede og otteoghalvtreds"),
        ("Ring 112", "Ring et et to"),
        ("Dokk1", "Dokk1"),
        # abbreviations
        (
            "Se på aarhus.dk, fx legitimation, foto og dit gamle kørekort.",
            "Se på aarhus.dk, for eksempel legitimation, foto og dit gamle kørekort.",
        ),
        ("Fx kan du", "For eksempel kan du"),
        ("f.eks. pas", "for eksempel pas"),
        ("bl.a. din indtægt", "blandt andet din indtægt"),
        ("ca. 3 uger", "cirka tre uger"),
        ("nr. 3", "nummer tre"),
        ("Husk pas, kørekort osv.", "Husk pas, kørekort og så videre."),
        ("pga. sygdom", "på grund af sygdom"),
        ("dvs. i dag", "det vil sige i dag"),
        ("kl. ti", "klokken ti"),
        # markdown, emoji and symbols
        ("**Vigtigt:** Husk dit pas.", "Vigtigt: Husk dit pas."),
        ("Husk _altid_ dit *gamle* pas og `MitID`.", "Husk altid dit gamle pas og MitID."),
        (
            "# Pas\n- Dit gamle pas\n- Et foto\n\nRing på 98 45 50 00",
            "Pas. Dit gamle pas. Et foto. Ring på otteoghalvfems femogfyrre halvtreds nul nul",
        ),
        ("1. Book en tid\n2. Mød op", "Book en tid. Mød op."),
        ("1. december er lukket.", "første december er lukket."),
        ("Klar ✅ 👍🏽 Tak! ❤️", "Klar Tak!"),
        ("Ret → videre", "Ret videre"),
        ("pas – kørekort", "pas, kørekort"),
        ("pas & kørekort og/eller MitID", "pas og kørekort og eller MitID"),
        ("Lægevagten har åbent 24/7.", "Lægevagten har åbent hele døgnet."),
        ("Linje 1<br>Linje 2", "Linje en Linje to"),
        ("«Digital Post»", "Digital Post"),
        ("", ""),
    ],
)
def test_speak_text(written: str, spoken: str) -> None:
    assert speak_text(written) == spoken


def _municipality(name: str) -> dict:
    with (CONTENT / "municipalities" / f"{name}.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _placeholders(municipality: dict) -> dict[str, str]:
    offices = municipality["offices"]
    return {
        "municipality_name": municipality["name"],
        "municipality_name_genitive": genitive(municipality["name"]),
        "municipality_full_name": municipality.get("full_name", f"{municipality['name']} Kommune"),
        "phone": municipality["phone"],
        "email": municipality["email"],
        "website": municipality["website"],
        "citizen_service_address": offices["borgerservice"]["address"],
        "jobcentre_phone": offices["jobcenter"]["phone"],
        "jobcentre_address": offices["jobcenter"]["address"],
        "service_name": "Jobcenter Frederikshavn",
        "service_name_genitive": "Jobcenter Frederikshavns",
        "slot_interval": "hver halve time",
        "when": "torsdag kl. 10.30",
        "choices": "torsdag kl. 10.30, torsdag kl. 13 eller fredag kl. 9",
        "reference": "48 29 13",
        "name": "Anna Jensen",
        "citizen_phone": "20 30 40 50",
        "address": "Kirkepladsen 3, 9900 Frederikshavn",
        "day": "på torsdag",
        "office_name": "Borgerservice",
        "office_phone": offices["borgerservice"].get("phone") or municipality["phone"],
        "office_email": offices["borgerservice"].get("email") or municipality["email"],
        "office_address": offices["borgerservice"]["address"],
        "opens": "kl. 10",
        "closes": "kl. 17",
        "span": "fra kl. 10 til kl. 15",
        "reason": "juledag",
        "week": "mandag til onsdag kl. 10-15, torsdag kl. 10-17.30",
    }


def _real_texts() -> list[str]:
    texts = []
    for name in ("frederikshavn", "aarhus"):
        values = _placeholders(_municipality(name))
        for path in sorted((CONTENT / "faq").glob("*.yml")):
            texts.append(string.Formatter().vformat(yaml.safe_load(path.read_text("utf-8"))["answer"], (), values))
        for answer in _municipality(name).get("faq_overrides", {}).values():
            texts.append(answer)
        messages = yaml.safe_load((CONTENT / "messages.yml").read_text("utf-8"))
        texts.extend(string.Formatter().vformat(text, (), values) for text in messages.values())
    return texts


def test_every_real_answer_is_speakable() -> None:
    """No digits, links, e-mail addresses, markdown or screen abbreviations reach the voice."""
    for text in _real_texts():
        spoken = speak_text(" ".join(text.split()))
        assert spoken, text
        # Names written with digits stay as written (Dokk1, see test_speak_text); no other digit reaches the voice.
        assert not re.search(r"(?<![^\W\d_])(?<!\d)\d+(?!\d)(?![^\W\d_])", spoken), spoken
        assert not re.search(r"https?:|www\.|@|\*\*|\bkl\.|\bfx\b|f\.eks\.|\btlf\b|\bkr\.", spoken), spoken
        assert "  " not in spoken


# --- render_for_phone ----------------------------------------------------------------------------

FALLBACK_TEXT = "Jeg er ikke helt sikker på, hvad du mener. Handler det om et af disse emner?"
OFFER_TEXT = "Hvilken dag passer dig? De første ledige tider er torsdag kl. 10.30, torsdag kl. 13 eller fredag kl. 9."
TIME_BUTTONS = [
    {"title": "torsdag kl. 10.30", "payload": '/inform{"booking_day": "2026-12-10", "booking_time": "10:30"}'},
    {"title": "torsdag kl. 13", "payload": '/inform{"booking_day": "2026-12-10", "booking_time": "13:00"}'},
    {"title": "fredag kl. 9", "payload": '/inform{"booking_day": "2026-12-11", "booking_time": "09:00"}'},
]


def faq_button(title: str, topic: str) -> dict[str, str]:
    return {"title": title, "payload": f'/faq{{"faq_topic": "{topic}"}}'}


def test_render_two_topics_from_the_fallback() -> None:
    reply = render_for_phone(
        [{"text": FALLBACK_TEXT, "buttons": [faq_button("Pas", "pas"), faq_button("Kørekort", "koerekort")]}]
    )
    assert reply == SpokenReply(
        text=f"{FALLBACK_TEXT} Sig 'pas' eller 'kørekort', eller tryk 1 eller 2.",
        choices=[
            Choice("Pas", '/faq{"faq_topic": "pas"}', "1"),
            Choice("Kørekort", '/faq{"faq_topic": "koerekort"}', "2"),
        ],
        expects_yes_no=False,
    )


def test_render_three_topics_from_the_fallback() -> None:
    buttons = [faq_button("Pas", "pas"), faq_button("Flytning", "flytning"), faq_button("MitID", "mitid")]
    reply = render_for_phone([{"text": FALLBACK_TEXT, "buttons": buttons}])
    assert reply.text == f"{FALLBACK_TEXT} Sig 'pas', 'flytning' eller 'MitID', eller tryk 1, 2 eller 3."
    assert [c.digit for c in reply.choices] == ["1", "2", "3"]
    assert not reply.expects_yes_no


def test_render_handoff_button_keeps_zero() -> None:
    buttons = [
        faq_button("Pas", "pas"),
        {"title": "Tal med en medarbejder", "payload": "/human_handoff"},
        faq_button("Digital Post", "digital_post"),
    ]
    reply = render_for_phone([{"text": FALLBACK_TEXT, "buttons": buttons}])
    assert [(c.label, c.digit) for c in reply.choices] == [
        ("Pas", "1"),
        ("Digital Post", "2"),
        ("Tal med en medarbejder", "0"),
    ]
    assert reply.text == (
        f"{FALLBACK_TEXT} Sig 'pas' eller 'Digital Post', eller tryk 1 eller 2. Tryk 0 for at tale med en medarbejder."
    )


def test_render_offered_times_are_not_read_twice() -> None:
    reply = render_for_phone([{"text": OFFER_TEXT, "buttons": TIME_BUTTONS}])
    assert reply.text == (
        "Hvilken dag passer dig? De første ledige tider er torsdag klokken ti tredive, torsdag klokken tretten "
        "eller fredag klokken ni. Du kan også trykke 1 for den første, 2 for den anden eller 3 for den tredje."
    )
    assert [c.label for c in reply.choices] == ["torsdag kl. 10.30", "torsdag kl. 13", "fredag kl. 9"]
    assert reply.choices[2].payload == TIME_BUTTONS[2]["payload"]
    assert not reply.expects_yes_no


def test_render_service_question_is_either_or_not_yes_no() -> None:
    buttons = [
        {"title": "Jobcentret", "payload": '/inform{"service": "jobcenter"}'},
        {"title": "Lægen", "payload": '/inform{"service": "laege"}'},
    ]
    reply = render_for_phone([{"text": "Vil du booke en tid hos jobcentret eller hos lægen?", "buttons": buttons}])
    assert reply.text == (
        "Vil du booke en tid hos jobcentret eller hos lægen? Du kan også trykke 1 for jobcentret eller 2 for lægen."
    )
    assert not reply.expects_yes_no


def test_render_read_back_with_ja_nej_buttons() -> None:
    text = (
        "Jeg booker en tid hos Jobcenter Frederikshavn torsdag kl. 10.30 til Anna Jensen, telefon 20 30 40 50. "
        "Er det korrekt?"
    )
    buttons = [{"title": "Ja, book tiden", "payload": "/affirm"}, {"title": "Nej", "payload": "/deny"}]
    reply = render_for_phone([{"text": text, "buttons": buttons}])
    assert reply.text == (
        "Jeg booker en tid hos Jobcenter Frederikshavn torsdag klokken ti tredive til Anna Jensen, telefon tyve "
        "tredive fyrre halvtreds. Er det korrekt? Sig ja eller nej, eller tryk 1 for ja og 2 for nej."
    )
    assert reply.choices == [Choice("Ja, book tiden", "/affirm", "1"), Choice("Nej", "/deny", "2")]
    assert reply.expects_yes_no


def test_render_ja_nej_buttons_in_reverse_order_still_give_1_for_ja() -> None:
    buttons = [{"title": "Nej", "payload": "/deny"}, {"title": "Ja", "payload": "/affirm"}]
    reply = render_for_phone([{"text": "Vil du aflyse den?", "buttons": buttons}])
    assert [(c.label, c.digit) for c in reply.choices] == [("Ja", "1"), ("Nej", "2")]
    assert reply.expects_yes_no


def test_render_offer_of_handoff_is_a_yes_no_question() -> None:
    buttons = [
        {"title": "Ja, stil mig videre", "payload": "/human_handoff"},
        {"title": "Nej, jeg prøver igen", "payload": "/deny"},
    ]
    text = "Jeg forstår desværre stadig ikke dit spørgsmål. Vil du tale med en medarbejder?"
    reply = render_for_phone([{"text": text, "buttons": buttons}])
    assert reply.text == f"{text} Sig ja eller nej, eller tryk 1 for ja og 2 for nej."
    assert [(c.payload, c.digit) for c in reply.choices] == [("/human_handoff", "1"), ("/deny", "2")]
    assert reply.expects_yes_no


def test_render_ja_nej_with_an_extra_handoff_button() -> None:
    buttons = [
        {"title": "Ja", "payload": "/affirm"},
        {"title": "Nej", "payload": "/deny"},
        {"title": "Tal med en medarbejder", "payload": "/human_handoff"},
    ]
    reply = render_for_phone([{"text": "Vil du flytte den?", "buttons": buttons}])
    assert reply.text == (
        "Vil du flytte den? Sig ja eller nej, eller tryk 1 for ja og 2 for nej. Tryk 0 for at tale med en medarbejder."
    )
    assert [c.digit for c in reply.choices] == ["1", "2", "0"]


@pytest.mark.parametrize(
    "text",
    [
        "Du har en tid hos Jobcenter Frederikshavn torsdag kl. 10.30. Vil du aflyse den?",
        "Du har en tid hos Jobcenter Frederikshavn torsdag kl. 10.30. Vil du flytte den?",
        "Skal jeg bruge det nummer, du ringer fra, som slutter på 40 50?",
        "Jeg booker en tid hos Jobcentret torsdag kl. 13 til Anna Jensen, telefon 20 30 40 50. Er det korrekt?",
        "Jeg forstår desværre stadig ikke dit spørgsmål. Vil du tale med en medarbejder?",
        "Er det rigtigt?",
        "Skal jeg booke tiden?",
        "Det er torsdag, ikke?",
    ],
)
def test_yes_no_questions_without_buttons_get_the_yes_no_prompt(text: str) -> None:
    reply = render_for_phone([{"text": text}])
    assert reply.expects_yes_no
    assert reply.choices == []
    assert reply.text.endswith("? Sig ja eller nej, eller tryk 1 for ja og 2 for nej.")


@pytest.mark.parametrize(
    "text",
    [
        "Vil du booke en tid hos jobcentret eller hos lægen?",
        "Hvilken dag passer dig?",
        "Hvad er dit fulde navn?",
        "Hvad er dit bookingnummer på seks cifre? Du kan også give mig det telefonnummer, du bookede med.",
        "Selv tak! Er der andet, jeg kan hjælpe dig med?",
        "Godt. Hvad kan jeg hjælpe dig med?",
        "Okay, så retter vi det. Hvilken dag og tid vil du hellere have? Er det navn eller telefonnummer, der er forkert, så sig 'navn' eller 'nummer'.",
        "Din tid hos Jobcenter Frederikshavn torsdag kl. 10.30 er aflyst.",
        "Jeg sætter dig i kontakt med en medarbejder. Du kan også ringe til Borgerservice på 98 45 50 00.",
    ],
)
def test_other_answers_do_not_expect_yes_no(text: str) -> None:
    reply = render_for_phone([{"text": text}])
    assert not reply.expects_yes_no
    assert "tryk" not in reply.text.lower()


def test_yes_no_prompt_is_not_repeated_when_the_text_says_it() -> None:
    text = "Er det korrekt? Sig ja eller nej, eller tryk 1 for ja og 2 for nej."
    assert (
        render_for_phone([{"text": text}]).text
        == "Er det korrekt? Sig ja eller nej, eller tryk en for ja og to for nej."
    )
    reply = render_for_phone([{"text": "Er det korrekt? Svar ja eller nej."}])
    assert reply.text == "Er det korrekt? Svar ja eller nej. Du kan også trykke 1 for ja og 2 for nej."


def test_asks_yes_no_looks_at_the_last_sentence_only() -> None:
    assert not asks_yes_no("Er det korrekt? Så booker jeg den.")
    assert asks_yes_no("Tiden er ledig. Skal jeg booke den?")
    assert not asks_yes_no("")


def test_render_joins_several_messages_and_only_the_last_question_counts() -> None:
    messages = [
        {"text": "Jeg sætter dig i kontakt med en medarbejder"},
        {"text": "Du kan også ringe til Borgerservice på 98 45 50 00."},
        {"image": "https://example.org/x.png"},
        {"custom": {"something": 1}},
    ]
    reply = render_for_phone(messages)
    assert reply.text == (
        "Jeg sætter dig i kontakt med en medarbejder. "
        "Du kan også ringe til Borgerservice på otteoghalvfems femogfyrre halvtreds nul nul."
    )
    assert reply == SpokenReply(reply.text, [], False)


@pytest.mark.parametrize("messages", [[], [{}], [{"text": ""}], [{"text": "   "}], [{"image": "x.png"}]])
def test_render_empty_messages(messages: list[dict]) -> None:
    assert render_for_phone(messages) == SpokenReply(text="", choices=[], expects_yes_no=False)


def test_render_buttons_without_text() -> None:
    reply = render_for_phone([{"buttons": [faq_button("Pas", "pas"), faq_button("Skat", "skat")]}])
    assert reply.text == "Sig 'pas' eller 'skat', eller tryk 1 eller 2."


def test_render_one_button() -> None:
    reply = render_for_phone([{"text": "Vælg emnet.", "buttons": [faq_button("Pas", "pas")]}])
    assert reply.text == "Vælg emnet. Sig 'pas', eller tryk 1."
    assert reply.choices == [Choice("Pas", '/faq{"faq_topic": "pas"}', "1")]


def test_render_four_buttons_are_still_said_as_a_list() -> None:
    titles = ["Book en tid", "Flyt en tid", "Aflys en tid", "Se min tid"]
    reply = render_for_phone([{"text": "Hvad vil du?", "buttons": [{"title": t, "payload": "/x"} for t in titles]}])
    assert reply.text == (
        "Hvad vil du? Sig 'book en tid', 'flyt en tid', 'aflys en tid' eller 'se min tid', eller tryk 1, 2, 3 eller 4."
    )


def test_render_five_buttons_are_said_as_keys() -> None:
    titles = ["Pas", "Kørekort", "Flytning", "MitID", "Affald"]
    buttons = [faq_button(t, t.lower()) for t in titles] + [
        {"title": "Tal med en medarbejder", "payload": "/human_handoff"}
    ]
    reply = render_for_phone([{"text": "Vælg et emne.", "buttons": buttons}])
    assert reply.text == (
        "Vælg et emne. Tryk 1 for pas, tryk 2 for kørekort, tryk 3 for flytning, tryk 4 for MitID eller tryk 5 "
        "for affald. Tryk 0 for at tale med en medarbejder."
    )
    assert [c.digit for c in reply.choices] == ["1", "2", "3", "4", "5", "0"]


def test_render_more_than_nine_buttons() -> None:
    titles = ["Pas", "Kørekort", "Flytning", "MitID", "Affald", "Skat", "Digital Post", "NemKonto", "Vielse"]
    titles += ["Parkering", "Skift læge"]
    reply = render_for_phone([{"text": "Vælg et emne.", "buttons": [faq_button(t, "x") for t in titles]}])
    assert [c.digit for c in reply.choices] == ["1", "2", "3", "4", "5", "6", "7", "8", "9", "", ""]
    assert "tryk 9 for vielse." in reply.text
    assert reply.text.endswith("Du kan også sige 'parkering' eller 'skift læge'.")


def test_render_button_titles_are_made_speakable() -> None:
    buttons = [{"title": "**Pas** 🛂", "payload": "/faq"}, {"title": "Kørekort", "payload": "/faq2"}]
    reply = render_for_phone([{"text": "Hvilket?", "buttons": buttons}])
    assert reply.text == "Hvilket? Sig 'pas' eller 'kørekort', eller tryk 1 eller 2."
    assert reply.choices[0].label == "**Pas** 🛂"


def test_render_ignores_malformed_buttons() -> None:
    reply = render_for_phone([{"text": "Hvilket?", "buttons": ["Pas", {"title": ""}, {"title": "Skat"}]}])
    assert reply.choices == [Choice("Skat", "Skat", "1")]


# --- match_choice --------------------------------------------------------------------------------

TOPICS = [
    Choice("Pas", '/faq{"faq_topic": "pas"}', "1"),
    Choice("Kørekort", '/faq{"faq_topic": "koerekort"}', "2"),
    Choice("Flytning", '/faq{"faq_topic": "flytning"}', "3"),
]
TOPICS_WITH_HANDOFF = [
    Choice("Pas", '/faq{"faq_topic": "pas"}', "1"),
    Choice("Digital Post", '/faq{"faq_topic": "digital_post"}', "2"),
    Choice("Tal med en medarbejder", "/human_handoff", "0"),
]
TIMES = [Choice(b["title"], b["payload"], str(i)) for i, b in enumerate(TIME_BUTTONS, start=1)]
TIMES_LATER = [
    Choice("i morgen kl. 9", "/a", "1"),
    Choice("i morgen kl. 14", "/b", "2"),
    Choice("mandag den 14. december kl. 13", "/c", "3"),
]
READ_BACK = [Choice("Ja, book tiden", "/affirm", "1"), Choice("Nej", "/deny", "2")]
OFFER_HANDOFF = [Choice("Ja, stil mig videre", "/human_handoff", "1"), Choice("Nej, jeg prøver igen", "/deny", "2")]
SERVICES = [
    Choice("Jobcentret", '/inform{"service": "jobcenter"}', "1"),
    Choice("Lægen", '/inform{"service": "laege"}', "2"),
]
MANAGE = [
    Choice("Book en tid", "/book_appointment", "1"),
    Choice("Flyt en tid", "/reschedule_appointment", "2"),
    Choice("Aflys en tid", "/cancel_appointment", "3"),
    Choice("Se min tid", "/check_appointment", "4"),
]
POST = [
    Choice("Digital Post", "/dp", "1"),
    Choice("Post på papir", "/pp", "2"),
    Choice("Skift læge", "/sl", "3"),
]


@pytest.mark.parametrize(
    ("utterance", "choices", "label"),
    [
        # the label, as Whisper writes it
        ("pas", TOPICS, "Pas"),
        ("Pas.", TOPICS, "Pas"),
        ("PAS!", TOPICS, "Pas"),
        ("Kørekort.", TOPICS, "Kørekort"),
        ("koerekort", TOPICS, "Kørekort"),
        ("køre kort", TOPICS, "Kørekort"),
        ("kære kort", TOPICS, "Kørekort"),
        ("kørekortet", TOPICS, "Kørekort"),
        ("flyttning", TOPICS, "Flytning"),
        ("Det handler om flytning.", TOPICS, "Flytning"),
        ("jeg har mistet mit pas", TOPICS, "Pas"),
        ("det er om mit pas tak", TOPICS, "Pas"),
        # positions and keypad words
        ("den første", TOPICS, "Pas"),
        ("Den anden.", TOPICS, "Kørekort"),
        ("det andet", TOPICS, "Kørekort"),
        ("den tredje", TOPICS, "Flytning"),
        ("den sidste", TOPICS, "Flytning"),
        ("nummer to", TOPICS, "Kørekort"),
        ("nummer 3", TOPICS, "Flytning"),
        ("tryk 2", TOPICS, "Kørekort"),
        ("Tryk to.", TOPICS, "Kørekort"),
        ("to", TOPICS, "Kørekort"),
        ("To.", TOPICS, "Kørekort"),
        ("3", TOPICS, "Flytning"),
        ("en", TOPICS, "Pas"),
        ("jeg tager to", TOPICS, "Kørekort"),
        # a person
        ("medarbejder", TOPICS_WITH_HANDOFF, "Tal med en medarbejder"),
        ("jeg vil gerne tale med en medarbejder", TOPICS_WITH_HANDOFF, "Tal med en medarbejder"),
        ("et menneske tak", TOPICS_WITH_HANDOFF, "Tal med en medarbejder"),
        ("nul", TOPICS_WITH_HANDOFF, "Tal med en medarbejder"),
        ("den sidste", TOPICS_WITH_HANDOFF, "Digital Post"),
        ("digital post", TOPICS_WITH_HANDOFF, "Digital Post"),
        ("digitalpost", TOPICS_WITH_HANDOFF, "Digital Post"),
        # offered booking times
        ("torsdag klokken ti tredive", TIMES, "torsdag kl. 10.30"),
        ("Torsdag kl. 10.30.", TIMES, "torsdag kl. 10.30"),
        ("torsdag 10:30", TIMES, "torsdag kl. 10.30"),
        ("halv elleve på torsdag", TIMES, "torsdag kl. 10.30"),
        ("torsdag halv elleve tak", TIMES, "torsdag kl. 10.30"),
        ("klokken tretten", TIMES, "torsdag kl. 13"),
        ("torsdag klokken et", TIMES, "torsdag kl. 13"),
        ("tretten", TIMES, "torsdag kl. 13"),
        ("fredag", TIMES, "fredag kl. 9"),
        ("fredag morgen klokken ni", TIMES, "fredag kl. 9"),
        ("Fredagen.", TIMES, "fredag kl. 9"),
        ("ni", TIMES, "fredag kl. 9"),
        ("den første", TIMES, "torsdag kl. 10.30"),
        ("den anden tid", TIMES, "torsdag kl. 13"),
        ("den sidste", TIMES, "fredag kl. 9"),
        ("tryk 2", TIMES, "torsdag kl. 13"),
        ("to", TIMES, "torsdag kl. 13"),
        ("i morgen klokken ni", TIMES_LATER, "i morgen kl. 9"),
        ("i morgen klokken to", TIMES_LATER, "i morgen kl. 14"),
        ("to", TIMES_LATER, "i morgen kl. 14"),
        ("den fjortende december", TIMES_LATER, "mandag den 14. december kl. 13"),
        ("mandag den 14 december", TIMES_LATER, "mandag den 14. december kl. 13"),
        ("mandag", TIMES_LATER, "mandag den 14. december kl. 13"),
        # ja/nej buttons
        ("ja", READ_BACK, "Ja, book tiden"),
        ("Ja tak.", READ_BACK, "Ja, book tiden"),
        ("jaa", READ_BACK, "Ja, book tiden"),
        ("det er korrekt", READ_BACK, "Ja, book tiden"),
        ("Nej.", READ_BACK, "Nej"),
        ("nej det er forkert", READ_BACK, "Nej"),
        ("tryk 2", READ_BACK, "Nej"),
        ("ja", OFFER_HANDOFF, "Ja, stil mig videre"),
        ("stil mig videre", OFFER_HANDOFF, "Ja, stil mig videre"),
        ("nej tak", OFFER_HANDOFF, "Nej, jeg prøver igen"),
        ("jeg prøver igen", OFFER_HANDOFF, "Nej, jeg prøver igen"),
        # services and other intents
        ("jobcentret", SERVICES, "Jobcentret"),
        ("jobcenteret", SERVICES, "Jobcentret"),
        ("job centret", SERVICES, "Jobcentret"),
        ("hos lægen", SERVICES, "Lægen"),
        ("min læge", SERVICES, "Lægen"),
        ("legen", SERVICES, "Lægen"),
        ("jeg vil flytte min tid", MANAGE, "Flyt en tid"),
        ("aflys", MANAGE, "Aflys en tid"),
        ("jeg vil gerne aflyse min tid", MANAGE, "Aflys en tid"),
        ("se min tid", MANAGE, "Se min tid"),
        ("digital post", POST, "Digital Post"),
        ("post på papir", POST, "Post på papir"),
        ("jeg vil skifte læge", POST, "Skift læge"),
    ],
)
def test_match_choice(utterance: str, choices: list[Choice], label: str) -> None:
    picked = match_choice(utterance, choices)
    assert picked is not None, utterance
    assert picked.label == label


@pytest.mark.parametrize(
    ("utterance", "choices"),
    [
        ("", TOPICS),
        ("   ", TOPICS),
        ("øh", TOPICS),
        ("hvad er klokken", TOPICS),
        ("jeg vil gerne høre om åbningstider", TOPICS),
        ("hvad koster det at få et nyt sundhedskort", TOPICS),
        ("hvornår tømmes min skraldespand", TOPICS),
        ("pas og kørekort", TOPICS),
        ("jeg har ikke noget pas", TOPICS),
        ("nummer syv", TOPICS),
        ("tryk 9", TOPICS),
        ("den femte", TOPICS),
        ("det er første gang jeg ringer til jer om noget", TOPICS),
        ("ja", TOPICS),
        ("bas", TOPICS),
        ("post", POST),
        ("tid", MANAGE),
        ("hvornår er min tid", MANAGE),
        ("torsdag", TIMES),
        ("klokken ti", TIMES),
        ("kvart over ni", TIMES),
        ("ikke torsdag", TIMES),
        ("næste fredag", TIMES),
        ("jeg vil hellere have mandag", TIMES),
        ("kan jeg komme om eftermiddagen i næste uge", TIMES),
        ("måske", READ_BACK),
        ("hvad sagde du", READ_BACK),
        ("jeg ved det ikke", SERVICES),
        ("pas", []),
    ],
)
def test_match_choice_gives_none_when_unclear_or_unrelated(utterance: str, choices: list[Choice]) -> None:
    assert match_choice(utterance, choices) is None


# --- yes_no --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "utterance",
    [
        "ja", "Ja.", "Ja!", "ja tak", "Ja, tak.", "jaa", "Jaaa.", "jo", "Jo jo.", "jep", "Jeps.", "yes", "Yeah.",
        "øh ja", "jamen ja", "det er rigtigt", "Det er rigtigt.", "helt rigtigt", "korrekt", "Korrekt.",
        "det er korrekt", "ja det er det", "ja, det er rigtigt", "det passer", "det stemmer", "præcis",
        "gerne", "ja gerne", "meget gerne", "selvfølgelig", "okay", "ok tak", "det er fint", "book tiden",
    ],
)  # fmt: skip
def test_yes(utterance: str) -> None:
    assert yes_no(utterance) is True


@pytest.mark.parametrize(
    "utterance",
    [
        "nej", "Nej.", "Nej!", "nej tak", "Nej, tak.", "nej nej", "Nej, nej, nej.", "næ", "Næh.", "Nææ.",
        "nope", "nej det er forkert", "Nej, det er forkert.", "det er forkert", "forkert", "det er ikke rigtigt",
        "ikke korrekt", "det passer ikke", "det stemmer ikke", "nej, hellere fredag", "nej det er det ikke",
        "slet ikke", "ellers tak",
    ],
)  # fmt: skip
def test_no(utterance: str) -> None:
    assert yes_no(utterance) is False


@pytest.mark.parametrize(
    "utterance",
    [
        "", "  ", "...", "øh", "hmm", "Nå.", "tak", "Tak.", "måske", "hvad", "hvad sagde du", "det ved jeg ikke",
        "jeg ved det ikke", "ja, det er forkert", "ja nej", "nej ja", "kan du gentage", "hvad koster et pas",
        "torsdag klokken ti",
    ],
)  # fmt: skip
def test_unclear(utterance: str) -> None:
    assert yes_no(utterance) is None
