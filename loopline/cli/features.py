"""``loopline features apply|list|show|materialize|get``: the workspace's feature store.

The definitions come from ``[features] module`` (default ``features.py``), the online store
from ``[features] online`` (default SQLite under ``.loopline/``); versions of the
definitions and every materialization are recorded in the workspace's stores.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Optional

import typer

from loopline.cli import _output
from loopline.cli.main import open_workspace
from loopline.errors import ConfigError, InvalidInputError

if TYPE_CHECKING:
    from loopline.features import FeatureRepository, FeatureStore, Materialization
    from loopline.workspace import Workspace

features_app = typer.Typer(help="Feature definitions, materialization and online lookups.", no_args_is_help=True)


def apply(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """Check the feature definitions and record them as a new version, showing what changed."""
    workspace = open_workspace(ctx)
    with _feature_store(workspace) as store:
        applied = store.apply()
    summary = {
        "version": applied.version,
        "digest": applied.digest,
        "changes": [str(c) for c in applied.diff.changes],
        "feature_views": [v["name"] for v in applied.description["feature_views"]],
        "on_demand_feature_views": [v["name"] for v in applied.description["on_demand_feature_views"]],
    }
    if as_json:
        _output.print_json(summary)
        return
    if applied.diff.is_empty:
        _output.console.print(f"no changes: version {applied.version} is current (sha256:{applied.digest[:12]})")
        return
    _output.console.print(f"applied version {applied.version} (sha256:{applied.digest[:12]}):")
    for change in applied.diff.changes:
        _output.console.print("  " + _output.escape(str(change)).replace("\n", "\n  "))


def list_features(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """The entities and feature views the definitions file declares, and whether they are applied."""
    from loopline.features.description import describe_definitions

    workspace = open_workspace(ctx)
    repository, status = _definitions_status(workspace)
    description = describe_definitions(repository)
    if as_json:
        _output.print_json({**status, **description})
        return
    _output.console.print(_status_line(status))
    _output.table(
        "Entities",
        ["entity", "join keys", "description"],
        [
            (_output.escape(e["name"]), ", ".join(e["join_keys"]), _output.escape(e["description"]))
            for e in description["entities"]
        ],
    )
    rows = [
        (
            _output.escape(v["name"]),
            "feature view",
            ", ".join(v["entities"]),
            _output.escape(", ".join(f["name"] for f in v["features"])),
            _ttl(v["ttl_seconds"]),
            _output.escape(v["description"]),
        )
        for v in description["feature_views"]
    ] + [
        (
            _output.escape(v["name"]),
            "on demand",
            ", ".join(v["sources"]),
            _output.escape(", ".join(f["name"] for f in v["features"])),
            "",
            _output.escape(v["description"]),
        )
        for v in description["on_demand_feature_views"]
    ]
    _output.table("Feature views", ["view", "kind", "entities / sources", "features", "ttl", "description"], rows)


def show(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A feature view, on-demand feature view or entity."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """One definition in full; for a feature view also its online watermark and last materialization."""
    workspace = open_workspace(ctx)
    details = _definition_details(workspace, name)
    if as_json:
        _output.print_json(details)
        return
    _output.console.print(f"[bold]{details['kind']} {_output.escape(name)}[/]")
    for key, value in details["definition"].items():
        if key in ("name", "features", "request_fields"):
            continue
        _output.console.print(f"  {key}: {_output.escape(_plain(value))}")
    features = details["definition"].get("features")
    if features:
        _output.table("Features", ["feature", "dtype"], [(_output.escape(f["name"]), f["dtype"]) for f in features])
    if details["kind"] == "feature view":
        watermark = details["online_watermark"]
        _output.console.print(
            f"online store: materialized up to {watermark}" if watermark else "online store: not materialized yet"
        )


def materialize(
    ctx: typer.Context,
    start: Optional[str] = typer.Option(None, "--start", help="Earliest event time to write (default: the first row)."),
    end: Optional[str] = typer.Option(None, "--end", help="Latest event time to write (default: now, UTC)."),
    incremental: bool = typer.Option(
        False, "--incremental", help="Start each view where its last materialization ended."
    ),
    view: list[str] = typer.Option([], "--view", help="Only this feature view (repeatable; default: all)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Write the latest feature values up to --end into the online store (idempotent)."""
    if incremental and start is not None:
        raise InvalidInputError(
            "--start and --incremental exclude each other", hint="--incremental starts at each view's watermark"
        )
    start_time = parse_time(start, "--start") if start is not None else None
    end_time = parse_time(end, "--end") if end is not None else datetime.now(UTC).replace(tzinfo=None)
    workspace = open_workspace(ctx)
    with _feature_store(workspace) as store:
        _require_applied(store)
        names = [store.repository.view(v).name for v in view] or sorted(store.repository.views)
        results = _materialize_with_progress(store, names, start_time, end_time, incremental, show=not as_json)
    if as_json:
        _output.print_json(results)
        return
    _output.table(
        "Materialized",
        ["view", "from", "to", "entities", "rows written", "took"],
        [
            (_output.escape(r.view), r.start or "first row", r.end, r.entities, r.written, _output.seconds(r.seconds))
            for r in results
        ],
    )


def get(
    ctx: typer.Context,
    view: str = typer.Argument(..., help="Feature view (or on-demand feature view) to read."),
    keys: list[str] = typer.Argument(..., help="Entity keys and request values as KEY=VALUE, e.g. city=dc."),
    feature: list[str] = typer.Option([], "--feature", "-f", help="Only this feature (repeatable; default: all)."),
    at: Optional[str] = typer.Option(None, "--at", help="Time the TTLs count back from (default: now, UTC)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Look up an entity's feature values in the online store; an unknown entity gives nulls and found=false."""
    row = dict(parse_key_value(text) for text in keys)
    at_time = parse_time(at, "--at") if at is not None else None
    refs = [f"{view}:{f}" for f in feature] or [f"{view}:*"]
    workspace = open_workspace(ctx)
    with _feature_store(workspace) as store:
        result = store.get_online_features(refs, [row], at=at_time)
    values = dict(zip(result.columns, result.rows[0], strict=True))
    answer = {
        "view": view,
        "entity": row,
        "at": at_time,
        "found": result.found[0],
        "missing": list(result.missing[0]),
        "values": values,
    }
    if as_json:
        _output.print_json(answer)
        return
    _output.table(
        f"{view} for {', '.join(f'{k}={v}' for k, v in row.items())}",
        ["feature", "value"],
        [(_output.escape(k), "null" if v is None else _output.escape(v)) for k, v in values.items()],
    )
    if not answer["found"]:
        _output.console.print(
            f"[yellow]not found:[/] no fresh value in {', '.join(answer['missing'])} "
            "(unknown entity, not materialized, or older than the view's ttl; try --at)"
        )


# -- helpers ------------------------------------------------------------------------------------


def parse_key_value(text: str) -> tuple[str, Any]:
    """``key=value``; the value is read as a TOML literal (7, 1.5, true, "007") or else kept as text."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise InvalidInputError(f"'{text}' is not KEY=VALUE", hint="write the entity key as city=dc or station=7")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    if isinstance(value, (list, dict)):
        raise InvalidInputError(f"'{text}': an entity key or request value must be a single value")
    return key.strip(), value


def parse_time(text: str, option: str) -> datetime:
    """An ISO date or date-time (time zones converted to UTC) as a naive UTC datetime."""
    from loopline.features.dtypes import as_utc_naive

    try:
        return as_utc_naive(text)
    except (ValueError, TypeError):
        raise InvalidInputError(
            f"{option} '{text}' is not a date or time", hint=f'write {option} 2012-12-31 or {option} "2012-12-31 23:00"'
        ) from None


def _feature_store(workspace: Workspace) -> FeatureStore:
    from loopline.features.configured import workspace_feature_store

    return workspace_feature_store(
        workspace.root, workspace.settings.features, objects=workspace.artifacts, records=workspace.metadata.artifacts
    )


def _definitions_status(workspace: Workspace) -> tuple[FeatureRepository, dict[str, Any]]:
    """The current definitions, and the applied version they match (or the latest one)."""
    from loopline.features import FeatureHistory
    from loopline.features.configured import definitions_digest, definitions_path, load_workspace_repository

    section = workspace.settings.features
    repository = load_workspace_repository(workspace.root, section)
    latest = FeatureHistory(workspace.artifacts, workspace.metadata.artifacts).latest_definitions()
    digest = definitions_digest(repository)
    status = {
        "module": str(definitions_path(workspace.root, section)),
        "digest": digest,
        "applied_version": latest.version if latest else None,
        "is_applied": latest is not None and latest.digest == digest,
    }
    return repository, status


def _status_line(status: dict[str, Any]) -> str:
    module = _output.escape(status["module"])
    if status["is_applied"]:
        return f"{module}: applied as version {status['applied_version']}"
    if status["applied_version"] is None:
        return f"{module}: [yellow]not applied yet[/] (run 'loopline features apply')"
    return f"{module}: [yellow]changed since version {status['applied_version']}[/] (run 'loopline features apply')"


def _require_applied(store: FeatureStore) -> None:
    from loopline.features.configured import definitions_digest

    latest = store.history.latest_definitions()
    if latest is None or latest.digest != definitions_digest(store.repository):
        state = "have never been applied" if latest is None else f"changed since version {latest.version} was applied"
        raise ConfigError(
            f"the feature definitions {state}; materializing them could mix values of old and new views",
            hint="run 'loopline features apply' first",
        )


def _definition_details(workspace: Workspace, name: str) -> dict[str, Any]:
    from loopline.errors import did_you_mean
    from loopline.features import UnknownFeatureError
    from loopline.features.description import describe_definitions

    repository, status = _definitions_status(workspace)
    description = describe_definitions(repository)
    sections = (
        ("feature_views", "feature view"),
        ("on_demand_feature_views", "on-demand feature view"),
        ("entities", "entity"),
    )
    for section, kind in sections:
        found = next((d for d in description[section] if d["name"] == name), None)
        if found is None:
            continue
        details: dict[str, Any] = {"kind": kind, "definition": found, **status}
        if kind == "feature view":
            with _feature_store(workspace) as store:
                details["online_watermark"] = store.watermark(name)
                records = store.history.materializations(name)
            details["materializations"] = len(records)
            details["last_materialization"] = records[-1].properties if records else None
        return details
    known = [d["name"] for section, _ in sections for d in description[section]]
    raise UnknownFeatureError(
        f"nothing named '{name}' in {status['module']}",
        hint=did_you_mean(name, known) or f"defined: {', '.join(sorted(known)) or 'nothing'}",
    )


def _materialize_with_progress(
    store: FeatureStore, names: list[str], start: datetime | None, end: datetime, incremental: bool, *, show: bool
) -> list[Materialization]:
    """Materialize view by view, with a progress bar on a terminal and a line per view elsewhere."""

    def one(name: str) -> list[Materialization]:
        if incremental:
            return store.materialize_incremental([name], end=end)
        return store.materialize([name], start, end)

    results: list[Materialization] = []
    if not show or not _output.console.is_terminal:
        for name in names:
            done = one(name)
            results += done
            if show:
                for r in done:
                    _output.console.print(f"  materialized {_output.escape(r.view)}: {r.written} rows written")
        return results
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=_output.console, transient=True) as progress:
        task = progress.add_task("materializing", total=len(names))
        for name in names:
            progress.update(task, description=f"materializing {_output.escape(name)}")
            results += one(name)
            progress.advance(task)
    return results


def _ttl(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds / 3600:g} h" if seconds >= 3600 else f"{seconds:g} s"


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def register(app: typer.Typer) -> None:
    features_app.command("apply")(apply)
    features_app.command("list")(list_features)
    features_app.command("show")(show)
    features_app.command("materialize")(materialize)
    features_app.command("get")(get)
    app.add_typer(features_app, name="features")
