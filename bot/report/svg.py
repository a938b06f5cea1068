"""Charts as inline SVG: plain shapes and text, no script, no font or image loaded from
anywhere, so the page prints and opens offline. Each chart carries a `<title>` (what a
screen reader says) and a legend in words beside its colours."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

# Colours that stay apart in greyscale print too (dark to light).
PALETTE = ("#1b5e20", "#81c784", "#9e9e9e", "#1565c0", "#e65100", "#6a1b9a")
WIDTH = 720
BAR = 22


def _text(x: float, y: float, value: str, *, anchor: str = "start", size: int = 12) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}">'
        f"{escape(value)}</text>"
    )


def _legend(labels: Sequence[str], y: float) -> list[str]:
    parts, x = [], 0.0
    for i, label in enumerate(labels):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{colour}"/>')
        parts.append(_text(x + 16, y, label))
        x += 24 + 7.2 * len(label)
    return parts


def _svg(chart_id: str, title: str, height: float, parts: Sequence[str]) -> str:
    return (
        f'<svg id="{escape(chart_id)}" class="chart" role="img" '
        f'width="{WIDTH}" height="{height:.0f}" viewBox="0 0 {WIDTH} {height:.0f}">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )


def stacked_bars(
    chart_id: str,
    title: str,
    rows: Sequence[tuple[str, Sequence[int]]],
    series: Sequence[str],
) -> str:
    """One horizontal bar per row (a label and one count per series), its parts stacked
    in proportion to the row's total; the total is written at the bar's end."""
    label_width, gap = 110, 8
    span = WIDTH - label_width - 60
    parts: list[str] = _legend(series, 14)
    y = 30.0
    for label, counts in rows:
        total = sum(counts)
        parts.append(_text(label_width - gap, y + BAR - 6, label, anchor="end"))
        x = float(label_width)
        for i, count in enumerate(counts):
            if not total or not count:
                continue
            width = span * count / total
            colour = PALETTE[i % len(PALETTE)]
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{BAR}" '
                f'fill="{colour}"><title>{escape(series[i])}: {count}</title></rect>'
            )
            x += width
        parts.append(_text(x + 4, y + BAR - 6, str(total)))
        y += BAR + 6
    return _svg(chart_id, title, y + 6, parts)


def bars(chart_id: str, title: str, rows: Sequence[tuple[str, float]], *, unit: str = "") -> str:
    """One horizontal bar per (label, value), scaled to the largest value."""
    label_width = 300
    span = WIDTH - label_width - 70
    top = max((value for _label, value in rows), default=0.0) or 1.0
    parts: list[str] = []
    y = 6.0
    for label, value in rows:
        shown = label if len(label) <= 44 else label[:43] + "…"
        parts.append(_text(label_width - 8, y + BAR - 6, shown, anchor="end"))
        width = span * value / top
        parts.append(
            f'<rect x="{label_width}" y="{y:.1f}" width="{width:.1f}" height="{BAR}" '
            f'fill="{PALETTE[3]}"/>'
        )
        figure = f"{value:g}{unit}" if isinstance(value, float) else f"{value}{unit}"
        parts.append(_text(label_width + width + 4, y + BAR - 6, figure))
        y += BAR + 6
    return _svg(chart_id, title, y + 6, parts)
