"""``loopline pipeline list|show``: pipelines as tables, text graphs and Mermaid."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import typer

from loopline.cli import _output
from loopline.cli.main import open_workspace

pipeline_app = typer.Typer(help="See the workspace's pipelines.", no_args_is_help=True)


def step_inputs(step: Any) -> list[str]:
    """Dataset names a step reads (parameters excluded)."""
    inputs = step.inputs
    names = list(inputs.values()) if isinstance(inputs, Mapping) else list(inputs)
    return [n for n in names if not str(n).startswith("params:")]


def describe(pipeline: Any) -> dict[str, Any]:
    """Nodes and edges of a pipeline as plain values (for --json and the renderers)."""
    steps = [
        {"name": s.name, "inputs": step_inputs(s), "outputs": list(s.outputs), "tags": sorted(getattr(s, "tags", ()))}
        for s in pipeline.steps
    ]
    return {
        "name": pipeline.name,
        "inputs": sorted(pipeline.inputs),
        "outputs": sorted(pipeline.outputs),
        "steps": steps,
    }


def to_mermaid(description: dict[str, Any]) -> str:
    """A Mermaid flowchart: steps as boxes, datasets as stadiums, arrows as data flows."""
    ids: dict[str, str] = {}

    def node(kind: str, name: str) -> str:
        key = f"{kind}:{name}"
        if key not in ids:
            ids[key] = f"{kind[0]}{len(ids)}"
        return ids[key]

    def label(text: str) -> str:
        return text.replace('"', "#quot;")

    lines = ["flowchart TD"]
    datasets = {n for s in description["steps"] for n in s["inputs"] + s["outputs"]}
    for name in sorted(datasets):
        lines.append(f'    {node("dataset", name)}(["{label(name)}"])')
    for s in description["steps"]:
        lines.append(f'    {node("step", s["name"])}["{label(s["name"])}"]')
    for s in description["steps"]:
        for name in s["inputs"]:
            lines.append(f'    {node("dataset", name)} --> {node("step", s["name"])}')
        for name in s["outputs"]:
            lines.append(f'    {node("step", s["name"])} --> {node("dataset", name)}')
    lines.append("    classDef free stroke-dasharray: 4 3")
    for name in description["inputs"]:
        lines.append(f'    class {node("dataset", name)} free')
    return "\n".join(lines)


def print_text_graph(description: dict[str, Any]) -> None:
    console = _output.console
    console.print(
        f"[bold]{_output.escape(description['name'])}[/]  {len(description['steps'])} steps; "
        f"inputs: {_output.escape(', '.join(description['inputs']) or '-')}"
    )
    width = max((len(s["name"]) for s in description["steps"]), default=0)
    for s in description["steps"]:
        ins = ", ".join(s["inputs"]) or "·"
        outs = ", ".join(s["outputs"]) or "·"
        console.print(f"  {_output.escape(s['name']).ljust(width)}  {_output.escape(ins)} → {_output.escape(outs)}")


def list_pipelines(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """Pipelines defined in the workspace."""
    pipelines = {name: describe(p) for name, p in open_workspace(ctx).pipelines().items()}
    if as_json:
        _output.print_json(list(pipelines.values()))
        return
    _output.table(
        "Pipelines",
        ["pipeline", "steps", "inputs", "outputs"],
        [
            (_output.escape(n), len(d["steps"]), _output.escape(", ".join(d["inputs"])), _output.escape(", ".join(d["outputs"])))
            for n, d in pipelines.items()
        ],
    )


def show_pipeline(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Pipeline name."),
    mermaid: bool = typer.Option(False, "--mermaid", help="Print a Mermaid flowchart."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A pipeline as a graph of steps and datasets."""
    description = describe(open_workspace(ctx).pipeline(name))
    if as_json:
        _output.print_json(description)
    elif mermaid:
        print(to_mermaid(description))
    else:
        print_text_graph(description)


def register(app: typer.Typer) -> None:
    pipeline_app.command("list")(list_pipelines)
    pipeline_app.command("show")(show_pipeline)
    app.add_typer(pipeline_app, name="pipeline")
