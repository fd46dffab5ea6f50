"""Runs: the filterable list (keyset pages), one run's page, and runs side by side.

Reads go straight to the metadata tables with set-based queries: a page of runs is one
query whatever the workspace's size (``id < before``, never OFFSET), and a run's page is
a fixed handful of queries whatever its number of steps (no query per step or artifact).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import Connection, select

from loopline.errors import InvalidInputError, NotFoundError
from loopline.metadata import tables
from loopline.metadata.records import RunStatus
from loopline.ui.access import reader
from loopline.ui.charts import line_chart
from loopline.ui.rendering import render

router = APIRouter(dependencies=[Depends(reader)])
PAGE = 50
MAX_SERIES_POINTS = 400
MAX_METRIC_ROWS = 200_000
MAX_COMPARE = 8

_pipeline = tables.contexts.alias("pipeline_context")


class RunRow(BaseModel):
    id: int
    pipeline: str
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    duration_s: float | None
    error: str | None = None


class RunsPage(BaseModel):
    runs: list[RunRow]
    next_before: int | None
    pipelines: list[str]
    statuses: list[str]


class ArtifactView(BaseModel):
    id: int
    type: str
    name: str
    format: str
    size: int
    digest: str
    created_at: datetime | None = None
    properties: dict[str, Any] = {}


class StepView(BaseModel):
    execution_id: int
    step: str
    state: str
    cached_from: int | None
    started_at: datetime | None
    ended_at: datetime | None
    duration_s: float | None
    params: dict[str, Any]
    error: str | None
    traceback: str | None
    logs: str | None
    inputs: dict[str, ArtifactView]
    outputs: dict[str, ArtifactView]
    metrics: dict[str, float | None]


class MetricSeries(BaseModel):
    step: str
    key: str
    points: list[tuple[int, float | None]]


class RunPage(BaseModel):
    run: RunRow
    params: dict[str, Any]
    properties: dict[str, Any]
    owner: str | None
    steps: list[StepView]
    series: list[MetricSeries]


class RunsComparison(BaseModel):
    runs: list[RunRow]
    params: dict[str, list[Any]]
    metrics: dict[str, list[float | None]]
    differing_params: list[str]


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds()


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number


def _run_row(row: Any) -> RunRow:
    error = (row.error or "").strip().splitlines()
    return RunRow(id=row.id, pipeline=row.pipeline, status=row.status, started_at=row.started_at,
                  ended_at=row.ended_at, duration_s=_seconds(row.started_at, row.ended_at),
                  error=error[0][:300] if error else None)


def _runs_query() -> Any:
    r = tables.runs
    return select(r.c.id, r.c.status, r.c.started_at, r.c.ended_at, r.c.error, r.c.params, r.c.owner,
                  _pipeline.c.name.label("pipeline")).join(_pipeline, _pipeline.c.id == r.c.pipeline_id)


def check_status(status: str | None) -> str | None:
    if not status:
        return None
    if status not in {s.value for s in RunStatus}:
        raise InvalidInputError(f"unknown run status '{status}'",
                                hint=f"choose one of: {', '.join(s.value for s in RunStatus)}")
    return status


def runs_page(db: Any, *, pipeline: str | None = None, status: str | None = None, name: str | None = None,
              before: int | None = None, limit: int = PAGE) -> RunsPage:
    """A page of runs, newest first; ``next_before`` fetches the next page."""
    status = check_status(status)
    r = tables.runs
    query = _runs_query().order_by(r.c.id.desc()).limit(limit + 1)
    if pipeline:
        query = query.where(_pipeline.c.name == pipeline)
    if status:
        query = query.where(r.c.status == status)
    if name:
        query = query.where(_pipeline.c.name.contains(name, autoescape=True))
    if before is not None:
        query = query.where(r.c.id < before)
    c = tables.contexts
    names = select(c.c.name).where(c.c.kind == "pipeline").order_by(c.c.name).limit(1000)

    def work(conn: Connection) -> RunsPage:
        rows = conn.execute(query).all()
        more = len(rows) > limit
        found = [_run_row(row) for row in rows[:limit]]
        return RunsPage(runs=found, next_before=found[-1].id if more else None,
                        pipelines=list(conn.execute(names).scalars()), statuses=[s.value for s in RunStatus])

    return db.read(work)


def artifact_view(row: Any) -> ArtifactView:
    return ArtifactView(id=row.id, type=row.type, name=row.name, format=row.format, size=row.size,
                        digest=row.digest, created_at=row.created_at, properties=row.properties or {})


def run_page(db: Any, run_id: int) -> RunPage:
    """One run: parameters, steps with inputs, outputs, logs and errors, latest metrics and metric series."""
    r, e, ev, a, m = tables.runs, tables.executions, tables.events, tables.artifacts, tables.metrics

    def work(conn: Connection) -> RunPage:
        row = conn.execute(_runs_query().add_columns(tables.contexts.c.properties)
                           .join(tables.contexts, tables.contexts.c.id == r.c.id).where(r.c.id == run_id)).first()
        if row is None:
            raise NotFoundError(f"no run with id {run_id}", hint="see the runs at /runs")
        executions = conn.execute(select(e).where(e.c.run_id == run_id).order_by(e.c.id)).all()
        ids = [x.id for x in executions]
        linked: dict[int, dict[str, dict[str, ArtifactView]]] = defaultdict(lambda: {"input": {}, "output": {}})
        if ids:
            query = (select(ev.c.execution_id, ev.c.kind, ev.c.name.label("event_name"), a)
                     .join(a, a.c.id == ev.c.artifact_id).where(ev.c.execution_id.in_(ids)))
            for item in conn.execute(query):
                linked[item.execution_id][item.kind][item.event_name] = artifact_view(item)
        sources = {x.id: x.cached_from or x.id for x in executions}
        points: dict[int, dict[str, list[tuple[int, float | None]]]] = defaultdict(lambda: defaultdict(list))
        if sources:
            query = (select(m.c.execution_id, m.c.key, m.c.step, m.c.value)
                     .where(m.c.execution_id.in_(set(sources.values())))
                     .order_by(m.c.execution_id, m.c.key, m.c.step, m.c.timestamp_us, m.c.id).limit(MAX_METRIC_ROWS))
            for item in conn.execute(query):
                points[item.execution_id][item.key].append((item.step, _finite(item.value)))
        steps, series = [], []
        for x in executions:
            own = points.get(sources[x.id], {})
            steps.append(StepView(
                execution_id=x.id, step=x.step, state=x.state, cached_from=x.cached_from, started_at=x.started_at,
                ended_at=x.ended_at, duration_s=_seconds(x.started_at, x.ended_at), params=x.params or {},
                error=x.error, traceback=x.traceback, logs=x.logs, inputs=linked[x.id]["input"],
                outputs=linked[x.id]["output"], metrics={k: v[-1][1] for k, v in sorted(own.items())},
            ))
            series.extend(MetricSeries(step=x.step, key=k, points=_thin(v)) for k, v in sorted(own.items())
                          if len(v) > 1)
        return RunPage(run=_run_row(row), params=row.params or {}, properties=row.properties or {},
                       owner=row.owner, steps=steps, series=series)

    return db.read(work)


def _thin(points: list[tuple[int, float | None]]) -> list[tuple[int, float | None]]:
    if len(points) <= MAX_SERIES_POINTS:
        return points
    stride = math.ceil(len(points) / MAX_SERIES_POINTS)
    return [*points[::stride][:-1], points[-1]]


def compare_runs(db: Any, ids: list[int]) -> RunsComparison:
    """Runs side by side: every parameter and every step's latest metric, one column per run."""
    unique = list(dict.fromkeys(ids))
    if not 2 <= len(unique) <= MAX_COMPARE:
        raise InvalidInputError(f"compare 2 to {MAX_COMPARE} different runs, got {len(unique)}",
                                hint="tick two or more runs in the list, then Compare")
    pages = [run_page(db, run_id) for run_id in unique]
    param_keys = sorted({k for p in pages for k in p.params})
    params = {k: [p.params.get(k) for p in pages] for k in param_keys}
    metric_keys = sorted({f"{s.step}.{k}" for p in pages for s in p.steps for k in s.metrics})
    latest = [{f"{s.step}.{k}": v for s in p.steps for k, v in s.metrics.items()} for p in pages]
    metrics = {k: [values.get(k) for values in latest] for k in metric_keys}
    differing = [k for k, values in params.items() if len({repr(v) for v in values}) > 1]
    return RunsComparison(runs=[p.run for p in pages], params=params, metrics=metrics, differing_params=differing)


def _db(request: Request) -> Any:
    return request.app.state.workspace.registry.db


# -- JSON API ------------------------------------------------------------------------------------

@router.get("/api/runs", response_model=RunsPage, tags=["runs"], summary="Runs, newest first (keyset pages)")
def api_runs(request: Request, pipeline: str | None = None, status: str | None = None, name: str | None = None,
             before: int | None = Query(None, ge=1), limit: int = Query(PAGE, ge=1, le=500)) -> RunsPage:
    return runs_page(_db(request), pipeline=pipeline, status=status, name=name, before=before, limit=limit)


@router.get("/api/runs/compare", response_model=RunsComparison, tags=["runs"], summary="Runs side by side")
def api_compare(request: Request, ids: list[int] = Query(...)) -> RunsComparison:
    return compare_runs(_db(request), ids)


@router.get("/api/runs/{run_id}", response_model=RunPage, tags=["runs"],
            summary="A run: parameters, steps, artifacts, logs, errors, metrics")
def api_run(request: Request, run_id: int) -> RunPage:
    return run_page(_db(request), run_id)


# -- pages ---------------------------------------------------------------------------------------

@router.get("/runs", include_in_schema=False)
def runs_html(request: Request, pipeline: str | None = None, status: str | None = None, name: str | None = None,
              before: int | None = Query(None, ge=1)) -> Any:
    page = runs_page(_db(request), pipeline=pipeline, status=status, name=name, before=before)
    filters = {"pipeline": pipeline or "", "status": status or "", "name": name or ""}
    return render(request, "runs.html", {"title": "Runs", "section": "runs", "page": page, "filters": filters})


@router.get("/runs/compare", include_in_schema=False)
def compare_html(request: Request, ids: list[int] = Query(...)) -> Any:
    comparison = compare_runs(_db(request), ids)
    return render(request, "compare.html", {"title": "Compare runs", "section": "runs", "cmp": comparison})


@router.get("/runs/{run_id}", include_in_schema=False)
def run_html(request: Request, run_id: int) -> Any:
    page = run_page(_db(request), run_id)
    charts = [(f"{s.step} · {s.key}", line_chart({s.key: s.points}, x_label="step", y_label=s.key))
              for s in page.series]
    return render(request, "run.html", {"title": f"Run {run_id}", "section": "runs", "page": page, "charts": charts})


__all__ = ["RunPage", "RunsComparison", "RunsPage", "compare_runs", "router", "run_page", "runs_page"]
