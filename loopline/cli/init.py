"""``loopline init``: write a new workspace."""

from __future__ import annotations

from pathlib import Path

import typer

from loopline.cli import _output


def init(
    directory: Path = typer.Argument(..., help="Folder to create the workspace in."),
    example: str = typer.Option("default", "--example", "-e", help="Template: default or bikes."),
    force: bool = typer.Option(False, "--force", help="Overwrite the template files of an existing workspace."),
) -> None:
    """Create a workspace: loopline.toml, pipelines.py and data/."""
    from loopline.examples import write_workspace

    root = write_workspace(directory, example=example, force=force)
    _output.console.print(f"Created the [bold]{example}[/] workspace in {_output.escape(root)}")
    _output.console.print(f"  cd {_output.escape(root)} && loopline pipeline list && loopline run <pipeline>")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
