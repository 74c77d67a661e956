"""Which municipality a phone call is for: the dialled number, looked up in ``content/municipalities/*.yml``.

The gateway reads only the fields it needs (id, name, phone, dialled_numbers); the full profiles are
read by the action server.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from voice_gateway.paths import CONTENT_DIR

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MunicipalityLine:
    """A municipality as the phone gateway sees it."""

    id: str
    name: str
    phone: str
    dialled_numbers: tuple[str, ...]


def _digits(number: str) -> str:
    """The last 8 digits of a Danish phone number (drops +45/0045 and spacing)."""
    return re.sub(r"\D", "", number or "")[-8:]


class MunicipalityDirectory:
    """All municipalities with a phone line, found by the number the citizen dialled."""

    def __init__(self, lines: list[MunicipalityLine]) -> None:
        self._by_id = {line.id: line for line in lines}
        self._by_number: dict[str, MunicipalityLine] = {}
        for line in lines:
            for number in line.dialled_numbers:
                if _digits(number):
                    self._by_number[_digits(number)] = line

    @classmethod
    def load(cls, content_dir: Path | None = None) -> MunicipalityDirectory:
        """Read every ``<id>.yml`` in the content's municipalities folder (``MUNI_CONTENT_DIR``)."""
        content = content_dir or Path(os.environ.get("MUNI_CONTENT_DIR", CONTENT_DIR))
        lines = []
        for path in sorted((content / "municipalities").glob("*.yml")):
            try:
                raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError) as error:
                logger.error("Cannot read municipality file %s: %s", path, error)
                continue
            if not isinstance(raw, dict):
                continue
            lines.append(
                MunicipalityLine(
                    id=str(raw.get("id") or path.stem),
                    name=str(raw.get("name") or ""),
                    phone=str(raw.get("phone") or ""),
                    dialled_numbers=tuple(str(n) for n in raw.get("dialled_numbers") or ()),
                )
            )
        return cls(lines)

    def by_dialled_number(self, number: str) -> MunicipalityLine | None:
        """The municipality whose assistant line was dialled, if configured."""
        return self._by_number.get(_digits(number)) if _digits(number) else None

    def by_id(self, municipality_id: str) -> MunicipalityLine | None:
        """The municipality with this id, if known."""
        return self._by_id.get(municipality_id)
