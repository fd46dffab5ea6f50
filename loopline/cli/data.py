"""``loopline data list|show|versions|snapshot|load``: the workspace's datasets and their versions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from loopline.cli import _output
from loopline.cli.main import open_workspace
from loopline.errors import InvalidInputError

data_app = typer.Typer(help="Datasets declared in loopline.toml and their recorded versions.", no_args_is_help=True)

_WRITERS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def list_datasets(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """Every declared dataset, its source and its latest recorded version."""
    workspace = open_workspace(ctx)
    catalog = workspace.catalog
    found = []
    for name in catalog.names():
        versions = catalog.versions(name)
        latest = versions[-1] if versions else None
        found.append(
            {
                "name": name,
                "source": catalog.source(name),
                "description": catalog.declaration(name).description,
                "versions": len(versions),
                "latest_version": latest.version if latest else None,
                "rows": latest.rows if latest else None,
            }
        )
    if as_json:
        _output.print_json(found)
        return
    _output.table(
        "Datasets",
        ["dataset", "kind", "source", "versions", "rows", "description"],
        [
            (
                _output.escape(d["name"]),
                d["source"]["kind"],
                _output.escape(_source_text(d["source"])),
                d["versions"],
                d["rows"],
                _output.escape(d["description"]),
            )
            for d in found
        ],
    )


def show_dataset(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Dataset name, as declared in loopline.toml."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A dataset's declaration, its latest version's columns and whether its source changed since."""
    from loopline.catalog import DatasetReadError

    workspace = open_workspace(ctx)
    catalog = workspace.catalog
    decl = catalog.declaration(name)
    versions = catalog.versions(name)
    latest = versions[-1] if versions else None
    try:
        fingerprint, problem = catalog.fingerprint(name), None
    except DatasetReadError as exc:  # a missing file: its versions are still worth showing
        fingerprint, problem = None, exc.message
    current = next((v.version for v in versions if fingerprint is not None and fingerprint in v.fingerprints), None)
    details = {
        "name": name,
        "description": decl.description,
        "source": catalog.source(name),
        "source_error": problem,
        "versions": len(versions),
        "latest": latest,
        "current_version": current,
        "source_changed": None if fingerprint is None or latest is None else current is None,
    }
    if as_json:
        _output.print_json(details)
        return
    console = _output.console
    console.print(f"[bold]{_output.escape(name)}[/]  {_output.escape(_source_text(details['source']))}")
    if decl.description:
        console.print(_output.escape(decl.description))
    if problem:
        console.print(f"[red]{_output.escape(problem)}[/]")
    if latest is None:
        console.print(f"no version recorded yet: run a pipeline that reads it, or 'loopline data snapshot {name}'")
        return
    console.print(
        f"{len(versions)} version(s); latest: version {latest.version}, {latest.rows} rows, "
        f"recorded {_output.when(latest.created_at)}, content sha256:{latest.digest[:12]}"
    )
    if details["source_changed"]:
        console.print("[yellow]the source changed since the last version; the next run records a new one[/]")
    elif current is not None:
        console.print(f"the source as it is now is version {current}")
    columns = [(_output.escape(c), latest.dtypes.get(c, "")) for c in latest.columns]
    _output.table("Columns", ["column", "dtype"], columns)


def list_versions(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Dataset name."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Every recorded version of a dataset, oldest first, with the runs that read it."""
    workspace = open_workspace(ctx)
    versions = workspace.catalog.versions(name)
    rows = [{"version": v, "runs": _runs_reading(workspace.metadata, v.artifact_ids)} for v in versions]
    if as_json:
        _output.print_json([{**_output.to_jsonable(r["version"]), "runs": r["runs"]} for r in rows])
        return
    _output.table(
        f"Versions of {name}",
        ["version", "recorded", "rows", "columns", "content", "artifact", "read by runs"],
        [
            (
                r["version"].version,
                _output.when(r["version"].created_at),
                r["version"].rows,
                len(r["version"].columns),
                f"sha256:{r['version'].digest[:12]}",
                ", ".join(f"artifact/{i}" for i in r["version"].artifact_ids),
                ", ".join(str(i) for i in r["runs"]),
            )
            for r in rows
        ],
    )


def snapshot_dataset(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Dataset name."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Read a dataset now and record it as a version (the existing version if its content is known)."""
    workspace = open_workspace(ctx)
    snapshot = workspace.catalog.snapshot(name)
    if as_json:
        _output.print_json({"version": snapshot.version, "is_new": snapshot.is_new})
        return
    state = "recorded new" if snapshot.is_new else "unchanged:"
    version = snapshot.version
    _output.console.print(
        f"{_output.escape(name)}: {state} version {version.version} ({version.rows} rows, "
        f"content sha256:{version.digest[:12]})"
    )


def load_dataset(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Dataset name."),
    version: Optional[int] = typer.Option(
        None, "--version", "-v", min=1, help="Recorded version (default: the source now)."
    ),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the rows to this .csv or .parquet file."),
    head: int = typer.Option(10, "--head", "-n", min=0, max=10_000, help="Rows to print when no --output is given."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Load a dataset (or one of its versions): write it to a file, or print its first rows."""
    workspace = open_workspace(ctx)
    kind = _WRITERS.get(output.suffix.lower()) if output is not None else None
    if output is not None and kind is None:
        raise InvalidInputError(
            f"cannot tell how to write {output}: expected a .csv or .parquet suffix", hint="write -o rows.parquet"
        )
    frame = workspace.catalog.load(name, version=version)
    label = f"{name} version {version}" if version is not None else f"{name} (source now)"
    if output is not None:
        _write_atomic(frame, output, kind or "csv")
        summary = {"dataset": name, "version": version, "rows": len(frame), "path": output.resolve()}
        if as_json:
            _output.print_json(summary)
        else:
            _output.console.print(f"wrote {len(frame)} rows of {_output.escape(label)} to {_output.escape(output)}")
        return
    shown = frame.head(head)
    if as_json:
        records = json.loads(shown.to_json(orient="records", date_format="iso"))
        _output.print_json({"dataset": name, "version": version, "rows": len(frame), "head": records})
        return
    _output.console.print(f"{_output.escape(label)}: first {len(shown)} of {len(frame)} rows")
    _output.table(
        None,
        [str(c) for c in shown.columns],
        [[_output.escape(v) for v in row] for row in shown.itertuples(index=False)],
    )


def _write_atomic(frame: Any, path: Path, kind: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if kind == "csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _runs_reading(metadata: Any, artifact_ids: tuple[int, ...]) -> list[int]:
    """Ids of the runs whose steps read any of these artifacts."""
    from loopline.metadata.records import NodeRef

    runs: set[int] = set()
    for artifact_id in artifact_ids:
        graph = metadata.lineage.graph(NodeRef("artifact", artifact_id), direction="down", max_hops=1)
        runs.update(e.run_id for e in graph.executions.values())
    return sorted(runs)


def _source_text(source: dict[str, Any]) -> str:
    if source["kind"] == "query":
        query = " ".join(str(source["query"]).split())
        return query if len(query) <= 60 else query[:57] + "..."
    if source["kind"] == "postgres":
        return f"{source['table']} at {source['url']}"
    return str(source.get("path", ""))


def register(app: typer.Typer) -> None:
    data_app.command("list")(list_datasets)
    data_app.command("show")(show_dataset)
    data_app.command("versions")(list_versions)
    data_app.command("snapshot")(snapshot_dataset)
    data_app.command("load")(load_dataset)
    app.add_typer(data_app, name="data")
