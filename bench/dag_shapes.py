"""The DAGs of the pipeline-overhead benchmark, shared by Loopline and its peers.

Pure standard library, so every virtual environment (Loopline's, Kedro's) builds the
same graph: a list of ``Node(name, inputs, output)``, each output a small integer.

- ``chain``: ``step_000 -> step_001 -> ... -> step_099``.
- ``fan``: one ``source``, ``n - 2`` independent ``mid_*`` steps reading its output,
  and one ``sink`` reading all of them (fan-out then fan-in).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

SHAPES = ("chain", "fan")


@dataclass(frozen=True)
class Node:
    name: str
    inputs: tuple[str, ...]
    output: str


def build(shape: str, n_steps: int) -> list[Node]:
    """The nodes of ``shape`` with ``n_steps`` steps, in a valid execution order."""
    if shape not in SHAPES:
        raise ValueError(f"unknown shape '{shape}'; choose one of: {', '.join(SHAPES)}")
    if n_steps < 3:
        raise ValueError(f"n_steps must be at least 3, got {n_steps}")
    if shape == "chain":
        return [
            Node(f"step_{i:03d}", (f"d_{i - 1:03d}",) if i else (), f"d_{i:03d}")
            for i in range(n_steps)
        ]
    mids = [Node(f"mid_{i:03d}", ("d_source",), f"d_{i:03d}") for i in range(1, n_steps - 1)]
    sink = Node("sink", tuple(node.output for node in mids), "d_sink")
    return [Node("source", (), "d_source"), *mids, sink]


def noop_function(n_inputs: int) -> Callable[..., int]:
    """A no-op step function with ``n_inputs`` named positional parameters ``x0, x1, ...``.

    Named parameters (not ``*args``) so every framework can bind inputs by position or
    by name; the body only returns a small integer.
    """
    params = ", ".join(f"x{i}" for i in range(n_inputs))
    namespace: dict[str, object] = {}
    exec(f"def noop({params}):\n    return {n_inputs}\n", namespace)  # noqa: S102 - fixed template
    return namespace["noop"]  # type: ignore[return-value]
