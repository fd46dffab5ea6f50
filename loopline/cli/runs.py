"""``loopline run`` and ``loopline runs list|show``."""

from __future__ import annotations

import tomllib
from typing import Any, Optional

import typer

from loopline.cli import _output
from loopline.cli.main import open_workspace
from loopline.errors import InvalidInputError

runs_app = typer.Typer(help="List and inspect pipeline runs.", no_args_is_help=True)


def parse_param(text: str) -> tuple[str, Any]:
    """``key=value``; the value is read as a TOML literal (2, 0.5, true, "x", [1, 2]) or else kept as text."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise InvalidInputError(f"--param '{text}' is not key=value", hint="write it as --param train.max_iter=300")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key.strip(), value


def run(
    ctx: typer.Context,
    pipeline: str = typer.Argument(..., help="Name of the pipeline to run."),
    param: list[str] = typer.Option([], "--param", "-p", help="Parameter override key=value (repeatable)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Run every step, even those whose inputs are unchanged."),
    parallel: bool = typer.Option(False, "--parallel", help="Run independent steps at the same time."),
    from_steps: Optional[str] = typer.Option(None, "--from-steps", help="Comma-separated steps to resume from."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Run a pipeline; unchanged steps are reused from cache."""
    from loopline.cli.progress import RunProgress

    workspace = open_workspace(ctx)
    params = dict(parse_param(p) for p in param)
    resume = [s.strip() for s in from_steps.split(",") if s.strip()] if from_steps else None
    with RunProgress(enabled=not as_json) as progress:
        result = workspace.run(
            pipeline, params=params, use_cache=not no_cache, parallel=parallel, from_steps=resume, on_event=progress
        )
    if as_json:
        _output.print_json(result)
    else:
        _print_result(result)
    if result.run.status.value != "complete":
        raise typer.Exit(1)


def _print_result(result: Any) -> None:
    run = result.run
    colour = "green" if run.status.value == "complete" else "red"
    _output.console.print(
        f"run [bold]{run.id}[/] of [bold]{_output.escape(run.pipeline)}[/]: [{colour}]{run.status.value}[/] "
        f"in {_output.seconds(run.duration_s)}"
    )
    if result.error:
        _output.err_console.print(f"[red]{_output.escape(result.error)}[/]")


def list_runs(
    ctx: typer.Context,
    pipeline: Optional[str] = typer.Option(None, "--pipeline", help="Only runs of this pipeline."),
    status: Optional[str] = typer.Option(None, "--status", help="Only runs in this state (complete, failed, ...)."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=10_000),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The latest runs, newest first."""
    from loopline.metadata.records import RunStatus

    workspace = open_workspace(ctx)
    state = None
    if status is not None:
        try:
            state = RunStatus(status)
        except ValueError:
            raise InvalidInputError(
                f"unknown status '{status}'", hint=f"choose one of: {', '.join(s.value for s in RunStatus)}"
            ) from None
    runs = workspace.metadata.runs.list(pipeline=pipeline, status=state, limit=limit)
    if as_json:
        _output.print_json(runs)
        return
    _output.table(
        "Runs",
        ["run", "pipeline", "status", "started", "duration"],
        [
            (r.id, _output.escape(r.pipeline), r.status.value, _output.when(r.started_at), _output.seconds(r.duration_s))
            for r in runs
        ],
    )


def show_run(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="Run id (7 or run/7)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A run's steps, parameters, metrics, outputs and error."""
    from loopline.cli.run_details import collect_run_details, print_run_details

    workspace = open_workspace(ctx)
    details = collect_run_details(workspace.metadata, _parse_run_id(run_id))
    if as_json:
        _output.print_json(details)
    else:
        print_run_details(details)


def _parse_run_id(text: str) -> int:
    value = text.removeprefix("run/").removeprefix("r")
    if not value.isdigit():
        raise InvalidInputError(f"'{text}' is not a run id", hint="pass the number shown by 'loopline runs list'")
    return int(value)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    runs_app.command("list")(list_runs)
    runs_app.command("show")(show_run)
    app.add_typer(runs_app, name="runs")
