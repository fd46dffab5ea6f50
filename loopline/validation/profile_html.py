"""A Profile as one self-contained HTML page: a summary, a table of columns, a chart per column.

No network: inline CSS and SVG, like the drift and validation reports. Numeric columns get
their histogram, categorical ones their most frequent values. Every name and value from
the data is escaped.
"""

from __future__ import annotations

from html import escape

from loopline.validation.profile import ColumnProfile, Profile

CHART_BINS = 30
CHART_CATEGORIES = 15
_BAR = "#2563eb"
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1f2933;background:#fff}
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:28px 0 8px}
.summary{display:flex;gap:24px;flex-wrap:wrap;margin:12px 0}
.card{border:1px solid #d9e2ec;border-radius:6px;padding:8px 14px}.card b{display:block;font-size:18px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e4e7eb;padding:5px 8px;text-align:left;vertical-align:top}th{background:#f5f7fa}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:16px}
.chart{border:1px solid #e4e7eb;border-radius:6px;padding:8px}.chart h3{font-size:14px;margin:0 0 4px}
"""


def profile_page(stats: Profile, title: str = "Data profile") -> str:
    """The page for ``stats`` as text (write it with any atomic file write)."""
    cards = [("Rows", str(stats.rows)), ("Columns", str(len(stats.columns))),
             ("Duplicate rows", "" if stats.duplicate_rows is None else str(stats.duplicate_rows))]
    if stats.source:
        cards.append(("Source", stats.source))
    summary = "".join(f'<div class="card">{escape(k)}<b>{escape(v)}</b></div>' for k, v in cards)
    charts = "".join(chart for c in stats.columns if (chart := _chart(c)))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body><h1>{escape(title)}</h1>"
        f'<div class="summary">{summary}</div><h2>Columns</h2>{_table(stats)}'
        f'<h2>Distributions</h2><div class="charts">{charts}</div></body></html>\n'
    )


def column_summary(col: ColumnProfile) -> dict[str, str]:
    """The cells a table shows for one column, as text (shared by the page and the command line)."""
    cells = {"min": "", "max": "", "mean": "", "std": "", "top": ""}
    if col.numeric is not None:
        n = col.numeric
        cells.update(min=_number(n.min), max=_number(n.max), mean=_number(n.mean), std=_number(n.std))
        extras = [f"{label} {count}" for label, count in (("zeros", n.zeros), ("NaN", n.nan), ("inf", n.inf)) if count]
        cells["top"] = ", ".join(extras)
    elif col.datetime is not None:
        cells.update(min=col.datetime.min or "", max=col.datetime.max or "")
        if col.datetime.gaps:
            gap = col.datetime.gaps[0]
            cells["top"] = f"largest gap {gap.start} → {gap.end}"
    if col.categories is not None:
        shown = ", ".join(f"{value} ({count})" for value, count in col.categories.top[:3])
        more = len(col.categories.top) > 3 or col.categories.other
        cells["top"] = shown + (", …" if more else "")
    return cells


def _table(stats: Profile) -> str:
    heads = ("column", "kind", "count", "missing", "distinct", "min", "max", "mean", "std", "top values / notes")
    rows = []
    for col in stats.columns:
        cells = column_summary(col)
        values = [col.name, col.kind.value, str(col.count), f"{col.missing} ({col.missing_fraction:.1%})",
                  f"{col.distinct}{'' if col.distinct_exact else '≈'}", cells["min"], cells["max"], cells["mean"],
                  cells["std"], cells["top"]]
        rows.append("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in values) + "</tr>")
    head = "".join(f"<th>{escape(h)}</th>" for h in heads)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _chart(col: ColumnProfile) -> str:
    bars: list[tuple[str, int]] = []
    if col.numeric is not None and col.numeric.histogram is not None and col.numeric.histogram.count:
        edges, counts = col.numeric.histogram.coarse(CHART_BINS)
        inner = range(1, len(counts) - 1)  # the first and last buckets hold values outside the grid
        bars = [(f"{edges[i]:.4g} – {edges[i + 1]:.4g}", int(c)) for i, c in enumerate(counts) if c or i in inner]
    elif col.categories is not None and col.categories.top:
        bars = list(col.categories.top[:CHART_CATEGORIES])
        if len(col.categories.top) > CHART_CATEGORIES or col.categories.other:
            rest = sum(c for _, c in col.categories.top[CHART_CATEGORIES:]) + col.categories.other
            bars.append(("(other)", rest))
    if not bars:
        return ""
    return f'<div class="chart"><h3>{escape(col.name)}</h3>{_svg(col.name, bars)}</div>'


def _svg(name: str, bars: list[tuple[str, int]], width: int = 360, height: int = 140) -> str:
    top = max(c for _, c in bars) or 1
    plot_h, bar_w = height - 24, width / len(bars)
    rects = []
    for i, (label, count) in enumerate(bars):
        h = count / top * plot_h
        rects.append(
            f'<rect x="{i * bar_w + 1:.1f}" y="{plot_h - h:.1f}" width="{max(bar_w - 2, 1):.1f}" height="{h:.1f}" '
            f'fill="{_BAR}" fill-opacity="0.6"><title>{escape(label)}: {count}</title></rect>'
        )
    first, last = escape(bars[0][0]), escape(bars[-1][0])
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{escape(name)}">{"".join(rects)}'
            f'<line x1="0" y1="{plot_h}" x2="{width}" y2="{plot_h}" stroke="#9aa5b1"/>'
            f'<text x="0" y="{height - 6}" font-size="10">{first}</text>'
            f'<text x="{width}" y="{height - 6}" font-size="10" text-anchor="end">{last}</text></svg>')


def _number(value: float | None) -> str:
    if value is None:
        return ""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


__all__ = ["column_summary", "profile_page"]
