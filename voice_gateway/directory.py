"""Which municipality a phone call is for: the dialled number, looked up in ``content/municipalities/*.yml``.

The profiles are read by ``muni_core.municipalities`` (the one loader); the gateway keeps only the fields
it needs (id, name, phone, dialled_numbers).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from muni_core.municipalities import MunicipalityConfigError, MunicipalityRegistry
from muni_core.paths import CONTENT_DIR

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
        """The municipalities of ``content/municipalities`` (``MUNI_CONTENT_DIR``), read by ``muni_core``'s loader.

        A broken profile is logged and leaves the directory empty (the action server refuses to start on it too),
        so calls still reach the generic assistant instead of failing.
        """
        content = content_dir or Path(os.environ.get("MUNI_CONTENT_DIR", CONTENT_DIR))
        try:
            registry = MunicipalityRegistry(content / "municipalities")
        except (OSError, MunicipalityConfigError, yaml.YAMLError) as error:
            logger.error("Cannot read the municipality profiles in %s: %s", content, error)
            return cls([])
        lines = []
        for municipality_id in registry.ids:
            profile = registry.get(municipality_id)
            if profile is not None:
                lines.append(MunicipalityLine(profile.id, profile.name, profile.phone, profile.dialled_numbers))
        return cls(lines)

    def by_dialled_number(self, number: str) -> MunicipalityLine | None:
        """The municipality whose assistant line was dialled, if configured."""
        return self._by_number.get(_digits(number)) if _digits(number) else None

    def by_id(self, municipality_id: str) -> MunicipalityLine | None:
        """The municipality with this id, if known."""
        return self._by_id.get(municipality_id)
