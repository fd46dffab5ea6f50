"""Monitoring: each monitor's metrics over its windows, alerts (their state and events), and what they triggered.

Windows come from the monitor store's table (newest first, bounded); trigger firings
name the run each one started, so an alert leads to the retraining it caused.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import Connection, select

from loopline.metadata import tables
from loopline.ui.access import reader
from loopline.ui.charts import line_chart, time_tick
from loopline.ui.models import plain
from loopline.ui.rendering import render

router = APIRouter(dependencies=[Depends(reader)])
MAX_SERIES = 24


class MonitorView(BaseModel):
    monitor: str
    model: str
    windows: int
    series: dict[str, list[tuple[float, float | None]]]


class MonitoringPage(BaseModel):
    monitors: list[MonitorView]
    alert_states: list[dict[str, Any]]
    alert_events: list[dict[str, Any]]
    firings: list[dict[str, Any]]


def monitoring_page(workspace: Any, *, windows: int = 200) -> MonitoringPage:
    w, s, e, f = tables.monitor_windows, tables.alert_states, tables.alert_events, tables.trigger_firings

    def work(conn: Connection) -> MonitoringPage:
        names = conn.execute(select(w.c.monitor, w.c.model).distinct().order_by(w.c.monitor)).all()
        monitors = []
        for name, model in names[:50]:
            rows = conn.execute(select(w.c.window_start, w.c.metrics).where(w.c.monitor == name)
                                .order_by(w.c.window_start.desc()).limit(windows)).all()[::-1]
            series: dict[str, list[tuple[float, float | None]]] = {}
            for row in rows:
                for key, value in (row.metrics or {}).items():
                    if len(series) < MAX_SERIES or key in series:
                        series.setdefault(key, []).append((row.window_start.timestamp(), plain(value)))
            monitors.append(MonitorView(monitor=name, model=model, windows=len(rows), series=series))
        states = [dict(r._mapping) for r in conn.execute(select(s).order_by(s.c.rule))]
        events = [dict(r._mapping) for r in conn.execute(select(e).order_by(e.c.id.desc()).limit(100))]
        firings = [dict(r._mapping) for r in conn.execute(select(f).order_by(f.c.id.desc()).limit(100))]
        return MonitoringPage(monitors=monitors, alert_states=plain(states), alert_events=plain(events),
                              firings=plain(firings))

    return workspace.registry.db.read(work)


@router.get("/api/monitoring", response_model=MonitoringPage, tags=["monitoring"],
            summary="Monitor metrics over windows, alert states and events, trigger firings")
def api_monitoring(request: Request, windows: int = Query(200, ge=1, le=5000)) -> MonitoringPage:
    return monitoring_page(request.app.state.workspace, windows=windows)


@router.get("/monitoring", include_in_schema=False)
def monitoring_html(request: Request) -> Any:
    page = monitoring_page(request.app.state.workspace)
    charts = {m.monitor: [(key, line_chart({key: points}, x_label="window start (UTC)", x_format=time_tick))
                          for key, points in sorted(m.series.items())] for m in page.monitors}
    return render(request, "monitoring.html", {"title": "Monitoring", "section": "monitoring", "page": page,
                                               "charts": charts})


__all__ = ["MonitoringPage", "monitoring_page", "router"]
