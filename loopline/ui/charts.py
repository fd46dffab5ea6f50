"""Small SVG charts for the dashboard: lines over steps or time, and bars.

Plain SVG with presentation attributes (no script, no inline style), so they render under
the pages' Content-Security-Policy and in screenshots. Labels are escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 420, 220
LEFT, RIGHT, TOP, BOTTOM = 58, 14, 12, 34
COLOURS = ("#2563eb", "#f97316", "#15803d", "#9333ea", "#b91c1c", "#0891b2")
GREY = "#9aa5b1"


def _tick(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e5 or magnitude < 1e-3:
        return f"{value:.2e}"
    return f"{value:.4g}"


def time_tick(value: float) -> str:
    return datetime.fromtimestamp(value, UTC).strftime("%m-%d %H:%M")


def _finite(points: Sequence[tuple[float, float | None]]) -> list[tuple[float, float]]:
    return [(x, y) for x, y in points if y is not None and not math.isnan(y) and not math.isinf(y)]


def line_chart(
    series: dict[str, Sequence[tuple[float, float | None]]], *, x_label: str, y_label: str = "",
    x_format: Callable[[float], str] = _tick, threshold: float | None = None,
) -> Markup:
    """One line per series (name -> [(x, y)]); None and NaN values leave gaps; a dashed ``threshold`` line."""
    clean = {name: _finite(points) for name, points in series.items()}
    clean = {name: pts for name, pts in clean.items() if pts}
    if not clean:
        return Markup('<p class="muted">no values</p>')
    xs = [x for pts in clean.values() for x, _ in pts]
    ys = [y for pts in clean.values() for _, y in pts] + ([threshold] if threshold is not None else [])
    x_low, x_high = min(xs), max(xs)
    y_low, y_high = min(ys), max(ys)
    if x_high <= x_low:
        x_low, x_high = x_low - 0.5, x_high + 0.5
    if y_high <= y_low:
        y_low, y_high = y_low - 0.5, y_high + 0.5

    def sx(x: float) -> float:
        return LEFT + (x - x_low) / (x_high - x_low) * (WIDTH - LEFT - RIGHT)

    def sy(y: float) -> float:
        return HEIGHT - BOTTOM - (y - y_low) / (y_high - y_low) * (HEIGHT - TOP - BOTTOM)

    parts = [_axes(x_format(x_low), x_format(x_high), _tick(y_low), _tick(y_high), x_label, y_label)]
    if threshold is not None:
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{sy(threshold):.1f}" y2="{sy(threshold):.1f}" '
                     f'stroke="#b91c1c" stroke-dasharray="5 4"><title>threshold {_tick(threshold)}</title></line>')
    for index, (name, pts) in enumerate(clean.items()):
        colour = COLOURS[index % len(COLOURS)]
        path = " ".join(f"{'M' if i == 0 else 'L'} {sx(x):.1f} {sy(y):.1f}" for i, (x, y) in enumerate(pts))
        parts.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="1.6"><title>{escape(name)}'
                     f"</title></path>")
        if len(pts) <= 60:
            parts.extend(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.2" fill="{colour}"><title>'
                         f"{escape(name)}: {escape(x_format(x))} → {_tick(y)}</title></circle>" for x, y in pts)
    if len(clean) > 1:
        for index, name in enumerate(clean):
            colour = COLOURS[index % len(COLOURS)]
            parts.append(f'<text x="{WIDTH - RIGHT}" y="{TOP + 10 + index * 13}" font-size="10.5" text-anchor="end" '
                         f'fill="{colour}">{escape(name)}</text>')
    return _svg("".join(parts))


def bar_chart(labels: Sequence[str], values: Sequence[float], *, x_label: str = "", y_label: str = "count",
              colour: str = COLOURS[0], second: Sequence[float] | None = None, overlay: bool = False) -> Markup:
    """Bars per label; ``second`` draws a second, orange bar beside each (e.g. reference vs current).

    With ``overlay`` the two bars share the slot, both half transparent, so the two
    distributions read as one shape over the other.
    """
    if not values:
        return Markup('<p class="muted">no values</p>')
    top = max([*values, *(second or []), 1e-12])
    count = len(values)
    slot = (WIDTH - LEFT - RIGHT) / count
    bar = slot * (0.42 if second is not None and not overlay else 0.8)
    opacity = 0.55 if overlay and second is not None else None
    parts = [_axes("", "", "0", _tick(top), x_label, y_label)]
    for i, value in enumerate(values):
        x = LEFT + i * slot + slot * 0.1
        parts.append(_bar(x, bar, value, top, colour, f"{labels[i]}: {_tick(value)}", opacity))
        if second is not None:
            parts.append(_bar(x if overlay else x + bar, bar, second[i], top, COLOURS[1],
                              f"{labels[i]}: {_tick(second[i])}", opacity))
    if count <= 12:
        for i, label in enumerate(labels):
            short = label if len(label) <= 10 else label[:9] + "…"
            parts.append(f'<text x="{LEFT + (i + 0.5) * slot:.1f}" y="{HEIGHT - BOTTOM + 12}" font-size="9.5" '
                         f'text-anchor="middle">{escape(short)}</text>')
    else:
        parts.append(f'<text x="{LEFT}" y="{HEIGHT - BOTTOM + 12}" font-size="9.5">{escape(labels[0])}</text>'
                     f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - BOTTOM + 12}" font-size="9.5" text-anchor="end">'
                     f"{escape(labels[-1])}</text>")
    return _svg("".join(parts))


def _bar(x: float, width: float, value: float, top: float, colour: str, tip: str, opacity: float | None = None) -> str:
    height = (value / top) * (HEIGHT - TOP - BOTTOM) if top > 0 else 0
    fade = f' fill-opacity="{opacity}"' if opacity is not None else ""
    return (f'<rect x="{x:.1f}" y="{HEIGHT - BOTTOM - height:.1f}" width="{max(width, 0.8):.1f}" '
            f'height="{height:.1f}" fill="{colour}"{fade}><title>{escape(tip)}</title></rect>')


def _axes(x_low: str, x_high: str, y_low: str, y_high: str, x_label: str, y_label: str) -> str:
    mid_y = (TOP + HEIGHT - BOTTOM) / 2
    return (
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" stroke="{GREY}"/>'
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="{GREY}"/>'
        f'<text x="{LEFT}" y="{HEIGHT - BOTTOM + 13}" font-size="10">{escape(x_low)}</text>'
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - BOTTOM + 13}" font-size="10" text-anchor="end">{escape(x_high)}</text>'
        f'<text x="{LEFT - 4}" y="{HEIGHT - BOTTOM}" font-size="10" text-anchor="end">{escape(y_low)}</text>'
        f'<text x="{LEFT - 4}" y="{TOP + 8}" font-size="10" text-anchor="end">{escape(y_high)}</text>'
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 4}" font-size="11" text-anchor="middle">'
        f"{escape(x_label)}</text>"
        f'<text x="12" y="{mid_y}" font-size="11" text-anchor="middle" transform="rotate(-90 12 {mid_y})">'
        f"{escape(y_label)}</text>"
    )


def _svg(body: str) -> Markup:
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
                  f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img">{body}</svg>')


__all__ = ["bar_chart", "line_chart", "time_tick"]
