"""One call per CLI command: run a model's monitors and their alerts, and read back status and history.

``check_model`` is what ``loopline monitor run`` and (later) the agent call: each monitor of
the model measures its windows, then each alert rule on that monitor judges the new
windows, and each state change is sent to the rule's channels after it is committed (a
channel that fails is recorded with the event; the event stays).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from loopline.config import AlertsSection, MonitorSection
from loopline.metadata.predictions import PredictionLog
from loopline.monitoring.alerts import alert_rules, evaluate_rule
from loopline.monitoring.channels import Channel, build_channels, notify
from loopline.monitoring.definition import MonitorDefinition, monitors_for
from loopline.monitoring.monitor import MonitorRun, run_monitor
from loopline.monitoring.records import AlertEvent, AlertState
from loopline.monitoring.results import WindowResult
from loopline.monitoring.store import MonitorStore

if TYPE_CHECKING:
    from loopline.registry import Registry


@dataclass(frozen=True)
class MonitorReport:
    """A monitor's run and the alert events it caused (with what each channel answered)."""

    run: MonitorRun
    events: tuple[AlertEvent, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"monitor": self.run.monitor, "model": self.run.model,
                "windows": [w.to_dict() for w in self.run.windows], "events": [e.to_dict() for e in self.events]}


@dataclass(frozen=True)
class MonitorStatus:
    definition: MonitorDefinition
    latest: tuple[WindowResult, ...]
    alerts: tuple[AlertState, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"monitor": self.definition.name, "model": self.definition.model,
                "window": self.definition.window.describe(), "latest": [w.to_dict() for w in self.latest],
                "alerts": [{"rule": a.rule, "state": a.state, "streak": a.streak, "as_of": a.as_of_key}
                           for a in self.alerts]}


def check_model(model: str, *, monitors: Mapping[str, MonitorSection], alerts: AlertsSection, log: PredictionLog,
                store: MonitorStore, registry: Registry, now: datetime | None = None, full: bool = False,
                channels: Mapping[str, Channel] | None = None) -> list[MonitorReport]:
    """Run every monitor of ``model`` and the alert rules on them."""
    rules = alert_rules(alerts.rules, alerts.channels)
    sinks = channels if channels is not None else build_channels(alerts.channels)
    reports = []
    for definition in monitors_for(model, monitors):
        run = run_monitor(definition, log=log, store=store, registry=registry, now=now, full=full)
        events: list[AlertEvent] = []
        for rule in (r for r in rules if r.monitor == definition.name):
            for event in evaluate_rule(rule, store):
                deliveries = notify(event, rule.channels, sinks)
                store.record_deliveries(event.id, deliveries)
                events.append(_with_deliveries(event, deliveries))
        reports.append(MonitorReport(run, tuple(events)))
    return reports


def model_status(model: str, *, monitors: Mapping[str, MonitorSection], alerts: AlertsSection,
                 store: MonitorStore, windows: int = 3) -> list[MonitorStatus]:
    states = {s.rule: s for s in store.alert_states()}
    found = []
    for definition in monitors_for(model, monitors):
        latest = tuple(reversed(store.windows(definition.name, limit=windows, newest_first=True)))
        names = [n for n, r in sorted(alerts.rules.items()) if r.monitor == definition.name]
        found.append(MonitorStatus(definition, latest, tuple(states[n] for n in names if n in states)))
    return found


def _with_deliveries(event: AlertEvent, deliveries: dict[str, Any]) -> AlertEvent:
    return replace(event, deliveries=deliveries)


__all__ = ["MonitorReport", "MonitorStatus", "check_model", "model_status"]
