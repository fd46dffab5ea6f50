"""The demo's summary in the terminal and its self-contained HTML report (inline SVG, no scripts, no network)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from loopline.cli import _output

WIDTH, HEIGHT = 960, 310
LEFT, RIGHT, TOP, BOTTOM = 60, 200, 30, 40
COLORS = ("#2563eb", "#f97316", "#16a34a", "#9333ea")
GREY = "#9aa5b1"


def monthly(loop: Any) -> Any:
    """Served MAE and the frozen first model's MAE per month, with the versions that served."""
    import pandas as pd

    served = loop.served.copy()
    served["frozen"] = loop.frozen.to_numpy() if len(loop.frozen) == len(served) else float("nan")
    answered = served.dropna(subset=["prediction"])
    month = pd.to_datetime(answered["timestamp"], utc=True).dt.strftime("%Y-%m")
    table = pd.DataFrame({
        "served": (answered["prediction"].clip(lower=0) - answered["truth"]).abs().groupby(month).mean(),
        "frozen": (answered["frozen"] - answered["truth"]).abs().groupby(month).mean(),
        "demand": answered["truth"].groupby(month).mean(),
        "versions": answered["version"].groupby(month).agg(lambda v: ",".join(str(int(x)) for x in sorted(set(v)))),
    })
    return table


def overall(loop: Any) -> dict[str, float]:
    served = loop.served.dropna(subset=["prediction"])
    frozen = loop.frozen.to_numpy()[loop.served["prediction"].notna().to_numpy()] if len(loop.frozen) else []
    truth = served["truth"].to_numpy()
    return {
        "served_mae": float(abs(served["prediction"].clip(lower=0).to_numpy() - truth).mean()) if len(truth) else 0.0,
        "frozen_mae": float(abs(frozen - truth).mean()) if len(truth) and len(frozen) else 0.0,
        "requests": float(len(loop.served)),
        "answered": float(len(served)),
        "retrainings": float(len(loop.firings)),
    }


def summary_figures(loop: Any) -> dict[str, Any]:
    """The summary as plain data (``loopline demo --json``)."""
    table = monthly(loop)
    return {
        "policy": loop.policy, "days": loop.days, **overall(loop),
        "versions_promoted": len([s for s in loop.versions if s.live_from]) - 1,
        "rollbacks": len([s for s in loop.versions if s.rolled_back_at]),
        "held": len(loop.held), "alerts_fired": len([a for a in loop.alerts if a["state"] == "firing"]),
        "months": {m: {"served_mae": r.served, "frozen_mae": r.frozen, "demand": r.demand, "versions": r.versions}
                   for m, r in table.iterrows()},
        "elapsed_s": loop.elapsed_s, "retrain_s": loop.retrain_s, "timings": dict(loop.timings),
    }


def print_summary(loop: Any) -> None:
    console = _output.console
    numbers = overall(loop)
    rows = []
    for story in loop.versions:
        rows.append((f"bikes/{story.version}", f"{story.trained_at:%Y-%m-%d}", _output.escape(story.why),
                     _output.escape(story.blessing), f"{story.live_from:%Y-%m-%d}" if story.live_from else "never",
                     f"{story.rolled_back_at:%Y-%m-%d}" if story.rolled_back_at else ""))
    _output.table("Model versions (trained on the data up to the day shown)",
                  ["version", "trained", "why", "blessing", "live from", "rolled back"], rows)
    if loop.held:
        _output.table("Candidates not promoted", ["day", "run", "reason"], [
            (f"{h['at']:%Y-%m-%d}", h["run_id"], _output.escape(h["blessing"])) for h in loop.held])
    fired = [a for a in loop.alerts if a["state"] == "firing"]
    counts = Counter(a["rule"] for a in fired)
    console.print(f"alerts fired: {len(fired)}" + (" (" + ", ".join(f"{r} {n}" for r, n in sorted(counts.items()))
                                                  + ")" if counts else ""))
    table = monthly(loop)
    _output.table("Served MAE by month (rentals per hour)", ["month", "mean demand", "continuous training",
                                                            "first model frozen", "versions serving"], [
        (month, f"{row.demand:.0f}", f"{row.served:.1f}", f"{row.frozen:.1f}", row.versions)
        for month, row in table.iterrows()])
    console.print(
        f"[bold]served MAE[/] over {loop.days} days, {int(numbers['answered'])} of {int(numbers['requests'])} "
        f"requests answered: [bold]{numbers['served_mae']:.1f}[/] with {loop.policy} retraining "
        f"({len(loop.firings)} retraining(s), {len(loop.versions) - 1} new version(s) promoted) against "
        f"[bold]{numbers['frozen_mae']:.1f}[/] for the first model left frozen")
    if loop.refused:
        console.print(f"{len(loop.refused)} request(s) refused, e.g. {_output.escape(loop.refused[0][:200])}")
    spent = loop.timings
    agent = spent.get("day_end", 0.0) - loop.retrain_s - spent.get("swaps", 0.0)
    console.print(f"replay: {loop.elapsed_s:.0f} s: {spent.get('requests', 0.0):.0f} s answering requests, "
                  f"{spent.get('feedback', 0.0) + spent.get('log', 0.0):.0f} s feedback and logging, "
                  f"{agent:.0f} s monitoring and triggers, {loop.retrain_s:.0f} s retraining, "
                  f"{spent.get('swaps', 0.0):.0f} s until the server swapped versions")


def write_report(loop: Any, path: Path) -> Path:
    """The summary with its charts as one HTML file."""
    table = monthly(loop)
    numbers = overall(loop)
    months = list(table.index)
    xs = list(range(len(months)))
    ticks = [(i, m) for i, m in enumerate(months) if m.endswith(("-01", "-04", "-07", "-10"))]
    monthly_svg = line_chart({"continuous training": list(zip(xs, table["served"], strict=True)),
                              "first model frozen": list(zip(xs, table["frozen"], strict=True))},
                             ticks=ticks, y_label="MAE, rentals per hour")
    days = loop.windows
    start = days[0]["start"] if days else None

    def day_index(moment: datetime) -> float:
        return (moment - start).total_seconds() / 86400 if start else 0.0

    day_ticks = [(day_index(w["start"]), f"{w['start']:%Y-%m}") for w in days
                 if w["start"].day == 1 and w["start"].month in (1, 4, 7, 10)]
    markers = [(day_index(s.live_from), f"v{s.version} live", COLORS[2]) for s in loop.versions
               if s.live_from and start and s.live_from >= start]
    markers += [(day_index(s.rolled_back_at), f"v{s.version} rolled back", "#dc2626") for s in loop.versions
                if s.rolled_back_at and start]
    error_svg = line_chart({"daily MAE / mean demand": [(day_index(w["start"]), w["relative_error"]) for w in days],
                            "share of drifted features": [(day_index(w["start"]), w["drift_share"]) for w in days]},
                           ticks=day_ticks, y_label="share", markers=markers)
    versions_rows = "".join(
        f"<tr><td>bikes/{s.version}</td><td>{s.trained_at:%Y-%m-%d}</td><td>{escape(s.data_end)}</td>"
        f"<td>{escape(s.why)}</td><td>{escape(s.blessing)}</td>"
        f"<td>{f'{s.live_from:%Y-%m-%d}' if s.live_from else 'never'}</td>"
        f"<td>{escape(s.rollback_reason) if s.rolled_back_at else ''}</td></tr>" for s in loop.versions)
    held_rows = "".join(f"<tr><td>{h['at']:%Y-%m-%d}</td><td>{h['run_id']}</td><td>{escape(h['blessing'])}</td></tr>"
                        for h in loop.held) or "<tr><td colspan=3>none</td></tr>"
    alert_rows = "".join(
        f"<tr><td>{a['at']:%Y-%m-%d}</td><td>{escape(a['rule'])}</td><td>{escape(a['state'])}</td>"
        f"<td>{escape(a['window'])}</td><td>{escape(a['metric'])} = {a['value']:.3g}</td></tr>"
        for a in loop.alerts) or "<tr><td colspan=5>none</td></tr>"
    month_rows = "".join(f"<tr><td>{m}</td><td>{r.demand:.0f}</td><td>{r.served:.1f}</td><td>{r.frozen:.1f}</td>"
                         f"<td>{escape(str(r.versions))}</td></tr>" for m, r in table.iterrows())
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Loopline demo report</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2rem auto;max-width:980px;color:#1f2933}}
table{{border-collapse:collapse;margin:.5rem 0 1.5rem}} td,th{{border:1px solid #d9e2ec;padding:.25rem .5rem;
font-size:.85rem;text-align:left;vertical-align:top}} th{{background:#f0f4f8}}
.figure{{margin:1rem 0}} .big{{font-size:1.2rem}}
</style></head><body>
<h1>Bike-sharing demand: the loop, {loop.days} days</h1>
<p class="big">Served MAE <b>{numbers['served_mae']:.1f}</b> rentals per hour with {escape(loop.policy)} retraining
({len(loop.firings)} retraining(s), {len(loop.versions) - 1} new version(s) promoted), against
<b>{numbers['frozen_mae']:.1f}</b> for the first model left frozen;
{int(numbers['answered'])} of {int(numbers['requests'])} hourly requests answered.</p>
<h2>Served MAE by month</h2><div class="figure">{monthly_svg}</div>
<h2>Daily monitor windows</h2>
<p>Each day's error relative to demand (once the true counts arrived) and the share of features that drifted
from the serving version's training data; green lines: a new version goes live.</p>
<div class="figure">{error_svg}</div>
<h2>Model versions</h2>
<table><tr><th>version</th><th>trained</th><th>data up to</th><th>why</th><th>blessing</th><th>live from</th>
<th>rolled back</th></tr>{versions_rows}</table>
<h2>Candidates not promoted</h2><table><tr><th>day</th><th>run</th><th>reason</th></tr>{held_rows}</table>
<h2>Alerts</h2><table><tr><th>day</th><th>rule</th><th>state</th><th>window</th><th>value</th></tr>{alert_rows}</table>
<h2>By month</h2><table><tr><th>month</th><th>mean demand</th><th>continuous training</th>
<th>first model frozen</th><th>versions</th></tr>{month_rows}</table>
</body></html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def line_chart(series: dict[str, Sequence[tuple[float, float | None]]], *, ticks: Sequence[tuple[float, str]],
               y_label: str, markers: Sequence[tuple[float, str, str]] = ()) -> str:
    """Lines over a shared x axis, a legend on the right, vertical markers; None values break a line."""
    points = [(x, y) for values in series.values() for x, y in values if _number(y)]
    if not points:
        return "<p>no data</p>"
    x_low, x_high = min(p[0] for p in points), max(p[0] for p in points)
    y_high = max(p[1] for p in points) * 1.05 or 1.0
    x_span = (x_high - x_low) or 1.0

    def sx(x: float) -> float:
        return LEFT + (x - x_low) / x_span * (WIDTH - LEFT - RIGHT)

    def sy(y: float) -> float:
        return HEIGHT - BOTTOM - y / y_high * (HEIGHT - TOP - BOTTOM)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" role="img" '
             f'font-family="sans-serif" font-size="11">',
             f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" stroke="{GREY}"/>',
             f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="{GREY}"/>',
             f'<text x="{LEFT}" y="14" fill="#52606d">{escape(y_label)}</text>']
    for i in range(5):
        value = y_high * i / 4
        parts.append(f'<text x="{LEFT - 6}" y="{sy(value) + 4:.1f}" text-anchor="end" fill="#52606d">'
                     f'{value:.3g}</text>')
    for x, label in ticks:
        parts.append(f'<text x="{sx(x):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" fill="#52606d">'
                     f'{escape(label)}</text>')
    for x, label, color in markers:
        parts.append(f'<line x1="{sx(x):.1f}" y1="{TOP}" x2="{sx(x):.1f}" y2="{HEIGHT - BOTTOM}" stroke="{color}" '
                     f'stroke-dasharray="3,3"><title>{escape(label)}</title></line>')
    for index, (name, values) in enumerate(series.items()):
        color = COLORS[index % len(COLORS)]
        for run in _runs(values):
            path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in run)
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.6" points="{path}"/>')
        y = TOP + 14 + index * 16
        parts.append(f'<line x1="{WIDTH - RIGHT + 10}" y1="{y - 4}" x2="{WIDTH - RIGHT + 28}" y2="{y - 4}" '
                     f'stroke="{color}" stroke-width="2"/>')
        parts.append(f'<text x="{WIDTH - RIGHT + 32}" y="{y}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _runs(values: Sequence[tuple[float, float | None]]) -> list[list[tuple[float, float]]]:
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in values:
        if _number(y):
            runs[-1].append((x, float(y)))  # type: ignore[arg-type]
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and value == value


__all__ = ["line_chart", "monthly", "overall", "print_summary", "summary_figures", "write_report"]
