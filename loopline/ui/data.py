"""Data: the catalog's datasets and their versions, and the validation reports pipelines recorded.

Each report links to the page that renders it (``loopline.ui.reports``): a profile as a
table per column with histograms, anomalies as a table, a drift report per column.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy import Connection, select

from loopline.metadata import tables
from loopline.ui.access import reader
from loopline.ui.rendering import render
from loopline.ui.reports import REPORT_PAGES
from loopline.ui.runs import ArtifactView, artifact_view

router = APIRouter(dependencies=[Depends(reader)])
REPORT_TYPES = ("Drift", "Statistics", "Anomalies", "Schema")


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


@router.get("/api/data", response_model=DataPage, tags=["data"],
            summary="Datasets with their versions, and the newest validation reports")
def api_data(request: Request) -> DataPage:
    return data_page(request.app.state.workspace)


@router.get("/data", include_in_schema=False)
def data_html(request: Request) -> Any:
    return render(request, "data.html", {"title": "Data", "section": "data",
                                         "page": data_page(request.app.state.workspace),
                                         "report_pages": REPORT_PAGES})


__all__ = ["DataPage", "data_page", "router"]
