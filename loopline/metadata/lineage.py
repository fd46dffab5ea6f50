"""Lineage: the graph of artifacts and executions around a node, walked breadth-first over events.

One hop goes from an artifact to an execution or from an execution to an artifact.
Upstream, an artifact leads to the executions that wrote it and an execution to the
artifacts it read; downstream, the other way round. Each hop is one set-based query per
chunk of ids (``IN (...)``), never one query per node, so graphs of many thousands of
nodes come back quickly. ``both`` is the union of the upstream and the downstream walk.
A run as the root stands for all of its executions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, get_args

from sqlalchemy import Connection, select

from loopline.errors import InvalidInputError, NotFoundError
from loopline.metadata import tables
from loopline.metadata.artifacts import id_chunks, load_artifacts
from loopline.metadata.engine import Database
from loopline.metadata.executions import load_execution
from loopline.metadata.records import EventKind, Execution, LineageEdge, LineageGraph, NodeRef
from loopline.metadata.refs import NODE_KINDS
from loopline.metadata.rows import execution_from_row
from loopline.metadata.runs import load_run

Direction = Literal["up", "down", "both"]


@dataclass
class _Reach:
    """What one walk found: node ids and the edges it crossed."""

    artifacts: set[int] = field(default_factory=set)
    executions: set[int] = field(default_factory=set)
    edges: set[LineageEdge] = field(default_factory=set)


def _edge(event_kind: str, execution_id: int, artifact_id: int, name: str) -> LineageEdge:
    """Edges point the way data flows: artifact -> execution for an input, execution -> artifact for an output."""
    execution, artifact = NodeRef("execution", execution_id), NodeRef("artifact", artifact_id)
    if event_kind == EventKind.INPUT.value:
        return LineageEdge(artifact, execution, name)
    return LineageEdge(execution, artifact, name)


def _events(conn: Connection, column: str, ids: set[int], kind: EventKind) -> Iterable[tuple[int, int, str]]:
    ev = tables.events
    for chunk in id_chunks(ids):
        query = select(ev.c.execution_id, ev.c.artifact_id, ev.c.name).where(
            ev.c[column].in_(chunk), ev.c.kind == kind.value
        )
        yield from ((row.execution_id, row.artifact_id, row.name) for row in conn.execute(query))


def _walk(conn: Connection, artifacts: set[int], executions: set[int], *, up: bool, max_hops: int | None) -> _Reach:
    reach = _Reach(set(artifacts), set(executions))
    from_artifacts = EventKind.OUTPUT if up else EventKind.INPUT  # who wrote it / who read it
    from_executions = EventKind.INPUT if up else EventKind.OUTPUT  # what it read / what it wrote
    hops = 0
    while (artifacts or executions) and (max_hops is None or hops < max_hops):
        hops += 1
        next_artifacts: set[int] = set()
        next_executions: set[int] = set()
        for execution_id, artifact_id, name in _events(conn, "artifact_id", artifacts, from_artifacts):
            reach.edges.add(_edge(from_artifacts.value, execution_id, artifact_id, name))
            if execution_id not in reach.executions:
                next_executions.add(execution_id)
        for execution_id, artifact_id, name in _events(conn, "execution_id", executions, from_executions):
            reach.edges.add(_edge(from_executions.value, execution_id, artifact_id, name))
            if artifact_id not in reach.artifacts:
                next_artifacts.add(artifact_id)
        reach.artifacts |= next_artifacts
        reach.executions |= next_executions
        artifacts, executions = next_artifacts, next_executions
    return reach


def _load_executions(conn: Connection, ids: Iterable[int]) -> dict[int, Execution]:
    found: dict[int, Execution] = {}
    for chunk in id_chunks(ids):
        query = select(tables.executions).where(tables.executions.c.id.in_(chunk))
        found.update((row.id, execution_from_row(row)) for row in conn.execute(query))
    return found


def _starting_points(conn: Connection, root: NodeRef) -> tuple[set[int], set[int]]:
    """The artifact ids and execution ids a walk from ``root`` starts at (NotFoundError if it does not exist)."""
    if root.kind == "artifact":
        if not load_artifacts(conn, [root.id]):
            raise NotFoundError(
                f"no artifact with id {root.id}", hint="see a run's outputs with 'loopline runs show RUN'"
            )
        return {root.id}, set()
    if root.kind == "execution":
        load_execution(conn, root.id)
        return set(), {root.id}
    load_run(conn, root.id)
    ids = conn.execute(select(tables.executions.c.id).where(tables.executions.c.run_id == root.id)).scalars()
    return set(), set(ids)


def _check(root: NodeRef, direction: str, max_hops: int | None) -> None:
    if not isinstance(root, NodeRef) or root.kind not in NODE_KINDS:
        raise InvalidInputError(
            f"the lineage root must be a NodeRef of kind {', '.join(NODE_KINDS)}, got {root!r}",
            hint="build one with parse_ref('artifact/12')",
        )
    if direction not in get_args(Direction):
        raise InvalidInputError(f"direction must be up, down or both, got {direction!r}")
    if max_hops is not None and (isinstance(max_hops, bool) or not isinstance(max_hops, int) or max_hops < 0):
        raise InvalidInputError(f"max_hops must be an integer >= 0 or None, got {max_hops!r}")


class Lineage:
    """Lineage graphs around artifacts, executions and runs."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def graph(self, root: NodeRef, *, direction: Direction = "both", max_hops: int | None = None) -> LineageGraph:
        """Nodes and edges up to ``max_hops`` hops from ``root`` (no limit when None)."""
        _check(root, direction, max_hops)

        def work(conn: Connection) -> LineageGraph:
            artifacts, executions = _starting_points(conn, root)
            reach = _Reach(set(artifacts), set(executions))
            for up in (True, False):
                if direction == ("down" if up else "up"):
                    continue
                found = _walk(conn, set(artifacts), set(executions), up=up, max_hops=max_hops)
                reach.artifacts |= found.artifacts
                reach.executions |= found.executions
                reach.edges |= found.edges
            edges = sorted(reach.edges, key=lambda e: (e.source.kind, e.source.id, e.target.kind, e.target.id, e.name))
            return LineageGraph(
                root=root,
                artifacts=dict(sorted(load_artifacts(conn, reach.artifacts).items())),
                executions=dict(sorted(_load_executions(conn, reach.executions).items())),
                edges=tuple(edges),
            )

        return self._db.read(work)


__all__ = ["Direction", "Lineage"]
