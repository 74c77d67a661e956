"""Charts of the dashboard as inline SVG, drawn on the server (no script, nothing from elsewhere).

Each chart is an ``<svg role="img">`` named by its ``<title>`` and described by its ``<desc>``; the
dashboard puts a table of the same figures next to each one for screen readers and for copying.
Colours come from classes in ``console.css`` (``series-0`` …), so the page's CSP needs no inline styles.
All text is escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

WIDTH = 720
SERIES_CLASSES = 6


def _number(value: float) -> str:
    """A coordinate with at most one decimal."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def axis_ticks(maximum: float, most: int = 5) -> tuple[float, float]:
    """``(top of the axis, step between gridlines)`` for counts up to ``maximum``: whole, round steps."""
    power = 1.0
    while True:
        for factor in (1, 2, 5):
            step = factor * power
            top = step * max(math.ceil(maximum / step), 1)
            if top / step <= most:
                return top, step
        power *= 10


def danish_number(value: float, decimals: int = 0) -> str:
    """``1234.5`` -> ``1.234,5`` (Danish separators)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def percent(value: float | None, decimals: int = 0) -> str:
    """A fraction as a Danish percentage (``0.75`` -> ``75 %``); ``–`` for None."""
    if value is None:
        return "–"
    return f"{danish_number(value * 100, decimals)} %"


def _open(chart_id: str, height: float, title: str, description: str) -> list[str]:
    chart = escape(chart_id)
    return [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_number(height)}" '
        f'role="img" aria-labelledby="{chart}-title {chart}-desc" focusable="false">',
        f'<title id="{chart}-title">{escape(title)}</title>',
        f'<desc id="{chart}-desc">{escape(description)}</desc>',
    ]


def stacked_bars(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str,
    description: str,
    chart_id: str,
    label_every: int = 1,
) -> Markup:
    """Vertical bars, one per category, stacked by series (``[(series label, values per category), …]``)."""
    height, top, bottom, left, right = 260.0, 12.0, 34.0, 44.0, 8.0
    plot_height = height - top - bottom
    plot_width = WIDTH - left - right
    totals = [sum(values[index] for _, values in series) for index in range(len(categories))]
    ceiling, step = axis_ticks(max(totals, default=0))
    parts = _open(chart_id, height, title, description)
    ticks = round(ceiling / step)
    for tick in range(ticks + 1):
        value = step * tick
        y = top + plot_height - plot_height * tick / ticks
        row = f'x1="{_number(left)}" x2="{_number(WIDTH - right)}" y1="{_number(y)}" y2="{_number(y)}"'
        parts.append(f'<line class="grid" {row}/>')
        label = danish_number(value, 0 if value == int(value) else 1)
        parts.append(
            f'<text class="axis" x="{_number(left - 6)}" y="{_number(y + 4)}" text-anchor="end">{label}</text>'
        )
    slot = plot_width / max(len(categories), 1)
    bar = max(slot * 0.72, 1.0)
    for index, category in enumerate(categories):
        x = left + slot * index + (slot - bar) / 2
        y = top + plot_height
        for number, (label, values) in enumerate(series):
            value = values[index]
            if not value:
                continue
            bar_height = plot_height * value / ceiling
            y -= bar_height
            parts.append(
                f'<rect class="series-{number % SERIES_CLASSES}" x="{_number(x)}" y="{_number(y)}" '
                f'width="{_number(bar)}" height="{_number(bar_height)}"><title>{escape(category)}, {escape(label)}: '
                f"{danish_number(value)}</title></rect>"
            )
        if index % max(label_every, 1) == 0:
            parts.append(
                f'<text class="axis" x="{_number(x + bar / 2)}" y="{_number(height - bottom + 16)}" '
                f'text-anchor="middle">{escape(category)}</text>'
            )
    parts.append(
        f'<line class="baseline" x1="{_number(left)}" x2="{_number(WIDTH - right)}" '
        f'y1="{_number(top + plot_height)}" y2="{_number(top + plot_height)}"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above went through escape()


def horizontal_bars(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    description: str,
    chart_id: str,
    maximum: float | None = None,
    value_text: Callable[[float], str] = danish_number,
    label_width: float = 220.0,
) -> Markup:
    """One horizontal bar per ``(label, value)``, with the value written after the bar."""
    row, top = 26.0, 6.0
    height = top * 2 + row * max(len(items), 1)
    value_width = 90.0
    plot_width = WIDTH - label_width - value_width
    ceiling = maximum if maximum else max((value for _, value in items), default=0) or 1.0
    parts = _open(chart_id, height, title, description)
    for index, (label, value) in enumerate(items):
        y = top + row * index
        width = plot_width * max(min(value / ceiling, 1.0), 0.0)
        shown = label if len(label) <= 32 else label[:31] + "…"
        parts.append(
            f'<text class="label" x="{_number(label_width - 8)}" y="{_number(y + row / 2 + 4)}" '
            f'text-anchor="end">{escape(shown)}</text>'
        )
        parts.append(
            f'<rect class="track" x="{_number(label_width)}" y="{_number(y + 4)}" width="{_number(plot_width)}" '
            f'height="{_number(row - 8)}"/>'
        )
        parts.append(
            f'<rect class="series-{index % SERIES_CLASSES if maximum is None else 0}" x="{_number(label_width)}" '
            f'y="{_number(y + 4)}" width="{_number(width)}" height="{_number(row - 8)}"/>'
        )
        parts.append(
            f'<text class="value" x="{_number(label_width + plot_width + 8)}" y="{_number(y + row / 2 + 4)}">'
            f"{escape(value_text(value))}</text>"
        )
    if not items:
        parts.append(f'<text class="label" x="8" y="{_number(top + row / 2 + 4)}">Ingen data i perioden.</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above went through escape()
