"""Small inline SVG charts (scatter, histogram, curve, bars) for self-contained HTML pages.

No scripts, no fonts, no network: plain elements with coordinates computed here. Every
label is escaped. Missing values (None) are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from itertools import pairwise

WIDTH, HEIGHT = 380, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 14, 14, 40
BLUE, ORANGE, GREY = "#2563eb", "#f97316", "#9aa5b1"


class _Scale:
    def __init__(self, low: float, high: float, start: float, end: float) -> None:
        if high <= low:
            low, high = low - 0.5, high + 0.5
        self.low, self.high, self.start, self.end = low, high, start, end

    def __call__(self, value: float) -> float:
        return self.start + (value - self.low) / (self.high - self.low) * (self.end - self.start)


def _frame(body: str, x_label: str, y_label: str, x: _Scale, y: _Scale) -> str:
    axes = (
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" stroke="{GREY}"/>'
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="{GREY}"/>'
        f'<text x="{LEFT}" y="{HEIGHT - BOTTOM + 14}" font-size="10">{_tick(x.low)}</text>'
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - BOTTOM + 14}" font-size="10" text-anchor="end">{_tick(x.high)}</text>'
        f'<text x="{LEFT - 4}" y="{HEIGHT - BOTTOM}" font-size="10" text-anchor="end">{_tick(y.low)}</text>'
        f'<text x="{LEFT - 4}" y="{TOP + 8}" font-size="10" text-anchor="end">{_tick(y.high)}</text>'
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 6}" font-size="11" text-anchor="middle">'
        f"{escape(x_label)}</text>"
        f'<text x="12" y="{(TOP + HEIGHT - BOTTOM) / 2}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 12 {(TOP + HEIGHT - BOTTOM) / 2})">{escape(y_label)}</text>'
    )
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img">{axes}{body}</svg>')


def _scales(xs: Sequence[float], ys: Sequence[float]) -> tuple[_Scale, _Scale]:
    return (_Scale(min(xs), max(xs), LEFT, WIDTH - RIGHT), _Scale(min(ys), max(ys), HEIGHT - BOTTOM, TOP))


def _pairs(xs: Sequence[float | None], ys: Sequence[float | None]) -> list[tuple[float, float]]:
    return [(a, b) for a, b in zip(xs, ys, strict=False) if a is not None and b is not None]


def scatter_svg(xs: Sequence[float | None], ys: Sequence[float | None], *, x_label: str, y_label: str,
                diagonal: bool = True) -> str:
    """Points, with the line y = x when ``diagonal`` (predicted equals actual)."""
    points = _pairs(xs, ys)
    if not points:
        return ""
    both = [v for p in points for v in p]
    x, y = _scales([min(both), max(both)], [min(both), max(both)]) if diagonal else _scales(
        [p[0] for p in points], [p[1] for p in points])
    body = "".join(f'<circle cx="{x(a):.1f}" cy="{y(b):.1f}" r="2" fill="{BLUE}" fill-opacity="0.5"/>'
                   for a, b in points)
    if diagonal:
        body += (f'<line x1="{x(x.low):.1f}" y1="{y(y.low):.1f}" x2="{x(x.high):.1f}" y2="{y(y.high):.1f}" '
                 f'stroke="{ORANGE}" stroke-dasharray="4 3"/>')
    return _frame(body, x_label, y_label, x, y)


def histogram_svg(edges: Sequence[float | None], counts: Sequence[int], *, x_label: str) -> str:
    """Bars between consecutive ``edges`` with heights ``counts``."""
    known = [e for e in edges if e is not None]
    if len(known) != len(edges) or len(edges) < 2 or not counts:
        return ""
    x, y = _scales(known, [0, max(max(counts), 1)])
    body = "".join(
        f'<rect x="{x(lo):.1f}" y="{y(c):.1f}" width="{max(x(hi) - x(lo) - 1, 0.5):.1f}" '
        f'height="{y(0) - y(c):.1f}" fill="{BLUE}"/>'
        for (lo, hi), c in zip(pairwise(known), counts, strict=False)
    )
    return _frame(body, x_label, "rows", x, y)


def curve_svg(xs: Sequence[float | None], ys: Sequence[float | None], *, x_label: str, y_label: str) -> str:
    """A line through the points on the unit square, with the diagonal for reference."""
    points = _pairs(xs, ys)
    if not points:
        return ""
    x, y = _Scale(0, 1, LEFT, WIDTH - RIGHT), _Scale(0, 1, HEIGHT - BOTTOM, TOP)
    path = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in points)
    body = (f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}" stroke="{GREY}" stroke-dasharray="4 3"/>'
            f'<polyline points="{path}" fill="none" stroke="{BLUE}" stroke-width="2"/>'
            + "".join(f'<circle cx="{x(a):.1f}" cy="{y(b):.1f}" r="2.5" fill="{BLUE}"/>' for a, b in points))
    return _frame(body, x_label, y_label, x, y)


def bars_svg(labels: Sequence[str], values: Sequence[float], *, title: str) -> str:
    """Horizontal bars, one per label, each with its value."""
    if not values:
        return ""
    row = 18
    height = TOP + row * len(values) + 24
    label_width = 110
    scale = _Scale(0, max([*values, 0.0]) or 1.0, label_width, WIDTH - RIGHT - 40)
    parts = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y0 = TOP + index * row
        parts.append(
            f'<text x="{label_width - 6}" y="{y0 + 12}" font-size="11" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y0 + 2}" width="{max(scale(value) - label_width, 0.5):.1f}" '
            f'height="{row - 5}" fill="{BLUE}"/>'
            f'<text x="{scale(value) + 4:.1f}" y="{y0 + 12}" font-size="10">{_tick(value)}</text>'
        )
    caption = f'<text x="{label_width}" y="{height - 6}" font-size="11">{escape(title)}</text>'
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" role="img">{"".join(parts)}{caption}</svg>')


def _tick(value: float) -> str:
    return f"{value:.3g}"


__all__ = ["bars_svg", "curve_svg", "histogram_svg", "scatter_svg"]
