"""Gathering and printing what ``loopline runs show`` tells about one run."""

from __future__ import annotations

from typing import Any

from loopline.cli import _output


def collect_run_details(metadata: Any, run_id: int) -> dict[str, Any]:
    """The run, each execution with its outputs and latest metrics, as plain values."""
    run = metadata.runs.get(run_id)
    executions = metadata.runs.executions(run_id)
    metrics = metadata.tracking.latest_metrics(run_id=run_id)
    steps = []
    for execution in executions:
        outputs = {}
        inputs = {}
        for event in metadata.executions.events(execution.id):
            artifact = metadata.artifacts.get(event.artifact_id)
            target = outputs if event.kind.value == "output" else inputs
            target[event.name] = artifact
        steps.append(
            {
                "execution": execution,
                "inputs": inputs,
                "outputs": outputs,
                "metrics": metrics.get(execution.step, {}),
            }
        )
    return {"run": run, "steps": steps}


def print_run_details(details: dict[str, Any]) -> None:
    from rich.table import Table

    run = details["run"]
    console = _output.console
    colour = {"complete": "green", "failed": "red"}.get(run.status.value, "yellow")
    console.print(
        f"[bold]run {run.id}[/]  pipeline [bold]{_output.escape(run.pipeline)}[/]  [{colour}]{run.status.value}[/]  "
        f"started {_output.when(run.started_at)}  took {_output.seconds(run.duration_s)}"
    )
    if run.params:
        console.print("parameters: " + _output.escape(", ".join(f"{k}={v!r}" for k, v in sorted(run.params.items()))))
    steps = Table(title="Steps", title_justify="left", header_style="bold")
    for column in ("step", "state", "duration", "outputs", "metrics"):
        steps.add_column(column, overflow="fold")
    for item in details["steps"]:
        execution = item["execution"]
        state = execution.state.value
        if execution.cached_from:
            state += f" (from execution {execution.cached_from})"
        outputs = ", ".join(f"{name}: {a.type} artifact/{a.id}" for name, a in item["outputs"].items())
        metrics = ", ".join(f"{k}={_number(v)}" for k, v in sorted(item["metrics"].items()))
        steps.add_row(
            _output.escape(execution.step),
            state,
            _output.seconds(execution.duration_s),
            _output.escape(outputs),
            _output.escape(metrics),
        )
    console.print(steps)
    failed = [item["execution"] for item in details["steps"] if item["execution"].state.value == "failed"]
    for execution in failed:
        console.print(f"[red]step {_output.escape(execution.step)} failed:[/] {_output.escape(execution.error or '')}")
        if execution.traceback:
            console.print(f"[dim]{_output.escape(execution.traceback.rstrip())}[/]")
        console.print(f"resume with: loopline run {_output.escape(run.pipeline)} --from-steps {_output.escape(execution.step)}")
    if run.error and not failed:
        console.print(f"[red]{_output.escape(run.error)}[/]")


def _number(value: float) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
