"""``loopline demo``: the bundled bike-sharing loop on a fresh workspace."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Optional

import typer

from loopline.cli import _output


def demo(
    ctx: typer.Context,
    workspace: Optional[Path] = typer.Option(
        None, "--workspace", "-w", help="Folder for the demo workspace (default: a new temporary folder)."
    ),
) -> None:
    """Create a bike-sharing workspace, train twice (the second run fully cached), show metrics and lineage."""
    from loopline.cli.lineage import render_tree
    from loopline.cli.progress import RunProgress
    from loopline.cli.run_details import collect_run_details, print_run_details
    from loopline.examples import write_workspace
    from loopline.metadata.records import NodeRef
    from loopline.workspace import Workspace

    folder = workspace or (ctx.obj or {}).get("workspace") or Path(tempfile.mkdtemp(prefix="loopline-demo-"))
    console = _output.console
    root = write_workspace(folder, example="bikes", force=True)
    console.rule("[bold]Loopline demo: bike-sharing demand")
    console.print(f"workspace: {_output.escape(root)}")
    with Workspace.find(root) as ws:
        console.print("\n[bold]1. train[/]: prepare → split by time → train → evaluate")
        with RunProgress() as progress:
            first = ws.run("training", on_event=progress)
        _check(first)
        console.print(f"   run {first.run.id} finished in {_output.seconds(first.run.duration_s)}")

        console.print("\n[bold]2. run again[/]: nothing changed, so every step is reused from cache")
        started = time.perf_counter()
        with RunProgress() as progress:
            second = ws.run("training", on_event=progress)
        _check(second)
        console.print(f"   run {second.run.id} finished in {_output.seconds(time.perf_counter() - started)}")

        console.print()
        print_run_details(collect_run_details(ws.metadata, second.run.id))
        metrics = ws.metadata.tracking.latest_metrics(run_id=first.run.id).get("evaluate", {})
        if metrics:
            console.print(
                "\n[bold]evaluation[/] (two weeks after the training window): "
                + ", ".join(f"{k.upper()} {v:.3f}" for k, v in metrics.items() if k in ("mae", "rmse", "r2"))
            )
        model = second.outputs.get("model") if hasattr(second, "outputs") else None
        model_id = getattr(model, "id", None)
        if model_id is not None:
            console.print("\n[bold]3. lineage of the model[/]")
            graph = ws.metadata.lineage.graph(NodeRef("artifact", model_id), direction="up")
            console.print(render_tree(graph, "up"))
    console.print(f"\nExplore: cd {_output.escape(root)} && loopline runs list && loopline pipeline show training")


def _check(result) -> None:
    from loopline.errors import LooplineError

    if result.run.status.value != "complete":
        raise LooplineError(f"the demo's training run failed: {result.error}", hint="run again with --debug")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
