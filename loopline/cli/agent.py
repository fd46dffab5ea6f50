"""``loopline agent``, ``loopline trigger NAME`` and ``loopline triggers list|history``.

The agent checks the ``[triggers.*]`` of the workspace (and runs its monitors) while it holds
the leader lease; several agents may run, one leads. ``trigger NAME`` fires one trigger now, in
this process. ``triggers list`` shows each trigger with its last firing; ``history`` the firings.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

import typer

from loopline.cli import _output
from loopline.cli.main import open_workspace

triggers_app = typer.Typer(help="Pipeline triggers: what is declared, and when each fired.", no_args_is_help=True)
_JSON = typer.Option(False, "--json", help="Print the result as JSON.")


def _run_function(workspace: Any) -> Any:
    from loopline.triggers import RunOutcome

    def run(pipeline: str, params: Any) -> RunOutcome:
        result = workspace.run(pipeline, params=dict(params))
        return RunOutcome(run_id=result.run.id, ok=result.ok, error=result.error)

    return run


def monitor_chores(workspace: Any, monitor_store: Any, *, clock: Any = None,
                   on_result: Any = None) -> list[Any]:
    """One chore per monitored model: measure new windows and judge the alert rules (``monitor run``),
    then let the rollback guard judge the aliases whose policy sets ``auto_rollback``.

    ``clock`` gives the time windows are judged at (default: the system clock); ``on_result``
    receives each model's monitor reports and guard verdicts."""
    from loopline.metadata.predictions import PredictionLog
    from loopline.monitoring import check_model, guard_model

    settings = workspace.settings
    models = sorted({m.model for m in settings.monitors.values()})
    if not models:
        return []
    log = PredictionLog(workspace.metadata_url).open()

    def chore(model: str) -> Any:
        def work() -> None:
            reports = check_model(model, monitors=settings.monitors, alerts=settings.alerts, log=log,
                                  store=monitor_store, registry=workspace.registry,
                                  now=None if clock is None else clock())
            verdicts = guard_model(model, policies=settings.registry.policies, monitors=settings.monitors,
                                   store=monitor_store, log=log, registry=workspace.registry,
                                   rollback=lambda name, alias, reason: _roll_back(workspace, name, alias, reason))
            for verdict in verdicts:
                if verdict.action == "rolled back":
                    logging.getLogger("loopline.monitoring").warning("%s@%s: %s", model, verdict.alias,
                                                                      verdict.reason)
            if on_result is not None:
                on_result(model, reports, verdicts)

        return work

    return [chore(m) for m in models]


def _roll_back(workspace: Any, model: str, alias: str, reason: str) -> None:
    """End a running canary or shadow through its deployment (which moves the alias back too); otherwise
    move the alias back in the registry, and the servers following it swap back."""
    from loopline.deployment import DeploymentController, InfraValidator, StoreLocation
    from loopline.errors import NotFoundError

    controller = DeploymentController(workspace.registry, InfraValidator(StoreLocation.of(workspace.registry),
                                                                         warm=False))
    try:
        trial = controller.state(model).trial
    except NotFoundError:
        trial = None
    if trial is not None:
        controller.abort(model, reason=reason)
    else:
        workspace.registry.rollback(model, alias, reason=reason)


def agent(ctx: typer.Context,
          once: bool = typer.Option(False, "--once", help="One pass (take the lease, check every trigger), then exit."),
          interval: float = typer.Option(5.0, "--interval", min=0.05, help="Seconds between passes."),
          lease: float = typer.Option(30.0, "--lease", min=0.2, help="Seconds the leader lease lasts unrenewed."),
          monitors: bool = typer.Option(True, "--monitors/--no-monitors", help="Also run the workspace's monitors.")
          ) -> None:
    """Check the workspace's triggers (and run its monitors) continuously, as leader or standby."""
    from loopline.monitoring import MonitorStore
    from loopline.triggers import Agent, LeaseStore, Tick, TriggerChecks, TriggerStore

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    workspace = open_workspace(ctx)
    url = workspace.metadata_url
    with TriggerStore(url) as store, LeaseStore(url) as leases, MonitorStore(url) as monitor_store, workspace:
        checks = TriggerChecks(workspace.root, metadata_url=url, alerts=monitor_store)
        runner = Agent(workspace.settings.triggers, store=store, leases=leases, checks=checks,
                       run=_run_function(workspace), lease_s=lease, interval_s=min(interval, lease / 3),
                       chores=monitor_chores(workspace, monitor_store) if monitors else ())
        _output.err_console.print(f"agent {runner.holder}: {len(runner.triggers)} trigger(s), lease {lease:g} s")

        def show(tick: Tick) -> None:
            for firing in tick.firings:
                _output.console.print(f"trigger [bold]{_output.escape(firing.trigger)}[/] fired "
                                      f"({_output.escape(firing.reason)}): run {firing.run_id} {firing.status}")
            for error in tick.errors:
                _output.err_console.print(f"[yellow]warning:[/] {_output.escape(error)}")

        try:
            if once:
                tick = runner.tick()
                show(tick)
                if not tick.leader:
                    _output.console.print("another agent leads; nothing checked")
                elif runner.lease is not None:
                    leases.release(runner.lease)
                return
            runner.run_forever(on_tick=show)
        finally:
            checks.close()


def trigger(ctx: typer.Context, name: str = typer.Argument(..., help="The trigger, as [triggers.NAME]."),
            force: bool = typer.Option(False, "--force", help="Fire even within the trigger's cooldown."),
            as_json: bool = _JSON) -> None:
    """Fire trigger NAME now: record the firing and run its pipeline here."""
    from loopline.triggers import TriggerStore, fire_manually, trigger_named

    workspace = open_workspace(ctx)
    trigger_named(name, workspace.settings.triggers)
    with TriggerStore(workspace.metadata_url) as store, workspace:
        firing = fire_manually(name, workspace.settings.triggers, store=store, run=_run_function(workspace),
                               force=force)
    if as_json:
        _output.print_json(firing.to_dict())
    else:
        _output.console.print(f"trigger [bold]{_output.escape(name)}[/] fired: pipeline {firing.pipeline}, "
                              f"run {firing.run_id} {firing.status}"
                              + (f" ({_output.escape(firing.error)})" if firing.error else ""))
    if firing.status != "succeeded":
        raise typer.Exit(1)


def list_triggers(ctx: typer.Context, as_json: bool = _JSON) -> None:
    """Every declared trigger, with its last firing."""
    from loopline.triggers import TriggerStore

    workspace = open_workspace(ctx)
    triggers = workspace.settings.triggers
    with TriggerStore(workspace.metadata_url) as store:
        last = {name: next(iter(store.firings(trigger=name, limit=1)), None) for name in triggers}
    rows = [{"name": name, "kind": t.kind, "pipeline": t.pipeline, "when": _describe(t), "cooldown_s": t.cooldown_s,
             "last_firing": last[name].to_dict() if last[name] else None} for name, t in sorted(triggers.items())]
    if as_json:
        _output.print_json(rows)
        return
    if not rows:
        _output.console.print("no triggers; declare them as [triggers.NAME] in loopline.toml")
        return
    _output.table("Triggers", ["name", "kind", "when", "pipeline", "cooldown", "last fired", "last run"], [
        (_output.escape(r["name"]), r["kind"], _output.escape(r["when"]), r["pipeline"],
         _output.seconds(r["cooldown_s"]),
         _output.when(last[r["name"]].fired_at) if last[r["name"]] else "never",
         f"{last[r['name']].run_id} {last[r['name']].status}" if last[r["name"]] else "") for r in rows])


def history(ctx: typer.Context, name: Optional[str] = typer.Argument(None, help="One trigger (default: all)."),
            limit: int = typer.Option(50, "--limit", "-n", min=1, max=10_000), as_json: bool = _JSON) -> None:
    """Firings, newest first, with their reason and the run each started."""
    from loopline.triggers import TriggerStore, trigger_named

    workspace = open_workspace(ctx)
    if name is not None:
        trigger_named(name, workspace.settings.triggers)
    with TriggerStore(workspace.metadata_url) as store:
        firings = store.firings(trigger=name, limit=limit)
    if as_json:
        _output.print_json([f.to_dict() for f in firings])
        return
    _output.table("Trigger firings", ["id", "trigger", "fired", "by", "reason", "run", "status"], [
        (f.id, _output.escape(f.trigger), _output.when(f.fired_at), _output.escape(f.fired_by),
         _output.escape(f.reason), f.run_id if f.run_id is not None else "", f.status) for f in firings])


def _describe(section: Any) -> str:
    if section.kind == "schedule":
        return f"cron {section.cron} (UTC)"
    if section.kind == "new_data":
        return f"new rows in {section.table}" if section.table else f"new files {section.path}/{section.glob}"
    if section.kind == "alert":
        return f"alert {section.rule or '(any rule)'} firing"
    return "by hand"


def register(app: typer.Typer) -> None:
    app.command("agent")(agent)
    app.command("trigger")(trigger)
    triggers_app.command("list")(list_triggers)
    triggers_app.command("history")(history)
    app.add_typer(triggers_app, name="triggers")
