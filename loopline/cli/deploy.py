"""``loopline deploy``, ``loopline deployments ...`` and ``loopline rollback``: rollouts that follow an alias.

A deployment makes the server follow NAME@ALIAS: when the alias moves, the new version is
checked in a separate process and rolled out by the deployment's strategy (replace,
canary, shadow). Every command acts as ``LOOPLINE_USER`` or the operating-system user and
is recorded in the audit log.
"""

from __future__ import annotations

from typing import Any, Optional

import typer

from loopline.cli import _output
from loopline.cli.main import open_workspace

deployments_app = typer.Typer(help="Deployments: rollouts, canaries and shadows of served models.",
                              no_args_is_help=True)
_JSON = typer.Option(False, "--json", help="Print the result as JSON.")
_REASON = typer.Option("", "--reason", "-r", help="Why (kept in the audit log).")
_NAME = typer.Argument(..., help="Model name.")


def _controller(ctx: typer.Context) -> Any:
    from loopline.deployment import DeploymentController, InfraValidator, StoreLocation

    registry = open_workspace(ctx).registry
    return DeploymentController(registry, InfraValidator(StoreLocation.of(registry)))


def deploy(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="NAME@ALIAS: the alias the server follows."),
    strategy: str = typer.Option("replace", "--strategy", "-s", help="replace, canary or shadow."),
    percent: Optional[float] = typer.Option(None, "--percent", "-p", help="The canary's share of requests (0-100)."),
    reason: str = _REASON,
    as_json: bool = _JSON,
) -> None:
    """Serve NAME@ALIAS by STRATEGY and roll its version out now, after the pre-deployment check."""
    _print_outcome(_controller(ctx).deploy(ref, strategy=strategy, percent=percent, reason=reason), as_json)


def rollback(ctx: typer.Context, name: str = _NAME, reason: str = _REASON, as_json: bool = _JSON) -> None:
    """Abort a canary or shadow; otherwise make the previous version live again (the alias goes back too)."""
    _print_outcome(_controller(ctx).rollback(name, reason=reason), as_json)


def promote(ctx: typer.Context, name: str = _NAME, reason: str = _REASON, as_json: bool = _JSON) -> None:
    """Make the canary or shadow version live for every request."""
    _print_outcome(_controller(ctx).promote(name, reason=reason), as_json)


def abort(ctx: typer.Context, name: str = _NAME, reason: str = _REASON, as_json: bool = _JSON) -> None:
    """Stop the canary or shadow; the live version answers everything and the alias goes back to it."""
    _print_outcome(_controller(ctx).abort(name, reason=reason), as_json)


def list_deployments(ctx: typer.Context, as_json: bool = _JSON) -> None:
    """Every deployment: the alias it follows, its strategy and what serves now."""
    controller = _controller(ctx)
    states = [controller.state(d.model) for d in controller.list()]
    if as_json:
        _output.print_json([{"deployment": s.deployment, "plan": s.plan()} for s in states])
        return
    _output.table("Deployments", ["model", "follows", "strategy", "live", "on trial", "updated"], [
        (_output.escape(s.deployment.model), _output.escape(s.deployment.ref), _strategy(s.deployment),
         s.live.version if s.live else "-", _trial(s), _output.when(s.deployment.updated_at)) for s in states
    ])


def show(ctx: typer.Context, name: str = _NAME, limit: int = typer.Option(20, "--limit", "-n", min=1, max=200),
         as_json: bool = _JSON) -> None:
    """One deployment and its rollouts (newest first), with each pre-deployment check's result."""
    state = _controller(ctx).state(name)
    rollouts = state.rollouts[:limit]
    if as_json:
        _output.print_json({"deployment": state.deployment, "plan": state.plan(), "rollouts": rollouts})
        return
    d = state.deployment
    _output.console.print(f"[bold]{_output.escape(d.model)}[/] follows {_output.escape(d.ref)} "
                          f"({_strategy(d)}); live: {state.live.version if state.live else 'none'}; "
                          f"on trial: {_trial(state)}")
    _output.table("Rollouts", ["version", "status", "strategy", "from", "check", "by", "when", "reason"], [
        (r.version, r.status, r.strategy, r.baseline_version if r.baseline_version is not None else "-",
         _check(r.infra_check), _output.escape(r.created_by), _output.when(r.created_at), _output.escape(r.reason))
        for r in rollouts
    ])


def _print_outcome(outcome: Any, as_json: bool) -> None:
    if as_json:
        _output.print_json({"action": outcome.action, "message": outcome.message, "plan": outcome.state.plan(),
                            "check": outcome.check.to_dict() if outcome.check else None})
        return
    _output.console.print(f"{outcome.action}: {_output.escape(outcome.message)}")


def _strategy(deployment: Any) -> str:
    return f"canary {deployment.percent:g}%" if deployment.strategy == "canary" else deployment.strategy


def _trial(state: Any) -> str:
    trial = state.trial
    if trial is None:
        return "-"
    return f"{trial.version} ({trial.status}{f' {trial.percent:g}%' if trial.percent else ''})"


def _check(check: Any) -> str:
    if not check:
        return "-"
    verdict = "pass" if check.get("passed") else "FAIL"
    return f"{verdict}, max {check['max_ms']:.1f} ms" if "max_ms" in check else verdict


def register(app: typer.Typer) -> None:
    app.command("deploy")(deploy)
    app.command("rollback")(rollback)
    deployments_app.command("list")(list_deployments)
    deployments_app.command("show")(show)
    deployments_app.command("promote")(promote)
    deployments_app.command("abort")(abort)
    app.add_typer(deployments_app, name="deployments")
