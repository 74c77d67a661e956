"""Figures every benchmark reports the same way: p50 and p95 by the project's one percentile."""

from __future__ import annotations

from collections.abc import Iterable

from muni_core.stats import percentile

__all__ = ["p50_p95", "percentile"]


def p50_p95(values: Iterable[float], scale: float = 1.0, digits: int = 1) -> tuple[float | None, float | None]:
    """(p50, p95) of ``values`` times ``scale`` (1000 turns seconds into ms), rounded; ``None`` for no values."""
    ordered = sorted(values)
    result = []
    for fraction in (0.5, 0.95):
        value = percentile(ordered, fraction)
        result.append(None if value is None else round(value * scale, digits))
    return result[0], result[1]
