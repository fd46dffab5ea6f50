"""Monitoring: per model and per feature over the monitors' windows, alerts, and what they triggered.

Per model, each monitor's metrics over its windows (newest ``windows``, bounded) grouped
into panels: drift share, performance (value and relative to the reference), latency,
data quality, traffic, and the version that served each window. Per feature, each
window's drift verdict and measure, missing and out-of-domain shares, read from the
windows' details (the newest ``FEATURE_WINDOWS``). Each trigger firing is followed through
the run it started to the version registered and what became of it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Connection, select

from loopline.metadata import tables
from loopline.ui.access import reader
from loopline.ui.charts import line_chart, time_tick
from loopline.ui.decisions import RunOutcome, run_outcomes
from loopline.ui.models import plain
from loopline.ui.rendering import render

router = APIRouter(dependencies=[Depends(reader)])
MAX_SERIES = 40
MAX_MONITORS = 50
FEATURE_WINDOWS = 60
#: chart panels: title -> the metrics drawn in it (those a monitor has)
PANELS = {
    "drift share": ("drift.share",),
    "prediction drift": ("prediction_drift.statistic",),
    "performance": ("performance.value", "performance.ci_low", "performance.ci_high"),
    "performance relative to the reference": ("performance.relative",),
    "latency (ms)": ("operations.latency_p50_ms", "operations.latency_p95_ms", "operations.latency_p99_ms"),
    "errors": ("operations.error_rate",),
    "data quality": ("quality.missing_max", "quality.out_of_domain_max"),
    "training/serving skew": ("skew.max_distance",),
    "traffic": ("rows", "labelled"),
    "serving version": ("version",),
}


class FeatureCell(BaseModel):
    verdict: str | None = None
    value: float | None = Field(None, description="the drift measure (its p-value when it has one)")
    threshold: float | None = None
    missing_share: float | None = None
    out_of_domain_share: float | None = None


class FeatureRow(BaseModel):
    feature: str
    drifted_windows: int
    cells: list[FeatureCell]


class MonitorView(BaseModel):
    monitor: str
    model: str
    windows: int
    series: dict[str, list[tuple[float, float | None]]]
    window_starts: list[float] = Field(description="starts of the newest windows the feature rows cover")
    features: list[FeatureRow]


class Firing(BaseModel):
    firing: dict[str, Any]
    outcome: RunOutcome | None = None


class MonitoringPage(BaseModel):
    monitors: list[MonitorView]
    alert_states: list[dict[str, Any]]
    alert_events: list[dict[str, Any]]
    firings: list[Firing]


def monitoring_page(workspace: Any, *, windows: int = 200, model: str | None = None) -> MonitoringPage:
    w, s, e, f = tables.monitor_windows, tables.alert_states, tables.alert_events, tables.trigger_firings

    def work(conn: Connection) -> MonitoringPage:
        query = select(w.c.monitor, w.c.model).distinct().order_by(w.c.model, w.c.monitor)
        if model:
            query = query.where(w.c.model == model)
        monitors = [_monitor(conn, name, of, windows) for name, of in conn.execute(query).all()[:MAX_MONITORS]]
        states = [dict(r._mapping) for r in conn.execute(select(s).order_by(s.c.rule))]
        events = select(e).order_by(e.c.id.desc()).limit(100)
        if model:
            events = events.where(e.c.model == model)
        found = [dict(r._mapping) for r in conn.execute(events)]
        for event in found:
            event.pop("evidence", None)  # the whole measure: on the API of the alert, not in this list
        fired = [dict(r._mapping) for r in conn.execute(select(f).order_by(f.c.id.desc()).limit(100))]
        outcomes = run_outcomes(conn, [x["run_id"] for x in fired if x.get("run_id") is not None])
        return MonitoringPage(monitors=monitors, alert_states=plain(states), alert_events=plain(found),
                              firings=[Firing(firing=plain(x), outcome=outcomes.get(x.get("run_id"))) for x in fired])

    return workspace.registry.db.read(work)


def _monitor(conn: Connection, name: str, model: str, windows: int) -> MonitorView:
    w = tables.monitor_windows
    rows = conn.execute(select(w.c.window_start, w.c.metrics).where(w.c.monitor == name)
                        .order_by(w.c.window_start.desc()).limit(windows)).all()[::-1]
    series: dict[str, list[tuple[float, float | None]]] = {}
    for row in rows:
        for key, value in (row.metrics or {}).items():
            if len(series) < MAX_SERIES or key in series:
                series.setdefault(key, []).append((row.window_start.timestamp(), plain(value)))
    recent = conn.execute(select(w.c.window_start, w.c.details).where(w.c.monitor == name)
                          .order_by(w.c.window_start.desc()).limit(min(windows, FEATURE_WINDOWS))).all()[::-1]
    serving = [(r.window_start.timestamp(), _serving_version(r.details)) for r in recent]
    if any(v is not None for _, v in serving):
        series["version"] = serving
    return MonitorView(monitor=name, model=model, windows=len(rows), series=series,
                       window_starts=[r.window_start.timestamp() for r in recent],
                       features=_features([r.details or {} for r in recent]))


def _serving_version(details: dict[str, Any] | None) -> float | None:
    versions = (details or {}).get("versions") or {}
    if not versions:
        return None
    return float(max(versions.items(), key=lambda item: item[1])[0])


def _features(details: list[dict[str, Any]]) -> list[FeatureRow]:
    """Per feature, one cell per window: drift verdict and measure, missing and out-of-domain shares."""
    cells: dict[str, list[FeatureCell]] = {}
    for index, window in enumerate(details):
        drift = {c.get("column"): c for c in (window.get("drift") or {}).get("columns", [])}
        quality = {c.get("column"): c for c in (window.get("quality") or {}).get("columns", [])}
        for feature in dict.fromkeys([*drift, *quality]):
            if feature is None:
                continue
            d, q = drift.get(feature, {}), quality.get(feature, {})
            value = d.get("p_value") if d.get("p_value") is not None else d.get("statistic")
            if feature not in cells:
                cells[feature] = [FeatureCell() for _ in range(len(details))]
            row = cells[feature]
            row[index] = FeatureCell(verdict=d.get("verdict"), value=plain(value), threshold=plain(d.get("threshold")),
                                     missing_share=plain(q.get("missing_share")),
                                     out_of_domain_share=plain(q.get("out_of_domain_share")))
    return [FeatureRow(feature=name, drifted_windows=sum(c.verdict == "drift" for c in row), cells=row)
            for name, row in cells.items()]


def panel_charts(monitor: MonitorView, thresholds: dict[str, float] | None = None) -> list[tuple[str, Any]]:
    """The monitor's charts, one per panel whose metrics it has; an alert rule's threshold dashed."""
    charts = []
    for title, keys in PANELS.items():
        chosen = {key: monitor.series[key] for key in keys if key in monitor.series}
        if any(v is not None for points in chosen.values() for _, v in points):
            limit = (thresholds or {}).get(keys[0])
            charts.append((title, line_chart(chosen, x_label="window start (UTC)", x_format=time_tick,
                                             threshold=limit)))
    return charts


def alert_thresholds(page: MonitoringPage) -> dict[tuple[str, str], float]:
    """(model, metric) -> the threshold of the newest alert event on that metric."""
    found: dict[tuple[str, str], float] = {}
    for event in page.alert_events:  # newest first
        if event.get("threshold") is not None:
            found.setdefault((event["model"], event["metric"]), event["threshold"])
    return found


def feature_charts(monitor: MonitorView, feature: str) -> list[tuple[str, Any]]:
    row = next((r for r in monitor.features if r.feature == feature), None)
    if row is None:
        return []
    xs = monitor.window_starts
    threshold = next((c.threshold for c in row.cells if c.threshold is not None), None)
    return [
        (f"{feature}: drift measure", line_chart({"measure": list(zip(xs, [c.value for c in row.cells], strict=True))},
                                                 x_label="window start (UTC)", x_format=time_tick,
                                                 threshold=threshold)),
        (f"{feature}: data quality", line_chart(
            {"missing share": list(zip(xs, [c.missing_share for c in row.cells], strict=True)),
             "out of domain share": list(zip(xs, [c.out_of_domain_share for c in row.cells], strict=True))},
            x_label="window start (UTC)", x_format=time_tick)),
    ]


@router.get("/api/monitoring", response_model=MonitoringPage, tags=["monitoring"],
            summary="Per model and per feature over the monitors' windows, alerts, and what the triggers started")
def api_monitoring(request: Request, windows: int = Query(200, ge=1, le=5000),
                   model: str | None = Query(None, max_length=200)) -> MonitoringPage:
    return monitoring_page(request.app.state.workspace, windows=windows, model=model)


@router.get("/monitoring", include_in_schema=False)
def monitoring_html(request: Request, model: str | None = Query(None, max_length=200),
                    feature: str | None = Query(None, max_length=200)) -> Any:
    page = monitoring_page(request.app.state.workspace, model=model)
    limits = alert_thresholds(page)
    charts = {m.monitor: panel_charts(m, {metric: v for (of, metric), v in limits.items() if of == m.model})
              for m in page.monitors}
    features = {m.monitor: feature_charts(m, feature) for m in page.monitors} if feature else {}
    labels = {m.monitor: [datetime.fromtimestamp(x, UTC).strftime("%m-%d") for x in m.window_starts]
              for m in page.monitors}
    return render(request, "monitoring.html", {"title": "Monitoring", "section": "monitoring", "page": page,
                                               "charts": charts, "feature": feature, "feature_charts": features,
                                               "labels": labels, "model": model})


__all__ = ["MonitoringPage", "monitoring_page", "router"]
