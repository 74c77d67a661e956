"""The one percentile definition of the project (the console's dashboard and every benchmark)."""

from __future__ import annotations

import math
from collections.abc import Iterable


def percentile(values: Iterable[float], fraction: float) -> float | None:
    """Linear-interpolated percentile (as PostgreSQL's ``percentile_cont``); ``None`` for no values.

    ``fraction`` is between 0 and 1 (0.95 for p95). The values need not be sorted.
    """
    ordered = sorted(values)
    if not ordered:
        return None
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be between 0 and 1, not {fraction}")
    position = (len(ordered) - 1) * fraction
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)
