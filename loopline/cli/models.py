"""``loopline models ...``: the model registry (versions, aliases, approvals, cards, imports).

Every command acts as ``LOOPLINE_USER`` or the operating-system user. A refusal by policy
prints every unmet condition; a promotion that lost a race to another one exits 1 with
"moved while this change was being made".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from loopline.cli import _output
from loopline.cli.main import open_workspace
from loopline.errors import InvalidInputError

models_app = typer.Typer(help="Registered models: versions, aliases, approvals, model cards.", no_args_is_help=True)

_JSON = typer.Option(False, "--json", help="Print the result as JSON.")
_ALIAS = typer.Option(..., "--alias", "-a", help="The alias (production, staging, ...).")


def _registry(ctx: typer.Context) -> Any:
    return open_workspace(ctx).registry


def list_models(ctx: typer.Context, as_json: bool = _JSON) -> None:
    """Every registered model with its newest version and aliases."""
    models = _registry(ctx).models()
    if as_json:
        _output.print_json(models)
        return
    _output.table(
        "Registered models",
        ["name", "versions", "aliases", "created", "by"],
        [(_output.escape(m.name), m.last_version, _aliases(m.aliases), _output.when(m.created_at),
          _output.escape(m.created_by)) for m in models],
    )


def show_model(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Model name."),
    limit: int = typer.Option(10, "--limit", "-n", min=1, max=1000, help="Versions and alias moves to show."),
    as_json: bool = _JSON,
) -> None:
    """A model: its aliases, newest versions and the latest alias moves."""
    registry = _registry(ctx)
    model = registry.get_model(name)
    versions = registry.versions(name, limit=limit)
    history = registry.alias_history(name, limit=limit)
    if as_json:
        _output.print_json({"model": model, "versions": versions, "alias_history": history})
        return
    _output.console.print(f"[bold]{_output.escape(model.name)}[/]  {_output.escape(model.description)}")
    _output.console.print(f"aliases: {_aliases(model.aliases) or 'none'}")
    _print_versions(versions)
    _print_history(history)


def list_versions(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Model name."),
    limit: int = typer.Option(50, "--limit", "-n", min=1, max=10_000),
    as_json: bool = _JSON,
) -> None:
    """The model's versions, newest first."""
    versions = _registry(ctx).versions(name, limit=limit)
    if as_json:
        _output.print_json(versions)
    else:
        _print_versions(versions)


def check(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Model name."),
    version: int = typer.Argument(..., help="Version number."),
    alias: str = _ALIAS,
    as_json: bool = _JSON,
) -> None:
    """Which conditions of the alias's policy a promotion would meet and miss (changes nothing)."""
    result = _registry(ctx).check(name, version, alias)
    if as_json:
        _output.print_json({**_output.to_jsonable(result), "allowed": result.allowed})
    else:
        for condition in result.conditions:
            mark = "[green]met[/]    " if condition.met else "[red]unmet[/]  "
            _output.console.print(f"{mark}{condition.name}: {_output.escape(condition.detail)}")
        verdict = "[green]allowed[/]" if result.allowed else "[red]refused[/]"
        _output.console.print(f"promotion of {name}/{version} to '{alias}': {verdict}")
    if not result.allowed:
        raise typer.Exit(1)


def promote(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Model name."),
    version: int = typer.Argument(..., help="Version number."),
    alias: str = _ALIAS,
    reason: str = typer.Option("", "--reason", "-r", help="Why (kept in the audit log)."),
    as_json: bool = _JSON,
) -> None:
    """Move an alias to a version, if the alias's policy allows it."""
    _print_move(_registry(ctx).promote(name, version, alias, reason=reason), as_json)


def rollback(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Model name."),
    alias: str = _ALIAS,
    reason: str = typer.Option("", "--reason", "-r", help="Why (kept in the audit log)."),
    as_json: bool = _JSON,
) -> None:
    """Move an alias back to the version it pointed at before."""
    _print_move(_registry(ctx).rollback(name, alias, reason=reason), as_json)


def approve(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Model name."),
    version: int = typer.Argument(..., help="Version number."),
    alias: Optional[str] = typer.Option(None, "--alias", "-a", help="Approve for this alias only."),
    comment: str = typer.Option("", "--comment", "-m"),
    as_json: bool = _JSON,
) -> None:
    """Approve a version (needs the approver role; not for a version you registered)."""
    _print_decision(_registry(ctx).approve(name, version, alias=alias, comment=comment), as_json)


def reject(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Model name."),
    version: int = typer.Argument(..., help="Version number."),
    alias: Optional[str] = typer.Option(None, "--alias", "-a", help="Reject for this alias only."),
    comment: str = typer.Option("", "--comment", "-m"),
    as_json: bool = _JSON,
) -> None:
    """Reject a version: it may not be promoted while the rejection stands."""
    _print_decision(_registry(ctx).reject(name, version, alias=alias, comment=comment), as_json)


def archive(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Model name."),
    version: int = typer.Argument(..., help="Version number."),
    reason: str = typer.Option("", "--reason", "-r"),
    as_json: bool = _JSON,
) -> None:
    """Archive a version: it can no longer be promoted (its number is never reused)."""
    archived = _registry(ctx).archive(name, version, reason=reason)
    if as_json:
        _output.print_json(archived)
    else:
        _output.console.print(f"{_output.escape(archived.ref)} archived")


def card(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="NAME@ALIAS, NAME/VERSION or NAME."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to FILE (.md or .html)."),
    as_json: bool = _JSON,
) -> None:
    """The model card, as Markdown (or HTML with -o card.html)."""
    model_card = _registry(ctx).card(ref)
    if as_json:
        _output.print_json(model_card)
        return
    if output is None:
        typer.echo(model_card.to_markdown(), nl=False)
        return
    suffix = output.suffix.lower()
    if suffix not in (".md", ".html", ".htm", ".markdown"):
        raise InvalidInputError(f"cannot tell the format of {output}", hint="name the file card.md or card.html")
    text = model_card.to_html() if suffix in (".html", ".htm") else model_card.to_markdown()
    _write_atomically(output, text)
    _output.err_console.print(f"model card written to {_output.escape(output)}")


def import_model(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="A pickle file, or a folder saved with ModelPackage.save."),
    name: str = typer.Option(..., "--name", help="Register it under this model name."),
    trust: bool = typer.Option(False, "--trust", help="Confirm you trust the file: loading it runs its code."),
    description: str = typer.Option("", "--description"),
    reason: str = typer.Option("", "--reason", "-r", help="Where it comes from and why (kept in the audit log)."),
    as_json: bool = _JSON,
) -> None:
    """Bring an outside model in as a new version (an admin action, recorded in the audit log)."""
    version = _registry(ctx).import_model(path, name=name, trust=trust, description=description, reason=reason)
    if as_json:
        _output.print_json(version)
    else:
        _output.console.print(f"imported {_output.escape(path)} as {_output.escape(version.ref)} "
                              f"(artifact/{version.artifact_id})")


def _write_atomically(path: Path, text: str) -> None:
    import os
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _aliases(aliases: dict[str, int]) -> str:
    return ", ".join(f"{_output.escape(a)} -> {v}" for a, v in aliases.items())


def _print_versions(versions: list[Any]) -> None:
    _output.table(
        "Versions",
        ["version", "status", "aliases", "artifact", "registered", "by", "description"],
        [(v.version, v.status, ", ".join(v.aliases), f"artifact/{v.artifact_id}", _output.when(v.created_at),
          _output.escape(v.created_by), _output.escape(v.description)) for v in versions],
    )


def _print_history(moves: list[Any]) -> None:
    if not moves:
        return
    _output.table(
        "Alias moves",
        ["alias", "action", "from", "to", "by", "when", "reason"],
        [(_output.escape(m.alias), m.action, m.from_version, m.to_version, _output.escape(m.moved_by),
          _output.when(m.moved_at), _output.escape(m.reason)) for m in moves],
    )


def _print_move(move: Any, as_json: bool) -> None:
    if as_json:
        _output.print_json(move)
        return
    before = f"version {move.from_version}" if move.from_version is not None else "nothing"
    _output.console.print(f"{_output.escape(move.name)}@{_output.escape(move.alias)}: {before} -> "
                          f"[bold]version {move.to_version}[/] ({move.action}, revision {move.revision})")


def _print_decision(decision: Any, as_json: bool) -> None:
    if as_json:
        _output.print_json(decision)
        return
    scope = f" for '{decision.alias}'" if decision.alias else ""
    _output.console.print(f"{_output.escape(decision.name)}/{decision.version} {decision.decision}{scope} by "
                          f"{_output.escape(decision.decided_by)} ({decision.role})")


def register(app: typer.Typer) -> None:
    models_app.command("list")(list_models)
    models_app.command("show")(show_model)
    models_app.command("versions")(list_versions)
    models_app.command("check")(check)
    models_app.command("promote")(promote)
    models_app.command("rollback")(rollback)
    models_app.command("approve")(approve)
    models_app.command("reject")(reject)
    models_app.command("archive")(archive)
    models_app.command("card")(card)
    models_app.command("import")(import_model)
    app.add_typer(models_app, name="models")
