"""Features: the feature views of the applied definitions, their versions, diffs and materializations.

Everything comes from what ``loopline features apply`` and ``materialize`` recorded in the
workspace's stores (``FeatureDefinitions`` and ``Materialization`` artifacts): the
dashboard never imports the workspace's ``features.py``, so it runs no user code and shows
what was applied, not what the file says now. A view's versions are the applied
versions that changed it; the diff between any two versions is the one ``apply`` prints.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Connection, func, select

from loopline.errors import InvalidInputError, NotFoundError, did_you_mean
from loopline.features.diff import diff_descriptions
from loopline.features.history import DEFINITIONS_NAME, DEFINITIONS_TYPE, MATERIALIZATION_TYPE
from loopline.metadata import tables
from loopline.ui.access import reader
from loopline.ui.models import plain
from loopline.ui.rendering import render

router = APIRouter(dependencies=[Depends(reader)])
MATERIALIZATIONS_SHOWN = 100
SECTIONS = (("feature_views", "feature view"), ("on_demand_feature_views", "on-demand feature view"))


class DefinitionVersionView(BaseModel):
    version: int
    artifact_id: int
    created_at: datetime | None
    digest: str
    changes: list[str] = Field(description="what this version changed, as 'loopline features apply' printed it")


class MaterializationView(BaseModel):
    artifact_id: int
    recorded_at: datetime | None
    start: str | None
    end: str | None
    entities: int | None
    written: int | None
    seconds: float | None


class ViewSummary(BaseModel):
    name: str
    kind: str
    entities: list[str]
    features: list[dict[str, Any]]
    ttl_seconds: float | None = None
    source: Any = None
    description: str = ""
    changed_in: list[int] = Field(description="the definition versions that added or changed this view")
    materializations: int = 0
    last_materialization: MaterializationView | None = None


class FeaturesPage(BaseModel):
    versions: list[DefinitionVersionView]
    latest_version: int | None
    entities: list[dict[str, Any]]
    views: list[ViewSummary]
    removed_views: list[str] = Field(description="views of older versions that the latest version no longer has")


class ViewPage(BaseModel):
    view: ViewSummary
    definition: dict[str, Any]
    in_latest: bool
    defined_in: int = Field(description="the version the definition shown comes from")
    history: list[dict[str, Any]] = Field(description="per version that touched the view: the change")
    materializations: list[MaterializationView]


class DiffPage(BaseModel):
    from_version: int
    to_version: int
    changes: list[dict[str, Any]]


# -- reading the history -----------------------------------------------------------------------


def _versions(workspace: Any) -> list[DefinitionVersionView]:
    a = tables.artifacts
    query = (select(a.c.id, a.c.created_at, a.c.digest, a.c.properties)
             .where(a.c.type == DEFINITIONS_TYPE, a.c.name == DEFINITIONS_NAME).order_by(a.c.id))
    rows = workspace.registry.db.read(lambda conn: conn.execute(query).all())
    return [DefinitionVersionView(version=i + 1, artifact_id=r.id, created_at=r.created_at, digest=r.digest,
                                  changes=list((r.properties or {}).get("changes", [])))
            for i, r in enumerate(rows)]


def _descriptions(workspace: Any, versions: list[DefinitionVersionView]) -> list[dict[str, Any]]:
    """Every version's canonical description, oldest first (the store checks each one's digest)."""
    return [_load(workspace, v) for v in versions]


def _load(workspace: Any, version: DefinitionVersionView) -> dict[str, Any]:
    record = workspace.metadata.artifacts.get(version.artifact_id)
    return json.loads(workspace.artifacts.get_bytes(record.uri))


def _materialization(row: Any) -> MaterializationView:
    p = row.properties or {}
    return MaterializationView(artifact_id=row.id, recorded_at=row.created_at, start=p.get("start"), end=p.get("end"),
                               entities=p.get("entities"), written=p.get("written"), seconds=p.get("seconds"))


def _materialization_status(workspace: Any) -> dict[str, tuple[int, MaterializationView]]:
    """Per view: how many materializations were recorded, and the latest one."""
    a = tables.artifacts
    counts = (select(a.c.name, func.count().label("n"), func.max(a.c.id).label("last"))
              .where(a.c.type == MATERIALIZATION_TYPE).group_by(a.c.name))

    def work(conn: Connection) -> dict[str, tuple[int, MaterializationView]]:
        found = conn.execute(counts).all()
        latest = {r.id: r for r in conn.execute(select(a).where(a.c.id.in_([f.last for f in found])))}
        return {f.name.removeprefix("materialization/"): (f.n, _materialization(latest[f.last])) for f in found}

    return workspace.registry.db.read(work)


def _views_of(description: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Name -> (section, definition) of every view in a description."""
    return {d["name"]: (section, d) for section, _ in SECTIONS for d in description.get(section, [])}


def _changed_in(descriptions: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Per view name: the versions that added or changed it (a definition differs from the version before)."""
    found: dict[str, list[int]] = {}
    previous: dict[str, tuple[str, dict[str, Any]]] = {}
    for number, description in enumerate(descriptions, start=1):
        views = _views_of(description)
        for name, definition in views.items():
            if previous.get(name) != definition:
                found.setdefault(name, []).append(number)
        previous = views
    return found


def _view_history(versions: list[DefinitionVersionView], descriptions: list[dict[str, Any]],
                  name: str) -> list[dict[str, Any]]:
    """The versions that added, changed or removed view ``name``, with what changed, oldest first."""
    history = []
    previous: dict[str, Any] | None = None
    for version, description in zip(versions, descriptions, strict=True):
        found = _views_of(description).get(name)
        current = {found[0]: [found[1]]} if found else {}
        if previous != current:
            for change in diff_descriptions(previous, current).changes:
                history.append({"version": version.version, "created_at": version.created_at,
                                "action": change.action, "details": list(change.details)})
        previous = current
    return history


def _summary(kind: str, definition: dict[str, Any], changed_in: list[int],
             status: tuple[int, MaterializationView] | None) -> ViewSummary:
    return ViewSummary(
        name=definition["name"], kind=kind,
        entities=list(definition.get("entities") or definition.get("sources") or []),
        features=list(definition.get("features", [])), ttl_seconds=definition.get("ttl_seconds"),
        source=definition.get("source"), description=definition.get("description") or "", changed_in=changed_in,
        materializations=status[0] if status else 0, last_materialization=status[1] if status else None,
    )


# -- pages -------------------------------------------------------------------------------------


def features_page(workspace: Any) -> FeaturesPage:
    versions = _versions(workspace)
    descriptions = _descriptions(workspace, versions)
    latest = descriptions[-1] if descriptions else {}
    changed = _changed_in(descriptions)
    status = _materialization_status(workspace)
    views = [_summary(kind, d, changed.get(d["name"], []), status.get(d["name"]))
             for section, kind in SECTIONS for d in latest.get(section, [])]
    current = {v.name for v in views}
    removed = sorted({view for description in descriptions for view in _views_of(description)} - current)
    return FeaturesPage(versions=versions[::-1], latest_version=versions[-1].version if versions else None,
                        entities=plain(latest.get("entities", [])), views=views, removed_views=removed)


def view_page(workspace: Any, name: str) -> ViewPage:
    versions = _versions(workspace)
    descriptions = _descriptions(workspace, versions)
    kinds = dict(SECTIONS)
    found: tuple[int, str, dict[str, Any]] | None = None
    for number, description in enumerate(descriptions, start=1):
        view = _views_of(description).get(name)
        if view is not None:
            found = (number, kinds[view[0]], view[1])  # the newest version that has the view
    if found is None:
        known = {view for description in descriptions for view in _views_of(description)}
        raise NotFoundError(f"no applied version of the feature definitions has a view named '{name}'",
                            hint=did_you_mean(name, known) or ("see the views at /features" if known
                                                              else "apply the definitions: loopline features apply"))
    number, kind, definition = found
    history = _view_history(versions, descriptions, name)
    a = tables.artifacts
    query = (select(a).where(a.c.type == MATERIALIZATION_TYPE, a.c.name == f"materialization/{name}")
             .order_by(a.c.id.desc()).limit(MATERIALIZATIONS_SHOWN))
    rows = workspace.registry.db.read(lambda conn: conn.execute(query).all())
    materializations = [_materialization(r) for r in rows]
    total = len(materializations)
    if total == MATERIALIZATIONS_SHOWN:
        total = _materialization_status(workspace).get(name, (total, None))[0]
    summary = _summary(kind, definition, [h["version"] for h in history if h["action"] != "removed"],
                       (total, materializations[0]) if materializations else None)
    return ViewPage(view=summary, definition=plain(definition), in_latest=number == len(descriptions),
                    defined_in=number, history=plain(history[::-1]), materializations=materializations)


def diff_page(workspace: Any, from_version: int, to_version: int) -> DiffPage:
    versions = _versions(workspace)
    for number in (from_version, to_version):
        if not 0 <= number <= len(versions):
            raise InvalidInputError(
                f"feature definitions version {number} does not exist",
                hint=f"versions 1..{len(versions)} exist (0 means nothing applied)" if versions
                else "apply the definitions first: loopline features apply")
    old = _load(workspace, versions[from_version - 1]) if from_version else None
    new = _load(workspace, versions[to_version - 1]) if to_version else {}
    diff = diff_descriptions(old, new)
    return DiffPage(from_version=from_version, to_version=to_version,
                    changes=[{"action": c.action, "kind": c.kind, "name": c.name, "details": list(c.details)}
                             for c in diff.changes])


# -- routes ------------------------------------------------------------------------------------


@router.get("/api/features", response_model=FeaturesPage, tags=["features"],
            summary="Applied feature definition versions, the latest version's views and their materialization")
def api_features(request: Request) -> FeaturesPage:
    return features_page(request.app.state.workspace)


@router.get("/api/features/diff", response_model=DiffPage, tags=["features"],
            summary="What changed between two versions of the feature definitions (0: nothing applied)")
def api_diff(request: Request, from_version: int = Query(..., alias="from", ge=0),
             to_version: int = Query(..., alias="to", ge=0)) -> DiffPage:
    return diff_page(request.app.state.workspace, from_version, to_version)


@router.get("/api/features/views/{name}", response_model=ViewPage, tags=["features"],
            summary="A feature view: its definition, the versions that changed it, its materializations")
def api_view(request: Request, name: str) -> ViewPage:
    return view_page(request.app.state.workspace, name)


@router.get("/features", include_in_schema=False)
def features_html(request: Request) -> Any:
    return render(request, "features.html", {"title": "Features", "section": "features",
                                             "page": features_page(request.app.state.workspace)})


@router.get("/features/diff", include_in_schema=False)
def diff_html(request: Request, from_version: int = Query(..., alias="from", ge=0),
              to_version: int = Query(..., alias="to", ge=0)) -> Any:
    workspace = request.app.state.workspace
    return render(request, "features_diff.html", {
        "title": f"Feature definitions {from_version} → {to_version}", "section": "features",
        "page": diff_page(workspace, from_version, to_version), "versions": _versions(workspace)[::-1]})


@router.get("/features/views/{name}", include_in_schema=False)
def view_html(request: Request, name: str) -> Any:
    page = view_page(request.app.state.workspace, name)
    return render(request, "feature_view.html", {"title": f"Feature view {name}", "section": "features", "page": page})


__all__ = ["DiffPage", "FeaturesPage", "ViewPage", "diff_page", "features_page", "router", "view_page"]
