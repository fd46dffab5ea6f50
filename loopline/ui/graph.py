"""Directed graphs drawn as SVG: a layered layout (left to right) with clickable nodes.

The layout is the usual one for DAGs (Sugiyama's, simplified): each node's layer is the
length of the longest path reaching it, nodes in a layer are ordered by the mean position
of their neighbours (a few sweeps each way) to cut crossings, and edges are drawn as
curves from one layer to the next. Every label is escaped here; links are built by the
caller from ids and quoted names.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

NODE_W, NODE_H = 184, 46
GAP_X, GAP_Y = 70, 18
PAD = 12
MAX_LABEL = 26

FILLS = {
    "complete": "#dcfce7", "cached": "#ede9fe", "failed": "#fee2e2", "running": "#fef3c7", "skipped": "#e4e7eb",
    "dataset": "#e0f2fe", "artifact": "#e0f2fe", "execution": "#f1f5f9", "root": "#fde68a", "none": "#ffffff",
    "model": "#fae8ff", "run": "#f1f5f9",
}
STROKES = {"failed": "#b91c1c", "cached": "#7c3aed", "complete": "#15803d", "root": "#b45309"}


@dataclass(frozen=True)
class GraphNode:
    key: str
    label: str
    detail: str = ""
    kind: str = "none"  # picks the fill colour
    href: str | None = None
    tooltip: str = ""
    shape: str = "box"  # box | pill (datasets)


@dataclass(frozen=True)
class GraphEdge:
    source: str
    target: str
    label: str = ""


def layers(nodes: Sequence[GraphNode], edges: Sequence[GraphEdge]) -> list[list[str]]:
    """Nodes by layer (longest path from a source), each layer ordered to reduce crossings."""
    keys = [n.key for n in nodes]
    known = set(keys)
    succ: dict[str, list[str]] = defaultdict(list)
    pred: dict[str, list[str]] = defaultdict(list)
    indegree = dict.fromkeys(keys, 0)
    for e in edges:
        if e.source in known and e.target in known and e.source != e.target:
            succ[e.source].append(e.target)
            pred[e.target].append(e.source)
            indegree[e.target] += 1
    level = dict.fromkeys(keys, 0)
    queue = deque(k for k in keys if indegree[k] == 0)
    seen = 0
    while queue:
        key = queue.popleft()
        seen += 1
        for nxt in succ[key]:
            level[nxt] = max(level[nxt], level[key] + 1)
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                queue.append(nxt)
    if seen < len(keys):  # a cycle: put what is left after everything else rather than loop
        last = max(level.values(), default=0) + 1
        for k in keys:
            if indegree[k] > 0:
                level[k] = last
    by_layer: dict[int, list[str]] = defaultdict(list)
    for k in keys:
        by_layer[level[k]].append(k)
    ordered = [by_layer[i] for i in sorted(by_layer)]
    _reduce_crossings(ordered, succ, pred)
    return ordered


def _reduce_crossings(ordered: list[list[str]], succ: dict[str, list[str]], pred: dict[str, list[str]]) -> None:
    for _ in range(3):
        for neighbours, span in ((pred, range(1, len(ordered))), (succ, range(len(ordered) - 2, -1, -1))):
            for i in span:
                position = {k: p for layer in ordered for p, k in enumerate(layer)}

                def centre(key: str, _n: dict[str, list[str]] = neighbours) -> float:
                    linked = [position[k] for k in _n.get(key, ()) if k in position]
                    return sum(linked) / len(linked) if linked else position[key]

                ordered[i].sort(key=centre)


def render_svg(nodes: Sequence[GraphNode], edges: Sequence[GraphEdge], *, label: str = "graph") -> Markup:
    """The graph as an inline SVG element."""
    if not nodes:
        return Markup("")
    by_key = {n.key: n for n in nodes}
    ordered = layers(nodes, edges)
    tallest = max(len(layer) for layer in ordered)
    width = PAD * 2 + len(ordered) * NODE_W + (len(ordered) - 1) * GAP_X
    height = PAD * 2 + tallest * NODE_H + (tallest - 1) * GAP_Y
    place: dict[str, tuple[float, float]] = {}
    for column, layer in enumerate(ordered):
        offset = (tallest - len(layer)) * (NODE_H + GAP_Y) / 2
        for row, key in enumerate(layer):
            place[key] = (PAD + column * (NODE_W + GAP_X), PAD + offset + row * (NODE_H + GAP_Y))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(label)}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#7b8794"/></marker></defs>',
    ]
    for e in edges:
        if e.source not in place or e.target not in place:
            continue
        (sx, sy), (tx, ty) = place[e.source], place[e.target]
        x1, y1, x2, y2 = sx + NODE_W, sy + NODE_H / 2, tx - 2, ty + NODE_H / 2
        bend = max((x2 - x1) / 2, 30)
        parts.append(
            f'<path class="edge" d="M {x1:.1f} {y1:.1f} C {x1 + bend:.1f} {y1:.1f}, {x2 - bend:.1f} {y2:.1f}, '
            f'{x2:.1f} {y2:.1f}" fill="none" stroke="#9aa5b1" stroke-width="1.4" marker-end="url(#arrow)">'
            f"<title>{escape(e.label)}</title></path>"
        )
    for key, (x, y) in place.items():
        parts.append(_node(by_key[key], x, y))
    parts.append("</svg>")
    return Markup("".join(parts))


def _node(node: GraphNode, x: float, y: float) -> str:
    fill = FILLS.get(node.kind, "#ffffff")
    stroke = STROKES.get(node.kind, "#9aa5b1")
    radius = NODE_H / 2 if node.shape == "pill" else 6
    label = node.label if len(node.label) <= MAX_LABEL else node.label[: MAX_LABEL - 1] + "…"
    detail = node.detail if len(node.detail) <= MAX_LABEL + 6 else node.detail[: MAX_LABEL + 5] + "…"
    tooltip = node.tooltip or f"{node.label}\n{node.detail}".strip()
    body = (
        f'<g class="node {escape(node.kind)}" data-key="{escape(node.key)}">'
        f"<title>{escape(tooltip)}</title>"
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{NODE_W}" height="{NODE_H}" rx="{radius:.0f}" fill="{fill}" '
        f'stroke="{stroke}" stroke-width="{2 if node.kind == "root" else 1.2}"/>'
        f'<text x="{x + NODE_W / 2:.1f}" y="{y + 19:.1f}" font-size="12.5" font-weight="600" text-anchor="middle" '
        f'fill="#1f2933">{escape(label)}</text>'
        f'<text x="{x + NODE_W / 2:.1f}" y="{y + 35:.1f}" font-size="11" text-anchor="middle" '
        f'fill="#52606d">{escape(detail)}</text></g>'
    )
    if node.href:
        return f'<a href="{escape(node.href)}">{body}</a>'
    return body


__all__ = ["GraphEdge", "GraphNode", "layers", "render_svg"]
