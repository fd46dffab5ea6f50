"""Pipelines as graphs (Kedro-Viz style): steps and datasets, each step coloured by its last run.

The graph comes from the workspace's pipeline definitions; the states from the newest
run of each pipeline, read in one query for the run and one for its executions.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy import Connection, select

from loopline.errors import NotFoundError
from loopline.metadata import tables
from loopline.ui.access import reader
from loopline.ui.graph import GraphEdge, GraphNode, render_svg
from loopline.ui.rendering import render
from loopline.ui.runs import RunRow, _run_row, _runs_query

router = APIRouter(dependencies=[Depends(reader)])


class StepNode(BaseModel):
    name: str
    inputs: list[str]
    outputs: list[str]
    tags: list[str]
    state: str | None = None  # in the last run; None: it did not run
    cached: bool = False
    execution_id: int | None = None


class PipelineGraph(BaseModel):
    name: str
    inputs: list[str]
    outputs: list[str]
    steps: list[StepNode]
    last_run: RunRow | None


class PipelinesPage(BaseModel):
    pipelines: list[PipelineGraph]
    problem: str | None = None


def last_run(db: Any, pipeline: str) -> tuple[RunRow | None, dict[str, Any]]:
    """The newest run of ``pipeline`` and its executions by step (the later execution of a step wins)."""
    r, e = tables.runs, tables.executions

    def work(conn: Connection) -> tuple[RunRow | None, dict[str, Any]]:
        row = conn.execute(_runs_query().where(tables.runs.c.pipeline_id.in_(
            select(tables.contexts.c.id).where(tables.contexts.c.kind == "pipeline", tables.contexts.c.name == pipeline)
        )).order_by(r.c.id.desc()).limit(1)).first()
        if row is None:
            return None, {}
        executions = conn.execute(select(e.c.id, e.c.step, e.c.state, e.c.cached_from)
                                  .where(e.c.run_id == row.id).order_by(e.c.id)).all()
        return _run_row(row), {x.step: x for x in executions}

    return db.read(work)


def pipeline_graph(workspace: Any, name: str) -> PipelineGraph:
    pipeline = workspace.pipeline(name)
    run, executions = last_run(workspace.registry.db, name)
    steps = []
    for step in pipeline.steps:
        found = executions.get(step.name)
        steps.append(StepNode(
            name=step.name, inputs=[i for i in step.inputs if not i.startswith("params:")], outputs=list(step.outputs),
            tags=sorted(step.tags), state=found.state if found else None,
            cached=bool(found and found.state == "cached"), execution_id=found.id if found else None,
        ))
    return PipelineGraph(name=name, inputs=list(pipeline.inputs), outputs=list(pipeline.outputs), steps=steps,
                         last_run=run)


def pipelines_page(workspace: Any) -> PipelinesPage:
    try:
        names = list(workspace.pipelines())
    except Exception as exc:  # the user's pipelines file failed to import: say so, keep the dashboard up
        return PipelinesPage(pipelines=[], problem=f"the workspace's pipelines could not be loaded: {exc}")
    return PipelinesPage(pipelines=[pipeline_graph(workspace, name) for name in names])


def graph_svg(graph: PipelineGraph) -> Any:
    nodes: dict[str, GraphNode] = {}
    edges = []
    for dataset in {d for s in graph.steps for d in (*s.inputs, *s.outputs)}:
        nodes[f"d:{dataset}"] = GraphNode(f"d:{dataset}", dataset, "dataset", "dataset", shape="pill")
    for s in graph.steps:
        href = f"/lineage/execution/{s.execution_id}" if s.execution_id else None
        detail = "not run" if s.state is None else ("cached (reused)" if s.cached else s.state)
        nodes[f"s:{s.name}"] = GraphNode(f"s:{s.name}", s.name, detail, s.state or "none", href)
        edges += [GraphEdge(f"d:{d}", f"s:{s.name}", d) for d in s.inputs]
        edges += [GraphEdge(f"s:{s.name}", f"d:{d}", d) for d in s.outputs]
    return render_svg(list(nodes.values()), edges, label=f"pipeline {graph.name}")


@router.get("/api/pipelines", response_model=PipelinesPage, tags=["pipelines"],
            summary="Every pipeline of the workspace with its steps and their state in the last run")
def api_pipelines(request: Request) -> PipelinesPage:
    return pipelines_page(request.app.state.workspace)


@router.get("/api/pipelines/{name}", response_model=PipelineGraph, tags=["pipelines"],
            summary="One pipeline's graph and its last run")
def api_pipeline(request: Request, name: str) -> PipelineGraph:
    return pipeline_graph(request.app.state.workspace, name)


@router.get("/pipelines", include_in_schema=False)
def pipelines_html(request: Request) -> Any:
    page = pipelines_page(request.app.state.workspace)
    return render(request, "pipelines.html", {"title": "Pipelines", "section": "pipelines", "page": page,
                                              "svgs": {g.name: graph_svg(g) for g in page.pipelines}})


@router.get("/pipelines/{name}", include_in_schema=False)
def pipeline_html(request: Request, name: str) -> Any:
    workspace = request.app.state.workspace
    try:
        graph = pipeline_graph(workspace, name)
    except NotFoundError:
        run, _ = last_run(workspace.registry.db, name)
        if run is None:
            raise
        graph = None  # recorded runs of a pipeline the workspace no longer defines
    return render(request, "pipeline.html", {"title": f"Pipeline {name}", "section": "pipelines", "name": name,
                                             "graph": graph, "svg": graph_svg(graph) if graph else ""})


__all__ = ["PipelineGraph", "PipelinesPage", "pipeline_graph", "pipelines_page", "router"]
