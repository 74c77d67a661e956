"""Danish grammar the texts need: the genitive of a name ("Aarhus'", "Frederikshavns")."""

from __future__ import annotations

import re

# A trailing remark in brackets ("Lægehuset Havnegade (eksempel)") stays after the genitive.
_TRAILING_REMARK = re.compile(r"^(.*?\S)(\s*\([^()]*\))$")


def genitive(name: str) -> str:
    """The genitive of ``name`` as Danish writes it.

    An apostrophe after a final s, x or z ("Aarhus'"), 's after digits and acronyms ("Dokk1's", "DR's"),
    otherwise an s ("Frederikshavns", "din kommunes"); a remark in brackets at the end stays last.
    """
    stripped = name.strip()
    if not stripped:
        return name
    remark = _TRAILING_REMARK.match(stripped)
    if remark:
        return genitive(remark.group(1)) + remark.group(2)
    last_word = stripped.split()[-1]
    if stripped.endswith("'") or re.search(r"'s$", stripped, re.IGNORECASE):
        return stripped
    if stripped[-1].lower() in "sxz":
        return f"{stripped}'"
    if stripped[-1].isdigit() or (last_word.isupper() and len(last_word) <= 5 and last_word.isalpha()):
        return f"{stripped}'s"
    if not stripped[-1].isalpha():
        return stripped
    return f"{stripped}s"
