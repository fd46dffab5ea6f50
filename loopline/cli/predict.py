"""``loopline predict NAME@ALIAS --input FILE --output FILE``: batch prediction over a file."""

from __future__ import annotations

from pathlib import Path

import typer

from loopline.cli import _output
from loopline.cli.main import open_workspace


def predict(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The model: NAME@ALIAS, NAME/VERSION or NAME."),
    input_path: Path = typer.Option(..., "--input", "-i", help="Parquet, CSV or JSON-lines file of records."),
    output_path: Path = typer.Option(..., "--output", "-o", help="Where to write the records with predictions."),
    chunk_rows: int = typer.Option(100_000, "--chunk-rows", min=1, help="Rows read and predicted at a time."),
    runner: str | None = typer.Option(
        None, "--runner", help="local or ray: where chunks are predicted (default: the workspace's [runner] kind)."),
    keep: list[str] = typer.Option(
        [], "--keep", "-k", help="An input column to write beside the predictions (repeat; default: every one)."),
    predictions_only: bool = typer.Option(
        False, "--predictions-only", help="Write only the predictions, one row per input row, in input order."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Predict every row of a file, in chunks, with the same feature lookup as the server.

    With the Ray runner ([runner] kind = "ray", or --runner ray) the chunks are predicted by
    [runner] max_workers Ray actors (on [runner] address, or a local Ray instance); this process
    reads the file and writes the output in input order.
    """
    from loopline.serving.batch import count_rows, predict_file
    from loopline.serving.loading import load_models, pin_refs

    if runner not in (None, "local", "ray"):
        raise typer.BadParameter(f"'{runner}' is not a runner; use local or ray", param_hint="--runner")
    if keep and predictions_only:
        raise typer.BadParameter("--predictions-only writes no input column; drop --keep or it",
                                 param_hint="--keep")
    kept = [] if predictions_only else (list(keep) or None)
    with open_workspace(ctx) as workspace:
        settings = workspace.settings.runner
        kind = runner or settings.kind
        loaded = load_models(workspace, pin_refs(workspace, [ref]))
        try:
            model = loaded.models[0]
            scorer = None
            if kind == "ray":
                from loopline.serving.batch_ray import RayScorer

                scorer = RayScorer(model, workers=settings.max_workers, address=settings.address or None,
                                   workspace_root=workspace.root).start()
            try:
                with _progress(count_rows(input_path), enabled=not as_json) as advance:
                    result = predict_file(model, input_path, output_path, chunk_rows=chunk_rows,
                                          on_progress=advance, scorer=scorer, keep=kept)
            finally:
                if scorer is not None:
                    scorer.close()
        finally:
            loaded.close()
    if as_json:
        _output.print_json({"model": model.name, "version": model.version, "rows": result.rows,
                            "seconds": result.seconds, "rows_per_second": result.rows_per_second,
                            "output": result.output, "runner": kind})
        return
    _output.console.print(
        f"predicted {result.rows} rows with [bold]{_output.escape(model.label)}[/] in "
        f"{_output.seconds(result.seconds)} ({result.rows_per_second:,.0f} rows/s, {kind} runner) -> "
        f"{_output.escape(result.output)}"
    )


class _progress:
    """A Rich progress bar fed with the rows done; silent when disabled or not on a terminal."""

    def __init__(self, total: int | None, *, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled and _output.err_console.is_terminal
        self._bar = None
        self._task = None

    def __enter__(self):
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn("predicting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                 console=_output.err_console, transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task("rows", total=self.total)
        return self._advance

    def _advance(self, rows: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=rows)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


def register(app: typer.Typer) -> None:
    app.command("predict")(predict)
