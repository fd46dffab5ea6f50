"""An Evaluation (and, optionally, its Blessing) as one self-contained HTML page.

Inline CSS and inline SVG only: the page opens from disk with no network. Every name
and value that came from data is escaped. Accepts the values themselves or the dicts
they are stored as.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from pathlib import Path
from typing import Any

from loopline.evaluation.metrics import CLASSIFICATION, DIRECTIONS, REGRESSION
from loopline.evaluation.records import Blessing, Evaluation, RuleCheck, as_blessing, as_evaluation
from loopline.evaluation.svg import bars_svg, curve_svg, histogram_svg, scatter_svg

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1f2933;background:#fff}
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:28px 0 8px}h3{font-size:14px;margin:0 0 4px}
.summary{display:flex;gap:16px;flex-wrap:wrap;margin:12px 0}
.card{border:1px solid #d9e2ec;border-radius:6px;padding:8px 14px}.card b{display:block;font-size:18px}
table{border-collapse:collapse;font-size:13px;margin-bottom:8px}
th,td{border-bottom:1px solid #e4e7eb;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f5f7fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#067647;font-weight:600}.fail{color:#b42318;font-weight:600}.na{color:#7b8794}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(390px,1fr));gap:16px}
.chart{border:1px solid #e4e7eb;border-radius:6px;padding:8px}
"""
PRIMARY = {"regression": "rmse", "classification": "accuracy"}
SLICE_COLUMNS = 5  # metrics shown per slice; the page stays readable, the artifact keeps them all


def render_evaluation_html(
    evaluation: Evaluation | Mapping[str, Any],
    path: str | Path,
    *,
    blessing: Blessing | Mapping[str, Any] | None = None,
) -> Path:
    """Write the evaluation (and blessing) as a self-contained HTML page to ``path``; return the path."""
    target = Path(path)
    target.write_text(evaluation_html(evaluation, blessing=blessing), encoding="utf-8")
    return target


def evaluation_html(
    evaluation: Evaluation | Mapping[str, Any], *, blessing: Blessing | Mapping[str, Any] | None = None
) -> str:
    """The page's HTML text."""
    value = as_evaluation(evaluation)
    verdict = None if blessing is None else as_blessing(blessing)
    title = f"Model evaluation: {value.model}" if value.model else "Model evaluation"
    parts = [f"<h1>{escape(title)}</h1>", _cards(value, verdict)]
    if verdict is not None:
        parts.append(_blessing_section(verdict))
    parts += ["<h2>Metrics</h2>", _metrics_table(value.task, value.metrics)]
    parts.append(_plots(value))
    parts.append(_slices(value))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>{''.join(parts)}</body></html>\n"
    )


def _cards(value: Evaluation, verdict: Blessing | None) -> str:
    cards = [("Task", value.task), ("Target", value.target), ("Rows", f"{value.rows:,}")]
    primary = PRIMARY.get(value.task)
    if primary in value.metrics:
        cards.append((primary.upper(), _number(value.metrics[primary])))
    if verdict is not None:
        cards.append(("Blessing", "blessed" if verdict.blessed else "not blessed"))
    inner = "".join(f'<div class="card">{escape(k)}<b>{escape(str(v))}</b></div>' for k, v in cards)
    return f'<div class="summary">{inner}</div>'


def _ordered(task: str, names: Iterable[str]) -> list[str]:
    """Metric names in the task's order (the headline metrics first), unknown ones after."""
    known = list(REGRESSION if task == "regression" else CLASSIFICATION)
    given = list(dict.fromkeys(names))
    return [n for n in known if n in given] + sorted(n for n in given if n not in known)


def _metrics_table(task: str, metrics: Mapping[str, float]) -> str:
    rows = "".join(
        f'<tr><td>{escape(name)}</td><td class="num">{_number(metrics[name])}</td>'
        f'<td class="na">{escape(DIRECTIONS.get(name, ""))} is better</td></tr>'
        for name in _ordered(task, metrics)
    )
    return f"<table><tr><th>metric</th><th>value</th><th></th></tr>{rows}</table>"


def _blessing_section(verdict: Blessing) -> str:
    against = escape(verdict.baseline_ref) if verdict.baseline_ref else "no baseline"
    head = (f'<h2>Blessing: <span class="{"pass" if verdict.blessed else "fail"}">'
            f'{"blessed" if verdict.blessed else "not blessed"}</span></h2>'
            f"<p>{escape(verdict.summary)} — against {against}.</p>")
    rows = "".join(_check_row(c) for c in verdict.checks)
    table = ("<table><tr><th>rule</th><th>verdict</th><th>candidate</th><th>baseline</th><th>change</th>"
             f"<th>note</th></tr>{rows}</table>")
    details = [_slice_details(c) for c in verdict.checks if c.details]
    return head + table + "".join(details)


def _check_row(check: RuleCheck) -> str:
    verdict = {True: ("pass", "passed"), False: ("fail", "failed"), None: ("na", "not applicable")}[check.passed]
    return (f"<tr><td>{escape(check.rule)}</td><td class=\"{verdict[0]}\">{verdict[1]}</td>"
            f'<td class="num">{_number(check.value)}</td><td class="num">{_number(check.baseline)}</td>'
            f'<td class="num">{_percent(check.change)}</td><td>{escape(check.note)}</td></tr>')


def _slice_details(check: RuleCheck) -> str:
    rows = "".join(
        f"<tr><td>{escape(str(d['column']))}</td><td>{escape(str(d['value']))}</td>"
        f'<td class="num">{d["rows"]}</td><td class="num">{_number(d["candidate"])}</td>'
        f'<td class="num">{_number(d["baseline"])}</td><td class="num">{_percent(d["change"])}</td>'
        f'<td class="{"pass" if d["passed"] else "fail"}">{"ok" if d["passed"] else "too much worse"}</td></tr>'
        for d in check.details
    )
    return (f"<h3>{escape(check.rule)}</h3><table><tr><th>slice</th><th>value</th><th>rows</th><th>candidate</th>"
            f"<th>baseline</th><th>change</th><th></th></tr>{rows}</table>")


def _plots(value: Evaluation) -> str:
    plots = value.plots
    charts: list[tuple[str, str]] = []
    if "predicted_vs_actual" in plots:
        p = plots["predicted_vs_actual"]
        charts.append(("Predicted against actual", scatter_svg(p["actual"], p["predicted"], x_label="actual",
                                                               y_label="predicted")))
    if "residuals" in plots:
        r = plots["residuals"]
        charts.append(("Residuals (predicted − actual)", histogram_svg(r["edges"], r["counts"], x_label="residual")))
    if "calibration" in plots:
        c = plots["calibration"]
        charts.append(("Calibration", curve_svg(c["predicted"], c["observed"], x_label="mean predicted probability",
                                                y_label="observed share")))
    if "roc" in plots:
        r = plots["roc"]
        charts.append(("ROC curve", curve_svg(r["fpr"], r["tpr"], x_label="false positive rate",
                                              y_label="true positive rate")))
    html = "".join(f'<div class="chart"><h3>{escape(t)}</h3>{svg}</div>' for t, svg in charts if svg)
    if "confusion_matrix" in plots:
        html += f'<div class="chart"><h3>Confusion matrix</h3>{_confusion(plots["confusion_matrix"])}</div>'
    return f'<h2>Plots</h2><div class="charts">{html}</div>' if html else ""


def _confusion(data: Mapping[str, Any]) -> str:
    labels = [str(v) for v in data["labels"]]
    matrix = data["matrix"]
    top = max((c for row in matrix for c in row), default=0) or 1
    head = "".join(f"<th>{escape(v)}</th>" for v in labels)
    rows = "".join(
        f"<tr><th>{escape(label)}</th>" + "".join(
            f'<td class="num" style="background:rgba(37,99,235,{0.08 + 0.6 * c / top:.2f})">{c}</td>' for c in row
        ) + "</tr>"
        for label, row in zip(labels, matrix, strict=True)
    )
    return f"<table><tr><th>actual \\ predicted</th>{head}</tr>{rows}</table>"


def _slices(value: Evaluation) -> str:
    if not value.slices:
        return ""
    primary = PRIMARY.get(value.task, next(iter(value.metrics), ""))
    parts = ["<h2>Slices</h2>", '<div class="charts">']
    tables = []
    for column in value.slice_columns():
        pieces = [s for s in value.slices if s.column == column]
        shown = [s for s in pieces if primary in s.metrics]
        chart = bars_svg([s.value for s in shown], [s.metrics[primary] for s in shown], title=f"{primary} by {column}")
        parts.append(f'<div class="chart"><h3>{escape(column)}</h3>{chart}</div>')
        names = _ordered(value.task, (k for s in pieces for k in s.metrics))[:SLICE_COLUMNS]
        head = "".join(f"<th>{escape(n)}</th>" for n in names)
        rows = "".join(
            f"<tr><td>{escape(s.value)}</td><td class=\"num\">{s.rows}</td>"
            + "".join(f'<td class="num">{_number(s.metrics.get(n))}</td>' for n in names) + "</tr>"
            for s in pieces
        )
        tables.append(f"<h3>{escape(column)}</h3><table><tr><th>value</th><th>rows</th>{head}</tr>{rows}</table>")
    parts.append("</div>")
    return "".join(parts) + "".join(tables)


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:,.4g}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1%}"


__all__ = ["evaluation_html", "render_evaluation_html"]
