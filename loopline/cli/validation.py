"""``loopline stats``, ``schema infer|save|show|list``, ``validate`` and ``drift``.

Each command reads its inputs (see ``_validation_io``), calls one library function and
prints a table, or JSON with ``--json``. Unreadable input stops a command with exit
status 2 before it writes anything; ``validate`` exits with 1 when it finds an ERROR.
"""

from __future__ import annotations

import json
import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Optional

import typer

from loopline.cli import _output
from loopline.cli import _validation_io as sources
from loopline.errors import InvalidInputError

schema_app = typer.Typer(help="Infer, save and show data schemas.", no_args_is_help=True)

DATA_HELP = "A CSV or Parquet file, or a dataset of the workspace catalog (NAME or NAME@VERSION)."


def stats(
    ctx: typer.Context,
    data: str = typer.Argument(..., help=DATA_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the profile as JSON to this file."),
    html: Optional[Path] = typer.Option(None, "--html", help="Write a self-contained HTML report to this file."),
    as_json: bool = typer.Option(False, "--json", help="Print the profile as JSON."),
) -> None:
    """Profile a dataset: rows, duplicates, and per column counts, missing values, ranges, top values."""
    from loopline.cli._validation_output import print_profile
    from loopline.validation import profile
    from loopline.validation.profile_html import profile_page

    sources.check_writable(output, html)
    with sources.reading_inputs(), _working(f"profiling {data}", enabled=not as_json):
        result = profile(sources.resolve_data(ctx, data))
    document = result.to_dict()
    if output is not None:
        sources.write_atomic(output, json.dumps(document, ensure_ascii=False) + "\n")
    if html is not None:
        sources.write_atomic(html, profile_page(result, title=f"Data profile: {result.source or data}"))
    if as_json:
        _output.print_json(document)
    else:
        print_profile(result)
        _wrote(output, html)


def infer(
    ctx: typer.Context,
    data: str = typer.Argument(..., help=DATA_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the schema as YAML to this file."),
    label: Optional[str] = typer.Option(None, "--label", help="The label column: required in TRAINING only."),
    key: list[str] = typer.Option([], "--key", help="A key column, unique per row (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print the schema as JSON."),
) -> None:
    """Infer a schema from data: types, required columns, missing values, ranges, domains."""
    from loopline.cli._validation_output import print_schema
    from loopline.validation import infer_schema

    sources.check_writable(output)
    with sources.reading_inputs(), _working(f"inferring a schema from {data}", enabled=not as_json):
        schema = infer_schema(sources.resolve_data(ctx, data), label=label, key=key or None)
    if output is not None:
        sources.write_atomic(output, schema.to_yaml())
    if as_json:
        _output.print_json(schema.to_dict())
        return
    print_schema(schema)
    if output is None:
        _output.console.print("[dim]pass -o schema.yaml to save it as YAML[/]")
    _wrote(output)


def save(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="The schema's YAML file."),
    name: str = typer.Option(..., "--name", "-n", help="The name to save it under (versions count from 1)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Save a schema file into the workspace as the next version of NAME (a Schema artifact)."""
    from loopline.cli.main import open_workspace
    from loopline.validation.storage import read_schema_text, save_schema

    with sources.reading_inputs():
        _, text = read_schema_text(file)
    workspace = open_workspace(ctx)
    saved, created = save_schema(workspace.metadata, workspace.artifacts, text, name=name)
    if as_json:
        _output.print_json({**saved.to_dict(), "created": created})
    elif created:
        _output.console.print(f"saved schema [bold]{_output.escape(saved.ref)}[/] as artifact/{saved.artifact.id}")
    else:
        _output.console.print(f"unchanged: [bold]{_output.escape(saved.ref)}[/] already holds this schema")


def show(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="NAME or NAME@VERSION of a saved schema."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Print a saved schema's YAML (the latest version unless NAME@VERSION)."""
    from loopline.cli.main import open_workspace
    from loopline.validation.storage import load_schema_version, parse_schema_ref

    name, version = parse_schema_ref(ref)
    workspace = open_workspace(ctx)
    saved = load_schema_version(workspace.metadata, workspace.artifacts, name, version)
    if as_json:
        _output.print_json(saved.to_dict())
        return
    saved_at = _output.when(saved.artifact.created_at)
    _output.err_console.print(f"[dim]{_output.escape(saved.ref)}: artifact/{saved.artifact.id}, saved {saved_at}[/]")
    sys.stdout.write(saved.text if saved.text.endswith("\n") else saved.text + "\n")


def list_schemas(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """The schemas saved in the workspace, with their number of versions."""
    from loopline.cli._validation_output import print_schema_versions
    from loopline.cli.main import open_workspace
    from loopline.validation.storage import schema_names, schema_versions

    metadata = open_workspace(ctx).metadata
    versions = {name: schema_versions(metadata, name) for name in schema_names(metadata)}
    rows = [(name, len(found), found[-1]) for name, found in versions.items() if found]
    if as_json:
        _output.print_json([{"name": n, "versions": count, "latest": latest} for n, count, latest in rows])
    else:
        print_schema_versions(rows)


def validate(
    ctx: typer.Context,
    data: str = typer.Argument(..., help=DATA_HELP),
    schema: str = typer.Option(
        ..., "--schema", "-s", help="A schema YAML file, or NAME[@VERSION] saved in the workspace."
    ),
    environment: str = typer.Option("TRAINING", "--environment", "-e", help="TRAINING or SERVING (or ALL)."),
    order_by: list[str] = typer.Option([], "--order-by", help="Column(s) giving the row order for stuck-value checks."),
    html: Optional[Path] = typer.Option(None, "--html", help="Write a self-contained HTML report to this file."),
    as_json: bool = typer.Option(False, "--json", help="Print the anomalies as JSON."),
    data_checks: bool = typer.Option(True, "--data-checks/--schema-only", help="Also look for duplicate rows "
                                     "and keys, conflicting labels, target leakage and stuck values (warnings)."),
) -> None:
    """Check data against a schema; exit status 1 when any anomaly is an ERROR."""
    from loopline.cli._validation_output import print_anomalies
    from loopline.validation import html_page
    from loopline.validation import validate as run_validation

    env = environment.strip().upper()
    sources.check_writable(html)
    with sources.reading_inputs(), _working(f"validating {data}", enabled=not as_json):
        parsed, schema_source = sources.resolve_schema(ctx, schema)
        result = run_validation(sources.resolve_data(ctx, data), parsed, environment=None if env == "ALL" else env,
                                order_by=order_by, data_checks=data_checks)
    if html is not None:
        sources.write_atomic(html, html_page(result))
    if as_json:
        _output.print_json({"data": data, "schema": schema_source, "environment": env, **result.to_dict()})
    else:
        print_anomalies(result, data, schema_source)
        _wrote(html)
    if not result.passed:
        raise typer.Exit(1)


def drift(
    ctx: typer.Context,
    reference: str = typer.Argument(
        ..., help=DATA_HELP + " Or a profile: a JSON file from 'stats -o', or artifact/ID."
    ),
    current: str = typer.Argument(..., help=DATA_HELP + " Or a profile, as REFERENCE."),
    schema: Optional[str] = typer.Option(None, "--schema", "-s", help="Schema with per-column drift settings."),
    numeric_measure: Optional[str] = typer.Option(None, "--numeric-measure", help="ks, wasserstein, psi, ..."),
    categorical_measure: Optional[str] = typer.Option(None, "--categorical-measure", help="chisquare, psi, ..."),
    threshold: Optional[float] = typer.Option(None, "--threshold", help="Threshold for the measures chosen above."),
    fail_on_drift: bool = typer.Option(False, "--fail-on-drift", help="Exit with status 1 when the dataset drifted."),
    html: Optional[Path] = typer.Option(None, "--html", help="Write a self-contained HTML report to this file."),
    as_json: bool = typer.Option(False, "--json", help="Print the drift report as JSON."),
) -> None:
    """Compare CURRENT with REFERENCE column by column: the statistic, threshold and verdict of each."""
    from loopline.cli._validation_output import print_drift
    from loopline.validation import DriftOptions, detect_drift, html_page

    if threshold is not None and numeric_measure is None and categorical_measure is None:
        raise InvalidInputError(
            "--threshold applies to the measure chosen with --numeric-measure or --categorical-measure; none is",
            hint="add --numeric-measure psi (for instance), or set per-column thresholds in a schema",
        )
    options = DriftOptions(numeric_measure=numeric_measure, categorical_measure=categorical_measure,
                           threshold=threshold)
    sources.check_writable(html)
    with sources.reading_inputs(), _working(f"comparing {current} with {reference}", enabled=not as_json):
        parsed = sources.resolve_schema(ctx, schema)[0] if schema is not None else None
        before = sources.resolve_profile_or_data(ctx, reference)
        report = detect_drift(before, sources.resolve_profile_or_data(ctx, current), schema=parsed, options=options)
    if html is not None:
        sources.write_atomic(html, html_page(report))
    if as_json:
        _output.print_json(report.to_dict())
    else:
        print_drift(report)
        _wrote(html)
    if fail_on_drift and report.dataset_drift:
        raise typer.Exit(1)


def _working(message: str, *, enabled: bool) -> AbstractContextManager[object]:
    """A spinner on stderr while the work runs (nothing when printing JSON or not on a terminal)."""
    if not enabled or not _output.err_console.is_terminal:
        return nullcontext()
    return _output.err_console.status(_output.escape(message))


def _wrote(*paths: Path | None) -> None:
    for path in paths:
        if path is not None:
            _output.console.print(f"[dim]wrote {_output.escape(path)}[/]")


def register(app: typer.Typer) -> None:
    if any(info.name == "stats" for info in app.registered_commands):
        return  # registered already: main.run() registers the commands on every call
    app.command("stats")(stats)
    app.command("validate")(validate)
    app.command("drift")(drift)
    schema_app.command("infer")(infer)
    schema_app.command("save")(save)
    schema_app.command("show")(show)
    schema_app.command("list")(list_schemas)
    app.add_typer(schema_app, name="schema")
