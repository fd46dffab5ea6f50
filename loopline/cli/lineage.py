"""``loopline lineage ID``: what an artifact, execution or run came from and what came of it."""

from __future__ import annotations

from typing import Any, Optional

import typer

from loopline.cli import _output
from loopline.cli.main import open_workspace


def lineage(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="artifact/12, execution/3 or run/7 (short: a12, e3, r7)."),
    direction: str = typer.Option("both", "--direction", "-d", help="up, down or both."),
    hops: Optional[int] = typer.Option(None, "--hops", min=1, help="Stop after this many hops each way."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Lineage upstream and downstream of an artifact, execution or run, as a tree."""
    from loopline.errors import InvalidInputError
    from loopline.metadata import parse_ref

    if direction not in ("up", "down", "both"):
        raise InvalidInputError(f"--direction must be up, down or both, got '{direction}'")
    graph = open_workspace(ctx).metadata.lineage.graph(parse_ref(ref), direction=direction, max_hops=hops)
    if as_json:
        _output.print_json(graph)
        return
    _output.console.print(render_tree(graph, direction))


def _label(graph: Any, node: Any) -> str:
    if node.kind == "artifact":
        a = graph.artifacts[node.id]
        return f"[cyan]artifact/{a.id}[/] {_output.escape(a.type)} [bold]{_output.escape(a.name)}[/] [dim]{a.digest[:12]}[/]"
    if node.kind == "execution":
        e = graph.executions[node.id]
        return f"[magenta]execution/{e.id}[/] step [bold]{_output.escape(e.step)}[/] ({e.state.value}, run {e.run_id})"
    return f"[yellow]{node}[/]"


def render_tree(graph: Any, direction: str) -> Any:
    """A Rich tree: the root, then 'upstream' (where it came from) and 'downstream' (what it fed)."""
    from rich.tree import Tree

    parents: dict[Any, list[Any]] = {}
    children: dict[Any, list[Any]] = {}
    for edge in graph.edges:
        parents.setdefault(edge.target, []).append(edge.source)
        children.setdefault(edge.source, []).append(edge.target)

    roots = [graph.root]
    if graph.root.kind == "run":
        from loopline.metadata.records import NodeRef

        roots = [NodeRef("execution", e.id) for e in graph.executions.values() if e.run_id == graph.root.id]

    tree = Tree(f"[bold]lineage of {graph.root}[/]")
    for root in roots:
        branch = tree.add(_label(graph, root)) if root != graph.root else tree
        if direction in ("up", "both"):
            _grow(branch.add("[dim]upstream[/]"), root, parents, graph, set())
        if direction in ("down", "both"):
            _grow(branch.add("[dim]downstream[/]"), root, children, graph, set())
    return tree


def _grow(branch: Any, node: Any, links: dict[Any, list[Any]], graph: Any, seen: set[Any]) -> None:
    for nxt in sorted(links.get(node, []), key=lambda n: (n.kind, n.id)):
        if nxt in seen:
            branch.add(_label(graph, nxt) + " [dim](shown above)[/]")
            continue
        seen.add(nxt)
        _grow(branch.add(_label(graph, nxt)), nxt, links, graph, seen)


def register(app: typer.Typer) -> None:
    app.command("lineage")(lineage)
