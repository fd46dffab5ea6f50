"""``loopline serve NAME@ALIAS [...]``: the prediction server."""

from __future__ import annotations

from typing import Optional

import typer

from loopline.cli import _output
from loopline.cli.main import open_workspace


def serve(
    ctx: typer.Context,
    refs: list[str] = typer.Argument(..., help="Models to serve: NAME@ALIAS, NAME/VERSION or NAME (repeatable)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; any but loopback requires API tokens."),
    port: int = typer.Option(8080, "--port", min=0, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Worker processes."),
    require_tokens: Optional[bool] = typer.Option(
        None, "--require-tokens/--no-require-tokens",
        help="Demand API tokens (default: exactly when the address is not loopback).",
    ),
    predict_role: str = typer.Option("developer", "--predict-role",
                                     help="Weakest role whose token may predict and post feedback."),
    prediction_log: bool = typer.Option(True, "--prediction-log/--no-prediction-log",
                                        help="Log every prediction to the workspace's metadata database."),
    access_log: bool = typer.Option(True, "--access-log/--no-access-log", help="JSON access log lines on stderr."),
    max_body_mb: float = typer.Option(8.0, "--max-body-mb", min=0.01, help="Largest request body accepted."),
    max_batch: int = typer.Option(10_000, "--max-batch", min=1, help="Most records accepted in one request."),
) -> None:
    """Serve models over HTTP: Open Inference Protocol (/v2), POST /predict, MLflow's /invocations, /metrics."""
    from loopline.config import ROLES
    from loopline.errors import InvalidInputError, did_you_mean
    from loopline.serving.server import ServeConfig
    from loopline.serving.server import serve as run_server

    if predict_role not in ROLES:
        raise InvalidInputError(f"--predict-role must be one of {', '.join(ROLES)}, got '{predict_role}'",
                                hint=did_you_mean(predict_role, ROLES))
    workspace = open_workspace(ctx)
    root = str(workspace.root)
    workspace.close()
    config = ServeConfig(
        workspace=root, refs=refs, host=host, port=port, workers=workers, require_tokens=require_tokens,
        predict_role=predict_role, prediction_log=prediction_log, access_log=access_log,
        max_body_bytes=int(max_body_mb * 1024 * 1024), max_batch_rows=max_batch,
    )
    _output.err_console.print(f"serving {_output.escape(', '.join(refs))} on http://{_output.escape(host)}:{port}")
    run_server(config)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
