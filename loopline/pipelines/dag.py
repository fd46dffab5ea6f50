"""Graph algorithms over steps: who produces what, dependency order, cycles, up- and downstream.

Steps depend on each other through datasets: a step depends on the producer of every
dataset it reads. Orders are deterministic: among steps that are ready at the same
time, the one declared first comes first.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from loopline.pipelines.steps import Step


@dataclass(frozen=True, slots=True)
class DataEdge:
    """A dataset flowing into a step: from the step that produces it, or from outside (producer None)."""

    dataset: str
    producer: str | None
    consumer: str


def data_edges(steps: Sequence[Step], producers: Mapping[str, str]) -> tuple[DataEdge, ...]:
    """One edge per (dataset, consumer), in step order then input order."""
    return tuple(DataEdge(dataset, producers.get(dataset), s.name) for s in steps for dataset in s.data_inputs)


def dependencies(steps: Sequence[Step], producers: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """For each step, the steps producing what it reads (no repeats, in input order)."""
    result: dict[str, tuple[str, ...]] = {}
    for s in steps:
        found = (producers[d] for d in s.data_inputs if d in producers)
        result[s.name] = tuple(dict.fromkeys(found))
    return result


def dependents(deps: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The reverse of ``dependencies``: for each step, the steps that read one of its outputs."""
    result: dict[str, list[str]] = {name: [] for name in deps}
    for name, upstream in deps.items():
        for parent in upstream:
            result[parent].append(name)
    return result


def find_cycle(deps: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A cycle as step names in data-flow order, first name repeated at the end (``[a, b, a]``), or None."""
    children = dependents(deps)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in deps:
        if state.get(root):
            continue
        path: list[str] = []
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            node, index = stack.pop()
            if index == 0:
                state[node] = 1
                path.append(node)
            if index < len(children[node]):
                stack.append((node, index + 1))
                child = children[node][index]
                if state.get(child) == 1:
                    return [*path[path.index(child) :], child]
                if not state.get(child):
                    stack.append((child, 0))
            else:
                state[node] = 2
                path.pop()
    return None


def topological_order(deps: Mapping[str, Sequence[str]]) -> list[str]:
    """Step names so that every step comes after those it depends on; ties keep declaration order.

    ``deps`` must be acyclic (check with ``find_cycle`` first); its key order is the declaration order.
    """
    position = {name: i for i, name in enumerate(deps)}
    waiting = {name: len(upstream) for name, upstream in deps.items()}
    children = dependents(deps)
    ready = [position[name] for name, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    names = list(deps)
    order: list[str] = []
    while ready:
        name = names[heapq.heappop(ready)]
        order.append(name)
        for child in children[name]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, position[child])
    return order


def downstream(deps: Mapping[str, Sequence[str]], names: Iterable[str]) -> set[str]:
    """``names`` and every step that depends on one of them, directly or not."""
    return _closure(dependents(deps), names)


def upstream(deps: Mapping[str, Sequence[str]], names: Iterable[str]) -> set[str]:
    """``names`` and every step they depend on, directly or not."""
    return _closure(deps, names)


def _closure(edges: Mapping[str, Sequence[str]], names: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(edges[name])
    return seen


__all__ = [
    "DataEdge",
    "data_edges",
    "dependencies",
    "dependents",
    "downstream",
    "find_cycle",
    "topological_order",
    "upstream",
]
