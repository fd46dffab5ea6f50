"""Render a DriftReport or a ValidationResult as one self-contained HTML file.

No network: the CSS is inline and the charts are inline SVG (reference and current
distributions overlaid per feature). Every name and value from the data is escaped.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from loopline.errors import InvalidInputError
from loopline.validation.anomalies import Anomaly, ValidationResult
from loopline.validation.drift_report import ColumnDrift, Distribution, DriftReport, Verdict

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1f2933;background:#fff}
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:28px 0 8px}
.summary{display:flex;gap:24px;flex-wrap:wrap;margin:12px 0}
.card{border:1px solid #d9e2ec;border-radius:6px;padding:8px 14px}
.card b{display:block;font-size:18px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e4e7eb;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f5f7fa}
.drift{color:#b42318;font-weight:600}.ok{color:#067647}.na{color:#7b8794}
.ERROR{color:#b42318;font-weight:600}.WARNING{color:#b54708;font-weight:600}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:16px}
.chart{border:1px solid #e4e7eb;border-radius:6px;padding:8px}
.chart h3{font-size:14px;margin:0 0 4px}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}
code,pre{font-size:12px;white-space:pre-wrap;word-break:break-word}
"""
_REFERENCE_COLOUR = "#2563eb"
_CURRENT_COLOUR = "#f97316"


def render_html(result: DriftReport | ValidationResult, path: str | Path) -> Path:
    """Write ``result`` as a self-contained HTML page to ``path`` and return the path."""
    target = Path(path)
    target.write_text(html_page(result), encoding="utf-8")
    return target


def html_page(result: DriftReport | ValidationResult) -> str:
    if isinstance(result, DriftReport):
        title, body = "Data drift report", _drift_body(result)
    elif isinstance(result, ValidationResult):
        title, body = "Data validation report", _validation_body(result)
    else:
        raise InvalidInputError(
            f"cannot render a {type(result).__name__} as HTML; expected a DriftReport or a ValidationResult"
        )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>{body}</body></html>\n"
    )


def _drift_body(report: DriftReport) -> str:
    change = report.rows.relative_change
    cards = [
        ("Dataset drift", "yes" if report.dataset_drift else "no"),
        ("Drifted columns", f"{len(report.drifted_columns)} of {len(report.columns)} ({report.drift_share:.0%})"),
        ("Share threshold", f"{report.share_threshold:.0%}"),
        ("Rows", f"{report.rows.reference} → {report.rows.current}"
                 + (f" ({change:+.1%})" if change is not None else "")),
    ]
    parts = [_cards(cards), "<h2>Columns</h2>", _drift_table(report.columns)]
    if report.anomalies:
        parts += ["<h2>Anomalies</h2>", _anomaly_table(report.anomalies)]
    charts = [_chart(c) for c in report.columns if c.distribution is not None]
    if charts:
        legend = (f'<p class="legend"><span style="background:{_REFERENCE_COLOUR}"></span>reference'
                  f'<span style="background:{_CURRENT_COLOUR}"></span>current</p>')
        parts += ["<h2>Distributions</h2>", legend, f'<div class="charts">{"".join(charts)}</div>']
    return "".join(parts)


def _validation_body(result: ValidationResult) -> str:
    cards = [("Result", "passed" if result.passed else "failed"), ("Errors", str(len(result.errors))),
             ("Warnings", str(len(result.warnings)))]
    table = _anomaly_table(result.anomalies) if result.anomalies else "<p>No anomalies.</p>"
    return _cards(cards) + "<h2>Anomalies</h2>" + table


def _cards(items: list[tuple[str, str]]) -> str:
    inner = "".join(f'<div class="card">{escape(label)}<b>{escape(value)}</b></div>' for label, value in items)
    return f'<div class="summary">{inner}</div>'


def _drift_table(columns: tuple[ColumnDrift, ...]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("column", "kind", "measure", "statistic", "p-value", "threshold",
                                              "verdict", "rows (ref / cur)", "note"))
    rows = []
    for c in columns:
        css = {"drift": "drift", "no drift": "ok"}.get(c.verdict.value, "na")
        note = c.reason or ("approximate (from histograms)" if c.approximate else "")
        cells = [c.column, c.kind, c.measure_title or "", _number(c.statistic), _number(c.p_value),
                 _number(c.threshold)]
        rows.append("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in cells)
                    + f'<td class="{css}">{escape(c.verdict.value)}</td>'
                    + f"<td>{c.reference_count} / {c.current_count}</td><td>{escape(note)}</td></tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _anomaly_table(anomalies: tuple[Anomaly, ...]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("severity", "code", "column", "message", "expected", "observed",
                                              "examples"))
    rows = []
    for a in anomalies:
        rows.append(
            f'<tr><td class="{escape(a.severity.value)}">{escape(a.severity.value)}</td>'
            f"<td>{escape(a.code.value)}</td><td>{escape(a.column or '')}</td><td>{escape(a.message)}</td>"
            f"<td><code>{escape(_json(a.expected))}</code></td><td><code>{escape(_json(a.observed))}</code></td>"
            f"<td><pre>{escape(_json(list(a.examples)))}</pre></td></tr>"
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _chart(column: ColumnDrift, width: int = 360, height: int = 140) -> str:
    dist: Distribution = column.distribution  # type: ignore[assignment]
    n = max(len(dist.labels), 1)
    top = max([*dist.reference, *dist.current, 1e-12])
    plot_h, bar_w = height - 24, width / n
    bars = []
    for i, label in enumerate(dist.labels):
        for share, colour in ((dist.reference[i], _REFERENCE_COLOUR), (dist.current[i], _CURRENT_COLOUR)):
            h = share / top * plot_h
            bars.append(
                f'<rect x="{i * bar_w + 1:.1f}" y="{plot_h - h:.1f}" width="{max(bar_w - 2, 1):.1f}" '
                f'height="{h:.1f}" fill="{colour}" fill-opacity="0.5"><title>{escape(label)}: '
                f"{'reference' if colour == _REFERENCE_COLOUR else 'current'} {share:.1%}</title></rect>"
            )
    first, last = escape(dist.labels[0]) if dist.labels else "", escape(dist.labels[-1]) if dist.labels else ""
    axis = (f'<line x1="0" y1="{plot_h}" x2="{width}" y2="{plot_h}" stroke="#9aa5b1"/>'
            f'<text x="0" y="{height - 6}" font-size="10">{first}</text>'
            f'<text x="{width}" y="{height - 6}" font-size="10" text-anchor="end">{last}</text>')
    verdict = {Verdict.DRIFT: "drift", Verdict.NO_DRIFT: "ok"}.get(column.verdict, "na")
    return (
        f'<div class="chart"><h3>{escape(column.column)} <span class="{verdict}">'
        f"{escape(column.verdict.value)}</span></h3>"
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(column.column)}">'
        f"{''.join(bars)}{axis}</svg></div>"
    )


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


__all__ = ["html_page", "render_html"]
