"""``loopline audit list|verify``: the append-only, hash-chained audit log."""

from __future__ import annotations

from typing import Optional

import typer

from loopline.cli import _output
from loopline.cli.main import open_workspace

audit_app = typer.Typer(help="The audit log of registry actions, approvals and policy decisions.",
                        no_args_is_help=True)


def list_events(
    ctx: typer.Context,
    limit: int = typer.Option(50, "--limit", "-n", min=1, max=10_000),
    before: Optional[int] = typer.Option(None, "--before", help="Only events before this sequence number."),
    action: Optional[str] = typer.Option(None, "--action", help="model.promote, or a prefix ending in '.' (model.)"),
    target: Optional[str] = typer.Option(None, "--target", help="e.g. model:bikes@production"),
    actor: Optional[str] = typer.Option(None, "--actor"),
    as_json: bool = typer.Option(False, "--json", help="Print the events as JSON."),
) -> None:
    """The newest events first."""
    events = open_workspace(ctx).registry.audit.list(limit=limit, before=before, action=action, target=target,
                                                     actor=actor)
    if as_json:
        _output.print_json(events)
        return
    _output.table("Audit log", ["seq", "when", "actor", "action", "target", "reason"],
                  [(e.seq, _output.when(e.at), _output.escape(e.actor), e.action, _output.escape(e.target),
                    _output.escape(e.reason)) for e in events])


def verify(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print the result as JSON.")
) -> None:
    """Check the whole chain; name the first edited, deleted or reordered event (exit 1)."""
    result = open_workspace(ctx).registry.audit.verify()
    if as_json:
        _output.print_json({**_output.to_jsonable(result), "ok": result.ok})
    elif result.ok:
        _output.console.print(f"[green]audit log intact[/]: {result.checked} events, each chained to the one before")
    else:
        _output.err_console.print(f"[bold red]audit log broken[/] at event {result.first_bad}: "
                                  f"{_output.escape(result.problem)} ({result.checked} events before it are intact)")
    if not result.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    audit_app.command("list")(list_events)
    audit_app.command("verify")(verify)
    app.add_typer(audit_app, name="audit")
