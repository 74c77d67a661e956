"""The Danish genitive of names, and the municipality placeholder texts use it through."""

from __future__ import annotations

import pytest

from actions.context import content, registry
from muni_core.danish.grammar import genitive


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Aarhus", "Aarhus'"), ("Frederikshavn", "Frederikshavns"), ("din kommune", "din kommunes"),
     ("Jobcenter Aarhus", "Jobcenter Aarhus'"), ("Marx", "Marx'"), ("Fanø", "Fanøs"), ("Dokk1", "Dokk1's"),
     ("DR", "DR's"), ("Lægehuset Havnegade (eksempel)", "Lægehuset Havnegades (eksempel)"), ("Hans'", "Hans'"),
     ("", "")],
)  # fmt: skip
def test_genitive(name: str, expected: str) -> None:
    assert genitive(name) == expected


@pytest.mark.parametrize(("municipality", "expected"), [("aarhus", "Aarhus'"), ("frederikshavn", "Frederikshavns")])
def test_municipality_placeholder_and_the_text_that_uses_it(municipality: str, expected: str) -> None:
    profile = registry().resolve(municipality)
    assert profile.placeholders()["municipality_name_genitive"] == expected
    assert f"på {expected} hjemmeside" in content().message("hours_see_website", profile)
