"""Entry point of the ``loopline`` command: the app, global options and error handling.

Commands live in one module per concept and register themselves on ``app``. Heavy
imports (pandas, SQLAlchemy, scikit-learn) happen inside commands, never here, so
``loopline --help`` and a cached ``loopline run`` start quickly.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer

from loopline.cli import _output

app = typer.Typer(
    name="loopline",
    help="Loopline: take a model from raw data to a served endpoint, and keep it healthy there.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def main(
    ctx: typer.Context,
    workspace: Optional[Path] = typer.Option(
        None, "--workspace", "-w", help="Workspace folder (default: the nearest folder upward with loopline.toml)."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
) -> None:
    ctx.obj = {"workspace": workspace, "debug": debug}


def open_workspace(ctx: typer.Context):
    """The workspace named by --workspace, LOOPLINE_WORKSPACE, or found upward from here."""
    from loopline.workspace import Workspace

    start = (ctx.obj or {}).get("workspace") or os.environ.get("LOOPLINE_WORKSPACE")
    return Workspace.find(start)


def _register() -> None:
    if app.registered_commands or app.registered_groups:
        return  # already registered (run() may be called many times in one process)
    from loopline.cli import (
        agent, audit, data, demo, deploy, features, init, lineage, models, monitor, pipelines, predict, runs, serve, users,
        validation,
    )
    from loopline.cli import ui

    for module in (init, runs, lineage, pipelines, data, features, validation, models, users, audit, serve, predict,
                   deploy, monitor, demo, agent, ui):
        module.register(app)


def run(argv: list[str] | None = None) -> None:
    """Console-script entry: run the app, turning errors into one readable line and an exit status."""
    from loopline.errors import LooplineError

    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or os.environ.get("LOOPLINE_DEBUG") == "1"
    # OpenMP threads (scikit-learn's gradient boosting, LightGBM) spin while they wait for work;
    # next to a prediction server, an agent or another job that turns a 1 s fit into 40 s.
    # Sleeping waiters cost little when the machine is idle. Set it to ACTIVE to opt out.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    _register()
    try:
        app(args=args, prog_name="loopline")
    except LooplineError as exc:
        if debug:
            raise
        _output.err_console.print(f"[bold red]error:[/] {_output.escape(exc.message)}")
        if exc.hint:
            _output.err_console.print(f"[dim]hint:[/] {_output.escape(exc.hint)}")
        sys.exit(getattr(exc, "exit_code", 1))
    except KeyboardInterrupt:
        _output.err_console.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # an unexpected failure: one line, the traceback on request
        if debug:
            raise
        _output.err_console.print(
            f"[bold red]error:[/] unexpected {type(exc).__name__}: {_output.escape(exc)}\n"
            "[dim]hint:[/] run again with --debug for the full traceback"
        )
        sys.exit(1)


if __name__ == "__main__":
    run()
