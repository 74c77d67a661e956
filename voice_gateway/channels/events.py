"""Inbound events that several voice channels share, whatever their wire format."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dtmf:
    """A keypad digit."""

    digit: str


@dataclass(frozen=True)
class Mark:
    """Playback reached a mark we sent."""

    name: str


@dataclass(frozen=True)
class Stop:
    """The call (stream) ended from the caller's side."""
