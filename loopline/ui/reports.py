"""Validation reports as pages: a profile (a table per column, histograms), anomalies, a drift report.

The report is read from its artifact as JSON text (``json`` or a ``...+json`` format written
by the validation library) and never unpickled: a report recorded as a pickle, as pipeline
steps did before the JSON formats existed, is shown with a note saying so, and its artifact
page still shows its record and lineage.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy import select

from loopline.errors import InvalidInputError, LooplineError, NotFoundError
from loopline.metadata import tables
from loopline.ui.access import reader
from loopline.ui.charts import bar_chart
from loopline.ui.models import plain
from loopline.ui.rendering import render
from loopline.ui.runs import ArtifactView, artifact_view
from loopline.validation.artifact_formats import is_json_format

router = APIRouter(dependencies=[Depends(reader)])
MAX_REPORT_BYTES = 32 << 20
MAX_CHARTS = 60
HISTOGRAM_BINS = 30
TOP_CATEGORIES = 15
NOT_OPENED = "stored in a format the dashboard does not open"
#: artifact type -> the page that renders it
REPORT_PAGES = {"Statistics": "profile", "Anomalies": "anomalies", "Drift": "drift"}


class Bars(BaseModel):
    labels: list[str]
    counts: list[float]


class ProfileColumn(BaseModel):
    name: str
    kind: str
    count: int
    missing: int
    missing_fraction: float
    distinct: int
    distinct_exact: bool
    min: str
    max: str
    mean: str
    std: str
    notes: str
    bars: Bars | None = None


class ProfilePage(BaseModel):
    artifact: ArtifactView
    note: str | None = None
    rows: int | None = None
    duplicate_rows: int | None = None
    source: str = ""
    columns: list[ProfileColumn] = []


class AnomaliesPage(BaseModel):
    artifact: ArtifactView
    note: str | None = None
    passed: bool | None = None
    anomalies: list[dict[str, Any]] = []


class DriftPage(BaseModel):
    artifact: ArtifactView
    note: str | None = None
    report: dict[str, Any] | None = None


def report_artifact(workspace: Any, artifact_id: int, expected: str) -> ArtifactView:
    """The record of artifact ``artifact_id``, which must be of type ``expected``."""
    a = tables.artifacts
    row = workspace.registry.db.read(lambda conn: conn.execute(select(a).where(a.c.id == artifact_id)).first())
    if row is None:
        raise NotFoundError(f"no artifact with id {artifact_id}", hint="see the reports at /data")
    view = artifact_view(row)
    if view.type != expected:
        page = REPORT_PAGES.get(view.type)
        raise InvalidInputError(f"artifact/{artifact_id} is a {view.type}, not a {expected} report",
                                hint=f"open it at /data/{page}/{artifact_id}" if page
                                else f"open it at /artifacts/{artifact_id}")
    return view


def read_report(workspace: Any, view: ArtifactView) -> tuple[Any, str | None]:
    """The report's JSON content, or None and why it is not shown (never unpickled)."""
    if not is_json_format(view.format):
        return None, (f"This {view.type} report is {NOT_OPENED} ({view.format}); the dashboard never unpickles. "
                      "Reports recorded by this version of Loopline are stored as JSON: run the step again.")
    if view.size > MAX_REPORT_BYTES:
        return None, f"This report is {view.size} bytes, more than the dashboard reads ({MAX_REPORT_BYTES})."
    record = workspace.metadata.artifacts.get(view.id)
    return json.loads(workspace.artifacts.get_bytes(record.uri)), None


# -- profiles ----------------------------------------------------------------------------------


def profile_page(workspace: Any, artifact_id: int) -> ProfilePage:
    from loopline.validation.profile import Profile

    view = report_artifact(workspace, artifact_id, "Statistics")
    content, note = read_report(workspace, view)
    if content is None:
        return ProfilePage(artifact=view, note=note)
    try:
        stats = Profile.from_dict(content)
    except (LooplineError, KeyError, TypeError, ValueError) as exc:
        return ProfilePage(artifact=view, note=f"This profile cannot be read: {type(exc).__name__}: {exc}")
    return ProfilePage(artifact=view, rows=stats.rows, duplicate_rows=stats.duplicate_rows, source=stats.source,
                       columns=[_profile_column(c) for c in stats.columns])


def _profile_column(col: Any) -> ProfileColumn:
    from loopline.validation.profile_html import column_summary

    cells = column_summary(col)
    return ProfileColumn(name=col.name, kind=col.kind.value, count=col.count, missing=col.missing,
                         missing_fraction=col.missing_fraction, distinct=col.distinct,
                         distinct_exact=col.distinct_exact, min=cells["min"], max=cells["max"], mean=cells["mean"],
                         std=cells["std"], notes=cells["top"], bars=_bars(col))


def _bars(col: Any) -> Bars | None:
    """A numeric column's histogram (coarsened), or a categorical column's most frequent values."""
    if col.numeric is not None and col.numeric.histogram is not None and col.numeric.histogram.count:
        edges, counts = col.numeric.histogram.coarse(HISTOGRAM_BINS)
        inner = range(1, len(counts) - 1)  # the first and last buckets hold values outside the grid
        pairs = [(f"{edges[i]:.4g} – {edges[i + 1]:.4g}", float(c)) for i, c in enumerate(counts) if c or i in inner]
    elif col.categories is not None and col.categories.top:
        pairs = [(str(v), float(c)) for v, c in col.categories.top[:TOP_CATEGORIES]]
        rest = sum(c for _, c in col.categories.top[TOP_CATEGORIES:]) + col.categories.other
        if rest:
            pairs.append(("(other)", float(rest)))
    else:
        return None
    return Bars(labels=[p[0] for p in pairs], counts=[p[1] for p in pairs]) if pairs else None


# -- anomalies ---------------------------------------------------------------------------------


def anomalies_page(workspace: Any, artifact_id: int) -> AnomaliesPage:
    view = report_artifact(workspace, artifact_id, "Anomalies")
    content, note = read_report(workspace, view)
    if content is None:
        return AnomaliesPage(artifact=view, note=note)
    order = {"error": 0, "warning": 1}
    found = sorted(content.get("anomalies", []), key=lambda a: (order.get(str(a.get("severity")).lower(), 2),
                                                               str(a.get("column") or ""), str(a.get("code"))))
    return AnomaliesPage(artifact=view, passed=bool(content.get("passed")), anomalies=plain(found))


# -- drift -------------------------------------------------------------------------------------


def drift_page(workspace: Any, artifact_id: int) -> DriftPage:
    view = report_artifact(workspace, artifact_id, "Drift")
    content, note = read_report(workspace, view)
    return DriftPage(artifact=view, note=note, report=None if content is None else plain(content))


def drift_charts(report: dict[str, Any] | None) -> dict[str, Any]:
    """Per column, the reference (blue) and current (orange) shares overlaid on the same bins."""
    charts = {}
    for column in (report or {}).get("columns", [])[:MAX_CHARTS]:
        dist = column.get("distribution")
        if dist and dist.get("labels"):
            charts[column["column"]] = bar_chart(dist["labels"], dist["reference"], second=dist["current"],
                                                 y_label="share", overlay=True)
    return charts


# -- routes ------------------------------------------------------------------------------------


@router.get("/api/data/profile/{artifact_id}", response_model=ProfilePage, tags=["data"],
            summary="A profile (Statistics artifact): each column's statistics and histogram")
def api_profile(request: Request, artifact_id: int) -> ProfilePage:
    return profile_page(request.app.state.workspace, artifact_id)


@router.get("/api/data/anomalies/{artifact_id}", response_model=AnomaliesPage, tags=["data"],
            summary="A validation result (Anomalies artifact): every anomaly, errors first")
def api_anomalies(request: Request, artifact_id: int) -> AnomaliesPage:
    return anomalies_page(request.app.state.workspace, artifact_id)


@router.get("/api/data/drift/{artifact_id}", response_model=DriftPage, tags=["data"],
            summary="A drift report: each column's measure, verdict and distributions")
def api_drift(request: Request, artifact_id: int) -> DriftPage:
    return drift_page(request.app.state.workspace, artifact_id)


@router.get("/data/profile/{artifact_id}", include_in_schema=False)
def profile_html(request: Request, artifact_id: int) -> Any:
    page = profile_page(request.app.state.workspace, artifact_id)
    charts = {c.name: bar_chart(c.bars.labels, c.bars.counts, y_label="rows")
              for c in page.columns[:MAX_CHARTS] if c.bars is not None}
    return render(request, "profile.html", {"title": f"Profile {artifact_id}", "section": "data", "page": page,
                                            "charts": charts})


@router.get("/data/anomalies/{artifact_id}", include_in_schema=False)
def anomalies_html(request: Request, artifact_id: int) -> Any:
    page = anomalies_page(request.app.state.workspace, artifact_id)
    return render(request, "anomalies.html", {"title": f"Anomalies {artifact_id}", "section": "data", "page": page})


@router.get("/data/drift/{artifact_id}", include_in_schema=False)
def drift_html(request: Request, artifact_id: int) -> Any:
    page = drift_page(request.app.state.workspace, artifact_id)
    return render(request, "drift.html", {"title": f"Drift report {artifact_id}", "section": "data", "page": page,
                                          "charts": drift_charts(page.report)})


__all__ = ["AnomaliesPage", "DriftPage", "ProfilePage", "REPORT_PAGES", "anomalies_page", "drift_page", "profile_page",
           "read_report", "router"]
