"""Deployments: what serves where and how (strategy, canary split), rollouts, and traffic from the prediction log.

Request rate, latency and the share of rows without an output are counted per hour over
the last day, from one query on the prediction log's (model, created_at) index.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
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
MAX_ROWS = 200_000


class TrafficPoint(BaseModel):
    hour: datetime
    requests: int
    rows: int
    p50_ms: float | None
    p95_ms: float | None
    no_output: int


class DeploymentView(BaseModel):
    deployment: dict[str, Any]
    serving_version: int | None
    rollouts: list[dict[str, Any]]
    traffic: list[TrafficPoint]
    by_variant: dict[str, int]


class DeploymentsPage(BaseModel):
    deployments: list[DeploymentView]
    hours: int


def deployed_version(workspace: Any, model: str) -> Any:
    """The model version a deployment serves now (its alias's version)."""
    from loopline.deployment.store import load_deployment

    deployment = workspace.registry.db.read(lambda conn: load_deployment(conn, model))
    return workspace.registry.resolve(f"{model}@{deployment.alias}")


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def traffic(conn: Connection, model: str, since: datetime) -> tuple[list[TrafficPoint], dict[str, int]]:
    p = tables.predictions
    rows = conn.execute(select(p.c.created_at, p.c.request_id, p.c.latency_ms, p.c.served_as,
                               p.c.output.is_(None).label("missing"))
                        .where(p.c.model == model, p.c.created_at >= since).order_by(p.c.created_at)
                        .limit(MAX_ROWS)).all()
    hours: dict[datetime, dict[str, Any]] = defaultdict(lambda: {"requests": set(), "latency": [], "rows": 0,
                                                                "missing": 0})
    variants: dict[str, int] = defaultdict(int)
    for row in rows:
        bucket = hours[row.created_at.replace(minute=0, second=0, microsecond=0)]
        bucket["requests"].add(row.request_id)
        bucket["latency"].append(row.latency_ms)
        bucket["rows"] += 1
        bucket["missing"] += int(bool(row.missing))
        variants[row.served_as] += 1
    points = [TrafficPoint(hour=h, requests=len(b["requests"]), rows=b["rows"], p50_ms=_percentile(b["latency"], .5),
                           p95_ms=_percentile(b["latency"], .95), no_output=b["missing"])
              for h, b in sorted(hours.items())]
    return points, dict(variants)


def deployments_page(workspace: Any, *, hours: int = 24) -> DeploymentsPage:
    from loopline.deployment.store import list_deployments, load_state

    since = datetime.now(UTC) - timedelta(hours=hours)

    def work(conn: Connection) -> list[DeploymentView]:
        found = []
        for deployment in list_deployments(conn):
            state = load_state(conn, deployment.model, limit=20)
            live = state.live
            points, variants = traffic(conn, deployment.model, since)
            found.append(DeploymentView(deployment=plain(deployment), serving_version=live.version if live else None,
                                        rollouts=plain(state.rollouts), traffic=points, by_variant=variants))
        return found

    return DeploymentsPage(deployments=workspace.registry.db.read(work), hours=hours)


def traffic_charts(view: DeploymentView) -> list[tuple[str, Any]]:
    stamps = [p.hour.timestamp() for p in view.traffic]
    return [
        ("requests per hour", line_chart({"requests": list(zip(stamps, [p.requests for p in view.traffic]))},
                                         x_label="hour (UTC)", x_format=time_tick)),
        ("latency (ms)", line_chart({"p50": list(zip(stamps, [p.p50_ms for p in view.traffic])),
                                     "p95": list(zip(stamps, [p.p95_ms for p in view.traffic]))},
                                    x_label="hour (UTC)", x_format=time_tick)),
        ("rows without output", line_chart({"no output": list(zip(stamps, [p.no_output for p in view.traffic]))},
                                           x_label="hour (UTC)", x_format=time_tick)),
    ]


@router.get("/api/deployments", response_model=DeploymentsPage, tags=["deployments"],
            summary="Deployments, their rollouts and hourly traffic from the prediction log")
def api_deployments(request: Request, hours: int = Query(24, ge=1, le=24 * 31)) -> DeploymentsPage:
    return deployments_page(request.app.state.workspace, hours=hours)


@router.get("/deployments", include_in_schema=False)
def deployments_html(request: Request, hours: int = Query(24, ge=1, le=24 * 31)) -> Any:
    page = deployments_page(request.app.state.workspace, hours=hours)
    charts = {v.deployment["model"]: traffic_charts(v) for v in page.deployments}
    return render(request, "deployments.html", {"title": "Deployments", "section": "deployments", "page": page,
                                                "charts": charts})


__all__ = ["DeploymentsPage", "deployed_version", "deployments_page", "router"]
