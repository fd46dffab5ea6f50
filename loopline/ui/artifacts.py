"""Artifacts: the list (keyset pages, filter by type and name) and one artifact's record and content.

Content is shown only for JSON artifacts of bounded size, decoded as JSON text: the
dashboard never unpickles anything.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import Connection, select

from loopline.errors import NotFoundError
from loopline.metadata import tables
from loopline.ui.access import reader
from loopline.ui.rendering import render
from loopline.ui.runs import ArtifactView, artifact_view
from loopline.validation.artifact_formats import is_json_format

router = APIRouter(dependencies=[Depends(reader)])
PAGE = 50
MAX_PREVIEW_BYTES = 1 << 20


class ArtifactsPage(BaseModel):
    artifacts: list[ArtifactView]
    next_before: int | None
    types: list[str]


class ArtifactUse(BaseModel):
    execution_id: int
    run_id: int
    step: str
    kind: str
    name: str


class ArtifactPage(BaseModel):
    artifact: ArtifactView
    uses: list[ArtifactUse]
    model_versions: list[str]
    content: Any = None
    content_note: str | None = None


def artifacts_page(db: Any, *, type: str | None = None, name: str | None = None, before: int | None = None,
                   limit: int = PAGE) -> ArtifactsPage:
    a = tables.artifacts
    query = select(a).order_by(a.c.id.desc()).limit(limit + 1)
    if type:
        query = query.where(a.c.type == type)
    if name:
        query = query.where(a.c.name.contains(name, autoescape=True))
    if before is not None:
        query = query.where(a.c.id < before)

    def work(conn: Connection) -> ArtifactsPage:
        rows = conn.execute(query).all()
        found = [artifact_view(row) for row in rows[:limit]]
        types = list(conn.execute(select(a.c.type).distinct().order_by(a.c.type)).scalars())
        return ArtifactsPage(artifacts=found, next_before=found[-1].id if len(rows) > limit else None, types=types)

    return db.read(work)


def artifact_page(workspace: Any, artifact_id: int) -> ArtifactPage:
    a, ev, e = tables.artifacts, tables.events, tables.executions
    mv, rm = tables.model_versions, tables.registered_models

    def work(conn: Connection) -> ArtifactPage:
        row = conn.execute(select(a).where(a.c.id == artifact_id)).first()
        if row is None:
            raise NotFoundError(f"no artifact with id {artifact_id}", hint="see the artifacts at /artifacts")
        uses = conn.execute(select(e.c.id, e.c.run_id, e.c.step, ev.c.kind, ev.c.name.label("event_name"))
                            .join(e, e.c.id == ev.c.execution_id).where(ev.c.artifact_id == artifact_id)
                            .order_by(e.c.id).limit(500)).all()
        versions = conn.execute(select(rm.c.name, mv.c.version).join(rm, rm.c.id == mv.c.model_id)
                                .where(mv.c.artifact_id == artifact_id)).all()
        return ArtifactPage(
            artifact=artifact_view(row),
            uses=[ArtifactUse(execution_id=u.id, run_id=u.run_id, step=u.step, kind=u.kind, name=u.event_name)
                  for u in uses],
            model_versions=[f"{v.name}/{v.version}" for v in versions],
        )

    page = workspace.registry.db.read(work)
    content, note = json_content(workspace, page.artifact)
    return page.model_copy(update={"content": content, "content_note": note})


def json_content(workspace: Any, artifact: ArtifactView) -> tuple[Any, str | None]:
    """The artifact's JSON content, or None and why it is not shown."""
    if not is_json_format(artifact.format):
        return None, f"{artifact.format} content is not shown here: the dashboard opens JSON only"
    if artifact.size > MAX_PREVIEW_BYTES:
        return None, f"the content is {artifact.size} bytes, more than shown here"
    record = workspace.metadata.artifacts.get(artifact.id)
    return json.loads(workspace.artifacts.get_bytes(record.uri)), None


@router.get("/api/artifacts", response_model=ArtifactsPage, tags=["artifacts"],
            summary="Artifacts, newest first (keyset pages)")
def api_artifacts(request: Request, type: str | None = None, name: str | None = None,
                  before: int | None = Query(None, ge=1), limit: int = Query(PAGE, ge=1, le=500)) -> ArtifactsPage:
    return artifacts_page(request.app.state.workspace.registry.db, type=type, name=name, before=before, limit=limit)


@router.get("/api/artifacts/{artifact_id}", response_model=ArtifactPage, tags=["artifacts"],
            summary="An artifact's record, where it was used, and its JSON content")
def api_artifact(request: Request, artifact_id: int) -> ArtifactPage:
    return artifact_page(request.app.state.workspace, artifact_id)


@router.get("/artifacts", include_in_schema=False)
def artifacts_html(request: Request, type: str | None = None, name: str | None = None,
                   before: int | None = Query(None, ge=1)) -> Any:
    page = artifacts_page(request.app.state.workspace.registry.db, type=type, name=name, before=before)
    return render(request, "artifacts.html", {"title": "Artifacts", "section": "artifacts", "page": page,
                                              "filters": {"type": type or "", "name": name or ""}})


@router.get("/artifacts/{artifact_id}", include_in_schema=False)
def artifact_html(request: Request, artifact_id: int) -> Any:
    page = artifact_page(request.app.state.workspace, artifact_id)
    return render(request, "artifact.html", {"title": f"Artifact {artifact_id}", "section": "artifacts", "page": page})


__all__ = ["ArtifactPage", "ArtifactsPage", "artifact_page", "artifacts_page", "json_content", "router"]
