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
    """Create a bike-sharing workspace; train, re-run from cache, govern, retrain and promote; show the lineage."""
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
        console.print("\n[bold]3. govern[/]: the blessed candidate was registered; promote it to production")
        first_version = _registered(first, ws)
        _print_blessing(first.load("blessing", ws.artifacts))
        ws.registry.promote("bikes", first_version, "production", reason="demo: the first blessed model")
        console.print(f"   bikes/{first_version} → production (policy: a blessing is required)")

        console.print("\n[bold]4. retrain with one more month[/]: the candidate is judged against production")
        with RunProgress() as progress:
            third = ws.run("training", params={"split.train_end": "2011-06-01"}, on_event=progress)
        _check(third)
        _print_blessing(third.load("blessing", ws.artifacts))
        second_version = _registered(third, ws)
        if second_version is not None:
            ws.registry.promote("bikes", second_version, "production", reason="demo: blessed against production")
            console.print(f"   bikes/{second_version} → production")

        card_path = root / "model-card.md"
        card_path.write_text(ws.registry.card("bikes@production").to_markdown(), encoding="utf-8")
        console.print(f"\n[bold]5. model card[/] of bikes@production: {_output.escape(card_path)}")

        package_id = ws.registry.resolve("bikes@production").artifact_id
        console.print("\n[bold]6. lineage of the production model[/]")
        graph = ws.metadata.lineage.graph(NodeRef("artifact", package_id), direction="up", max_hops=6)
        console.print(render_tree(graph, "up"))

        from loopline.cli.demo_deploy import serve_held_out_week

        console.print("\n[bold]7. deploy and serve[/]: a held-out week over HTTP, true counts as feedback")
        serve_held_out_week(ws)
    console.print(f"\nExplore: cd {_output.escape(root)} && loopline runs list && loopline pipeline show training")


def _registered(result, ws) -> int | None:
    registration = result.load("registration", ws.artifacts)
    if not registration.get("registered"):
        _output.console.print(f"   not registered: {_output.escape(registration.get('reason', ''))}")
        return None
    _output.console.print(f"   registered bikes/{registration['version']}")
    return registration["version"]


def _print_blessing(stored) -> None:
    from rich.table import Table

    from loopline.evaluation import Blessing

    blessing = stored if isinstance(stored, Blessing) else Blessing.from_dict(stored)

    against = blessing.baseline_ref or "no production model yet: absolute rules only"
    table = Table(title=f"blessing: {'BLESSED' if blessing.blessed else 'NOT BLESSED'} (against {against})",
                  title_justify="left")
    for column in ("rule", "value", "baseline", "limit", "verdict"):
        table.add_column(column)
    for check in blessing.checks:
        verdict = {True: "[green]pass[/]", False: "[red]fail[/]", None: "skipped"}[check.passed]
        table.add_row(
            _output.escape(check.rule),
            "" if check.value is None else f"{check.value:.3f}",
            "" if check.baseline is None else f"{check.baseline:.3f}",
            f"{check.limit:g}",
            verdict,
        )
    _output.console.print(table)


def _check(result) -> None:
    from loopline.errors import LooplineError

    if result.run.status.value != "complete":
        raise LooplineError(f"the demo's training run failed: {result.error}", hint="run again with --debug")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
