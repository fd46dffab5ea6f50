"""``loopline monitor run|status|history MODEL``: monitors over the prediction log, and their alerts.

``run`` measures the windows that may have changed (new predictions, late labels) against
the training profile of the version that served them, then judges the alert rules on them
and sends each new alert event to its channels. ``status`` shows the newest windows and the
state of each alert; ``history`` the stored series, one row per window.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

import typer

from loopline.cli import _output
from loopline.cli.main import open_workspace

monitor_app = typer.Typer(help="Monitors: drift, data quality, performance and operations per window; alerts.",
                          no_args_is_help=True)
_JSON = typer.Option(False, "--json", help="Print the result as JSON.")
_MODEL = typer.Argument(..., help="Model name (its monitors are [monitors.*] with model = NAME, else a default).")
_SHOWN = ("drift", "prediction_drift", "skew", "quality", "performance", "operations")


def _stores(ctx: typer.Context) -> tuple[Any, Any, Any]:
    from loopline.metadata.predictions import PredictionLog
    from loopline.monitoring import MonitorStore

    workspace = open_workspace(ctx)
    return workspace, PredictionLog(workspace.metadata_url), MonitorStore(workspace.metadata_url)


def run(ctx: typer.Context, model: str = _MODEL,
        full: bool = typer.Option(False, "--full", help="Measure every window again, not only those that changed."),
        as_json: bool = _JSON) -> None:
    """Measure MODEL's windows that changed and judge its alert rules."""
    from loopline.monitoring import check_model

    workspace, log, store = _stores(ctx)
    with log, store:
        settings = workspace.settings
        reports = check_model(model, monitors=settings.monitors, alerts=settings.alerts, log=log, store=store,
                              registry=workspace.registry, full=full)
    if as_json:
        _output.print_json([r.to_dict() for r in reports])
        return
    for report in reports:
        _windows_table(f"Monitor {report.run.monitor} ({report.run.model}): {len(report.run.windows)} window(s) "
                       "measured", report.run.windows)
        for event in report.events:
            delivered = ", ".join(f"{k}: {'ok' if v['ok'] else v['detail']}" for k, v in (event.deliveries or {}).items())
            _output.console.print(f"alert [bold]{_output.escape(event.rule)}[/] {event.state} at window "
                                  f"{event.window_key}: {event.metric} = {_number(event.value)} "
                                  f"(threshold {event.threshold:g}) [dim]{_output.escape(delivered)}[/]")


def status(ctx: typer.Context, model: str = _MODEL,
           windows: int = typer.Option(3, "--windows", "-n", min=1, max=100, help="How many recent windows."),
           as_json: bool = _JSON) -> None:
    """MODEL's newest windows and the state of each alert rule."""
    from loopline.monitoring import model_status

    workspace, _, store = _stores(ctx)
    with store:
        found = model_status(model, monitors=workspace.settings.monitors, alerts=workspace.settings.alerts,
                             store=store, windows=windows)
    if as_json:
        _output.print_json([s.to_dict() for s in found])
        return
    for item in found:
        if not item.latest:
            _output.console.print(f"monitor {item.definition.name}: no windows yet; run 'loopline monitor run {model}'")
            continue
        _windows_table(f"Monitor {item.definition.name} ({item.definition.window.describe()})", item.latest)
        if item.alerts:
            _output.table("Alerts", ["rule", "state", "streak", "last judged window"],
                          [(_output.escape(a.rule), a.state, a.streak, a.as_of_key or "") for a in item.alerts])


def history(ctx: typer.Context, model: str = _MODEL,
            monitor: Optional[str] = typer.Option(None, "--monitor", "-m", help="One monitor of the model."),
            since: Optional[datetime] = typer.Option(None, "--since", help="Windows starting at or after this time."),
            limit: int = typer.Option(1000, "--limit", "-n", min=1, max=100_000),
            as_json: bool = _JSON) -> None:
    """MODEL's stored series, one row per window, oldest first, with the numbers behind each verdict."""
    from datetime import UTC

    from loopline.monitoring import monitor_named, monitors_for

    workspace, _, store = _stores(ctx)
    settings = workspace.settings
    definitions = [monitor_named(monitor, settings.monitors)] if monitor else monitors_for(model, settings.monitors)
    start = since.replace(tzinfo=since.tzinfo or UTC) if since else None
    with store:
        series = {d.name: store.windows(d.name, since=start, limit=limit) for d in definitions}
    if as_json:
        _output.print_json({name: [w.to_dict() for w in rows] for name, rows in series.items()})
        return
    for name, rows in series.items():
        _windows_table(f"Monitor {name}: {len(rows)} window(s)", rows)


def _windows_table(title: str, windows: Any) -> None:
    _output.table(title, ["window", "rows", "labelled", *_SHOWN], [
        (w.key, w.rows, w.labelled, *(_cell(w, name) for name in _SHOWN)) for w in windows
    ])


def _cell(window: Any, name: str) -> str:
    verdict = window.details.get(name, {}).get("verdict", "")
    m = window.metrics
    numbers = {
        "drift": m.get("drift.share"), "prediction_drift": m.get("prediction_drift.statistic"),
        "skew": m.get("skew.columns_skewed"), "quality": m.get("quality.missing_max"),
        "performance": m.get("performance.value"), "operations": m.get("operations.latency_p95_ms"),
    }[name]
    return verdict if numbers is None else f"{verdict} ({_number(numbers)})"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def register(app: typer.Typer) -> None:
    monitor_app.command("run")(run)
    monitor_app.command("status")(status)
    monitor_app.command("history")(history)
    app.add_typer(monitor_app, name="monitor")
