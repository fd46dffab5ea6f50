"""Lineage: the graph upstream and downstream of an artifact, execution, run, model version or deployment.

The walk is the metadata store's (set-based, one query per hop); this module adds the
names of registered model versions and draws the graph with clickable nodes. A model
version or a deployment stands for its Model artifact.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import select

from loopline.errors import InvalidInputError, NotFoundError
from loopline.metadata import tables
from loopline.metadata.artifacts import id_chunks
from loopline.metadata.records import NodeRef
from loopline.ui.access import reader
from loopline.ui.graph import GraphEdge, GraphNode, render_svg
from loopline.ui.rendering import render, url_part

router = APIRouter(dependencies=[Depends(reader)])
MAX_DRAWN = 400
DEFAULT_HOPS = 12

Direction = Literal["up", "down", "both"]


class LineageNode(BaseModel):
    key: str
    kind: str
    id: int
    label: str
    detail: str
    state: str | None = None
    run_id: int | None = None
    model_versions: list[str] = []


class LineageLink(BaseModel):
    source: str
    target: str
    name: str


class LineagePage(BaseModel):
    root: str
    direction: str
    max_hops: int
    nodes: list[LineageNode]
    edges: list[LineageLink]


def _root(workspace: Any, kind: str, ident: str) -> NodeRef:
    if kind in ("artifact", "execution", "run"):
        if not ident.isdigit() or int(ident) < 1:
            raise InvalidInputError(f"'{ident}' is not a {kind} id", hint="ids are positive whole numbers")
        return NodeRef(kind, int(ident))
    if kind == "model":  # NAME/VERSION or NAME@ALIAS
        return NodeRef("artifact", workspace.registry.resolve(ident).artifact_id)
    if kind == "deployment":
        from loopline.ui.deployments import deployed_version

        return NodeRef("artifact", deployed_version(workspace, ident).artifact_id)
    raise NotFoundError(f"no lineage for '{kind}'", hint="use artifact, execution, run, model or deployment")


def lineage_page(workspace: Any, root: NodeRef, *, direction: str = "both", max_hops: int = DEFAULT_HOPS) -> LineagePage:
    graph = workspace.metadata.lineage.graph(root, direction=direction, max_hops=max_hops)
    versions: dict[int, list[str]] = {}
    mv, rm = tables.model_versions, tables.registered_models

    def registered(conn: Any) -> None:
        for chunk in id_chunks(graph.artifacts):
            query = (select(mv.c.artifact_id, rm.c.name, mv.c.version).join(rm, rm.c.id == mv.c.model_id)
                     .where(mv.c.artifact_id.in_(chunk)))
            for row in conn.execute(query):
                versions.setdefault(row.artifact_id, []).append(f"{row.name}/{row.version}")

    workspace.registry.db.read(registered)
    nodes = [LineageNode(key=f"artifact/{a.id}", kind="artifact", id=a.id, label=a.name, detail=f"{a.type} · #{a.id}",
                         model_versions=versions.get(a.id, [])) for a in graph.artifacts.values()]
    nodes += [LineageNode(key=f"execution/{x.id}", kind="execution", id=x.id, label=x.step,
                          detail=f"run {x.run_id} · {x.state.value}", state=x.state.value, run_id=x.run_id)
              for x in graph.executions.values()]
    edges = [LineageLink(source=str(e.source), target=str(e.target), name=e.name) for e in graph.edges]
    return LineagePage(root=str(root), direction=direction, max_hops=max_hops, nodes=nodes, edges=edges)


def lineage_svg(page: LineagePage, roots: set[str]) -> Any:
    drawn = []
    for n in page.nodes:
        if n.kind == "artifact":
            kind = "model" if n.model_versions else "artifact"
            detail = f"{n.detail} · {', '.join(n.model_versions)}" if n.model_versions else n.detail
            drawn.append(GraphNode(n.key, n.label, detail, "root" if n.key in roots else kind,
                                   f"/lineage/artifact/{n.id}", shape="pill"))
        else:
            kind = "root" if n.key in roots else (n.state or "execution")
            drawn.append(GraphNode(n.key, n.label, n.detail, kind, f"/lineage/execution/{n.id}"))
    return render_svg(drawn, [GraphEdge(e.source, e.target, e.name) for e in page.edges], label=f"lineage of {page.root}")


def _check_direction(direction: str) -> str:
    if direction not in ("up", "down", "both"):
        raise InvalidInputError(f"direction must be up, down or both, got '{direction}'")
    return direction


@router.get("/api/lineage/{kind}/{ident:path}", response_model=LineagePage, tags=["lineage"],
            summary="The lineage graph around an artifact, execution, run, model version (NAME/VERSION) or "
                    "deployment (its model name)")
def api_lineage(request: Request, kind: str, ident: str, direction: str = "both",
                max_hops: int = Query(DEFAULT_HOPS, ge=0, le=100)) -> LineagePage:
    workspace = request.app.state.workspace
    return lineage_page(workspace, _root(workspace, kind, ident), direction=_check_direction(direction),
                        max_hops=max_hops)


@router.get("/lineage/{kind}/{ident:path}", include_in_schema=False)
def lineage_html(request: Request, kind: str, ident: str, direction: str = "both",
                 max_hops: int = Query(DEFAULT_HOPS, ge=0, le=100)) -> Any:
    workspace = request.app.state.workspace
    root = _root(workspace, kind, ident)
    page = lineage_page(workspace, root, direction=_check_direction(direction), max_hops=max_hops)
    roots = {str(root)}
    if root.kind == "run":
        roots = {n.key for n in page.nodes if n.kind == "execution" and n.run_id == root.id}
    too_big = len(page.nodes) > MAX_DRAWN
    svg = "" if too_big else lineage_svg(page, roots)
    title = f"Lineage of {kind} {ident}"
    return render(request, "lineage.html", {"title": title, "section": "artifacts", "page": page, "svg": svg,
                                            "too_big": too_big, "kind": kind, "ident": ident,
                                            "api": f"/api/lineage/{kind}/{url_part(ident)}"})


__all__ = ["LineagePage", "lineage_page", "router"]
