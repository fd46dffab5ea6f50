"""Data: the catalog's datasets and their versions, and the validation reports pipelines recorded.

Drift reports (``Drift`` artifacts, JSON written by the validation library) are shown
per column with the verdict, the measure against its threshold, and the reference and
current distributions side by side. Profiles and anomalies open on their artifact page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy import Connection, select

from loopline.errors import InvalidInputError, NotFoundError
from loopline.metadata import tables
from loopline.ui.access import reader
from loopline.ui.artifacts import json_content
from loopline.ui.charts import bar_chart
from loopline.ui.models import plain
from loopline.ui.rendering import render
from loopline.ui.runs import ArtifactView, artifact_view

router = APIRouter(dependencies=[Depends(reader)])
REPORT_TYPES = ("Drift", "Statistics", "Anomalies", "Schema")
MAX_CHARTS = 40


class DatasetVersionView(BaseModel):
    version: int
    artifact_id: int
    created_at: datetime | None
    rows: int | None = None
    properties: dict[str, Any] = {}


class DatasetView(BaseModel):
    name: str
    versions: list[DatasetVersionView]
    problem: str | None = None


class DataPage(BaseModel):
    datasets: list[DatasetView]
    reports: list[ArtifactView]


class DriftPage(BaseModel):
    artifact: ArtifactView
    report: dict[str, Any]


def data_page(workspace: Any) -> DataPage:
    catalog = workspace.catalog
    datasets = []
    for name in catalog.names():
        try:
            versions = [DatasetVersionView(version=v.version, artifact_id=v.artifact.id,
                                           created_at=v.artifact.created_at,
                                           rows=v.artifact.properties.get("rows"), properties=v.artifact.properties)
                        for v in catalog.versions(name)]
            datasets.append(DatasetView(name=name, versions=versions[-20:][::-1]))
        except Exception as exc:  # one unreadable declaration must not hide the others
            datasets.append(DatasetView(name=name, versions=[], problem=str(exc)))
    a = tables.artifacts
    query = select(a).where(a.c.type.in_(REPORT_TYPES)).order_by(a.c.id.desc()).limit(100)

    def work(conn: Connection) -> list[ArtifactView]:
        return [artifact_view(row) for row in conn.execute(query)]

    return DataPage(datasets=datasets, reports=workspace.registry.db.read(work))


def drift_page(workspace: Any, artifact_id: int) -> DriftPage:
    a = tables.artifacts
    row = workspace.registry.db.read(lambda conn: conn.execute(select(a).where(a.c.id == artifact_id)).first())
    if row is None:
        raise NotFoundError(f"no artifact with id {artifact_id}", hint="see the reports at /data")
    view = artifact_view(row)
    if view.type != "Drift":
        raise InvalidInputError(f"artifact/{artifact_id} is a {view.type}, not a Drift report",
                                hint=f"open it at /artifacts/{artifact_id}")
    content, note = json_content(workspace, view)
    if content is None:
        raise InvalidInputError(f"the drift report artifact/{artifact_id} cannot be shown: {note}",
                                hint="the dashboard shows drift reports stored as JSON; it never unpickles")
    return DriftPage(artifact=view, report=plain(content))


def drift_charts(report: dict[str, Any]) -> dict[str, Any]:
    charts = {}
    for column in report.get("columns", [])[:MAX_CHARTS]:
        dist = column.get("distribution")
        if dist and dist.get("labels"):
            charts[column["column"]] = bar_chart(dist["labels"], dist["reference"], second=dist["current"],
                                                 y_label="share")
    return charts


@router.get("/api/data", response_model=DataPage, tags=["data"],
            summary="Datasets with their versions, and the newest validation reports")
def api_data(request: Request) -> DataPage:
    return data_page(request.app.state.workspace)


@router.get("/api/data/drift/{artifact_id}", response_model=DriftPage, tags=["data"], summary="A drift report")
def api_drift(request: Request, artifact_id: int) -> DriftPage:
    return drift_page(request.app.state.workspace, artifact_id)


@router.get("/data", include_in_schema=False)
def data_html(request: Request) -> Any:
    return render(request, "data.html", {"title": "Data", "section": "data",
                                         "page": data_page(request.app.state.workspace)})


@router.get("/data/drift/{artifact_id}", include_in_schema=False)
def drift_html(request: Request, artifact_id: int) -> Any:
    page = drift_page(request.app.state.workspace, artifact_id)
    return render(request, "drift.html", {"title": f"Drift report {artifact_id}", "section": "data", "page": page,
                                          "charts": drift_charts(page.report)})


__all__ = ["DataPage", "DriftPage", "data_page", "drift_page", "router"]
