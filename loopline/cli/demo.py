"""``loopline demo``: the bundled bike-sharing loop on a fresh workspace, from the first model to
two years of production traffic with monitoring, continuous training and delivery."""

from __future__ import annotations

import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Optional

import typer

from loopline.cli import _output
from loopline.errors import LooplineError


START = "2011-03-01"
"""The first model trains on the weeks before this day; the replay starts on it."""
_PARAMS = {"split.data_end": START}


def demo(
    ctx: typer.Context,
    workspace: Optional[Path] = typer.Option(
        None, "--workspace", "-w", help="Folder for the demo workspace (default: a new temporary folder)."
    ),
    days: Optional[int] = typer.Option(None, "--days", min=1,
                                       help="Replay only this many days (default: through 2012-12-31)."),
    speed: float = typer.Option(0.0, "--speed", min=0.0,
                                help="Simulated seconds per real second; 0 replays as fast as the server answers."),
    policy: str = typer.Option("triggered", "--policy",
                               help="Retraining: triggered (by the workspace's alerts), daily, or frozen."),
    report: Optional[Path] = typer.Option(None, "--report", help="Where to write the HTML report "
                                          "(default: demo-report.html in the workspace)."),
    summary_json: Optional[Path] = typer.Option(None, "--json", help="Also write the summary's figures as JSON."),
) -> None:
    """The whole loop on the bike data: train, deploy, replay 2011-2012 over HTTP, monitor, retrain, promote."""
    from loopline.cli.demo_loop import POLICIES, run_loop
    from loopline.errors import InvalidInputError
    from loopline.examples import write_workspace
    from loopline.workspace import Workspace

    if policy not in POLICIES:
        raise InvalidInputError(f"--policy must be one of {', '.join(POLICIES)}, got '{policy}'")
    folder = workspace or (ctx.obj or {}).get("workspace") or Path(tempfile.mkdtemp(prefix="loopline-demo-"))
    console = _output.console
    began = time.perf_counter()
    root = write_workspace(folder, example="bikes", force=True)
    console.rule("[bold]Loopline demo: bike-sharing demand, 2011-2012")
    console.print(f"workspace: {_output.escape(root)}")
    with Workspace.find(root) as ws:
        story = _first_model(ws)
        _run_again_cached(ws)
        _deploy(ws)
        span = f"{days} days" if days else "through 2012-12-31"
        console.print(f"\n[bold]4. replay[/] from {START}, {span}, hour by hour over HTTP; true counts arrive "
                      f"a day later as feedback; the agent watches daily windows (policy: {policy})")
        loop = run_loop(ws, start=START, days=days, speed=speed, policy=policy, first=story)
        _summarize(ws, loop, report or root / "demo-report.html", summary_json)
    console.print(f"\ndemo finished in {_output.seconds(time.perf_counter() - began)}. Explore: "
                  f"cd {_output.escape(root)} && loopline runs list && loopline monitor history bikes_daily "
                  "&& loopline triggers history && loopline audit list")


def _first_model(ws: Any) -> Any:
    """Step 1: train on the weeks before START; the VersionStory of the registered version."""
    from loopline.cli.demo_loop import story_of
    from loopline.cli.progress import RunProgress

    console = _output.console
    console.print(f"\n[bold]1. train[/] on the weeks before {START}: prepare → validate → features → split → "
                  "train → evaluate → bless → register → promote")
    with RunProgress() as progress:
        first = ws.run("training", params=_PARAMS, on_event=progress)
    _check(first)
    console.print(f"   run {first.run.id} finished in {_output.seconds(first.run.duration_s)}")
    _print_blessing(first.load("blessing", ws.artifacts))
    story = story_of(ws, first, datetime.fromisoformat(START).replace(tzinfo=UTC), "the first model", _PARAMS)
    if story is None:
        raise LooplineError("the demo's first model was not registered", hint="run again with --debug")
    for decision in story.decisions:
        console.print(f"   bikes/{story.version} → {decision['alias']}: {decision['action']} "
                      f"({_output.escape(decision['reason'])})")
    story.live_from = story.trained_at
    return story


def _run_again_cached(ws: Any) -> None:
    """Step 2: the same run again, every step reused from cache."""
    _output.console.print("\n[bold]2. run again[/]: nothing changed, so every step is reused from cache")
    started = time.perf_counter()
    second = ws.run("training", params=_PARAMS)
    _check(second)
    _output.console.print(f"   run {second.run.id}: {len(second.steps_with('cached'))} of {len(second.steps)} "
                          f"steps cached, {_output.seconds(time.perf_counter() - started)}")


def _deploy(ws: Any) -> None:
    """Step 3: deploy bikes@production, checked in a separate process first."""
    from loopline.deployment import DeploymentController, InfraValidator, StoreLocation

    _output.console.print("\n[bold]3. deploy[/] bikes@production: loaded in a separate process and checked first")
    controller = DeploymentController(ws.registry, InfraValidator(StoreLocation.of(ws.registry)))
    outcome = controller.deploy("bikes@production", reason="demo: serve the production model")
    check = outcome.check.reason if outcome.check else "already live"
    _output.console.print(f"   {outcome.action}: {_output.escape(outcome.message)} (check: {_output.escape(check)})")


def _summarize(ws: Any, loop: Any, report: Path, summary_json: Path | None) -> None:
    """Step 5: the summary, the HTML report, the figures as JSON and the production model's card."""
    from loopline.cli.demo_report import print_summary, summary_figures, write_report

    console = _output.console
    console.print("\n[bold]5. summary[/]")
    print_summary(loop)
    write_report(loop, report)
    if summary_json is not None:
        summary_json.write_text(json.dumps(summary_figures(loop), indent=2, default=str), encoding="utf-8")
    console.print(f"\n   report: {_output.escape(report)}")
    card_path = Path(ws.root) / "model-card.md"
    card_path.write_text(ws.registry.card("bikes@production").to_markdown(), encoding="utf-8")
    console.print(f"   model card of bikes@production: {_output.escape(card_path)}")


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
    if result.run.status.value != "complete":
        raise LooplineError(f"the demo's training run failed: {result.error}", hint="run again with --debug")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
