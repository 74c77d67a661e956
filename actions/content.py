"""The texts of the assistant: FAQ answers and the messages of the custom actions.

One YAML file per FAQ topic lives in ``content/faq/``; the messages of the
custom actions are in ``content/messages.yml``.

Texts may contain placeholders such as ``{municipality_name}`` and ``{phone}``
that are filled from the municipality profile; a municipality can replace a
whole answer with ``faq_overrides`` in its own file.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from muni_core.municipalities import Municipality

ALLOWED_PLACEHOLDERS = frozenset(
    {
        "municipality_name",
        "municipality_name_genitive",
        "municipality_full_name",
        "phone",
        "email",
        "website",
        "citizen_service_address",
        "jobcentre_phone",
        "jobcentre_address",
    }
)
# Values that only action messages have, filled by the actions: booking details, the office asked about,
# opening hours.
ACTION_PLACEHOLDERS = frozenset(
    {"service_name", "when", "choices", "reference", "name", "citizen_phone", "address", "day",
     "service_name_genitive", "slot_interval",
     "office_name", "office_phone", "office_email", "office_address", "opens", "closes", "span", "reason", "week"}
)  # fmt: skip
BOOKING_PLACEHOLDERS = ACTION_PLACEHOLDERS  # the earlier name, when only booking messages had values
_FULL_NAME_PATTERN = re.compile(r"\{municipality_name\} [Kk]ommune")


class ContentError(ValueError):
    """An answer file is malformed or uses an unknown placeholder."""


@dataclass(frozen=True)
class FaqAnswer:
    """The answer to one rules topic."""

    topic: str
    title: str
    text: str


def placeholders_in(text: str) -> set[str]:
    """Names of the ``{placeholders}`` used in ``text``."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as error:
        raise ContentError(f"ugyldige krøllede parenteser i: {text[:60]}…") from error


def _check_placeholders(text: str, where: str) -> None:
    unknown = placeholders_in(text) - ALLOWED_PLACEHOLDERS - ACTION_PLACEHOLDERS
    if unknown:
        raise ContentError(f"{where}: ukendte pladsholdere {sorted(unknown)}")


def render(text: str, municipality: Municipality | None, **values: str) -> str:
    """Fill the placeholders of ``text`` with the municipality's details (if any) and the action's ``values``."""
    text = _FULL_NAME_PATTERN.sub("{municipality_full_name}", text)
    return text.format(**{**(municipality.placeholders() if municipality else {}), **values})


class ContentBase:
    """All FAQ answers (``faq/*.yml``) and action messages (``messages.yml``), validated."""

    def __init__(self, folder: Path) -> None:
        """Load and validate everything under ``folder`` (the ``content/`` directory)."""
        self.answers: dict[str, FaqAnswer] = {}
        self.messages = self._load_messages(folder / "messages.yml")
        for path in sorted((folder / "faq").glob("*.yml")):
            with path.open(encoding="utf-8") as handle:
                raw = yaml.safe_load(handle)
            if not isinstance(raw, dict) or not all(raw.get(k) for k in ("topic", "title", "answer")):
                raise ContentError(f"{path.name}: skal have topic, title og answer")
            answer = FaqAnswer(str(raw["topic"]), str(raw["title"]), " ".join(str(raw["answer"]).split()))
            if answer.topic != path.stem:
                raise ContentError(f"{path.name}: topic '{answer.topic}' skal svare til filnavnet")
            _check_placeholders(answer.text, path.name)
            self.answers[answer.topic] = answer

    @staticmethod
    def _load_messages(path: Path) -> dict[str, str]:
        with path.open(encoding="utf-8") as handle:
            raw = yaml.safe_load(handle)
        if not isinstance(raw, dict):
            raise ContentError(f"{path.name}: skal være nøgle: tekst")
        messages = {str(key): " ".join(str(value).split()) for key, value in raw.items()}
        for key, text in messages.items():
            _check_placeholders(text, f"{path.name}.{key}")
        return messages

    def message(self, key: str, municipality: Municipality | None, **values: str) -> str:
        """The action message ``key`` for ``municipality`` (its override wins), filled in.

        Without a municipality the common text is filled with ``values`` alone.
        """
        if municipality is not None and (override := municipality.message_overrides.get(key)):
            _check_placeholders(override, f"{municipality.id}.message_overrides.{key}")
            return render(" ".join(override.split()), municipality, **values)
        return render(self.messages[key], municipality, **values)

    def title(self, topic: str) -> str:
        """Short Danish label of a topic, for buttons."""
        answer = self.answers.get(topic)
        return answer.title if answer else topic

    def answer(self, topic: str, municipality: Municipality) -> str | None:
        """The answer for ``topic`` in ``municipality`` (its override wins), or None."""
        override = municipality.faq_overrides.get(topic)
        if override:
            _check_placeholders(override, f"{municipality.id}.faq_overrides.{topic}")
            return render(" ".join(override.split()), municipality)
        answer = self.answers.get(topic)
        return render(answer.text, municipality) if answer else None


@lru_cache(maxsize=4)
def load_content(folder: Path) -> ContentBase:
    """Load (once per process) the content in ``folder`` (the ``content/`` directory)."""
    return ContentBase(folder)
