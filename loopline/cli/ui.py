"""``loopline ui``: the web dashboard of the workspace."""

from __future__ import annotations

from typing import Optional

import typer

from loopline.cli import _output
from loopline.cli.main import open_workspace


def ui(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; any but loopback requires API tokens."),
    port: int = typer.Option(8090, "--port", min=0, max=65535, help="Port to listen on."),
    require_tokens: Optional[bool] = typer.Option(
        None, "--require-tokens/--no-require-tokens",
        help="Demand API tokens (default: exactly when the address is not loopback).",
    ),
) -> None:
    """Serve the web dashboard: runs, pipelines, lineage, models and approvals, data, features, monitoring, audit."""
    from loopline.ui.server import UiConfig, serve_ui

    workspace = open_workspace(ctx)
    root = str(workspace.root)
    workspace.close()
    config = UiConfig(workspace=root, host=host, port=port, require_tokens=require_tokens)
    shown = f"[{host}]" if ":" in host else host
    _output.err_console.print(f"dashboard of {_output.escape(root)} on http://{_output.escape(shown)}:{port}")
    serve_ui(config)


def register(app: typer.Typer) -> None:
    app.command("ui")(ui)
