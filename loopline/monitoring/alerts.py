"""Alert rules over a monitor's series: a threshold held for N consecutive windows fires, the next
window under it resolves.

A rule judges complete windows in time order, each once: the rule's state remembers the
last window it judged and the streak of windows over the threshold. A window whose number
is None ("not enough data", or labels not in yet) is not judged and is looked at again on
the next run, so a window judged late, once its labels arrived, still counts. Each change
of state is an ``AlertEvent`` with its evidence (the windows of the streak, their values,
the measure's numbers), stored in the same transaction as the new state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from loopline.config import AlertRuleSection
from loopline.errors import ConfigError, did_you_mean
from loopline.monitoring.records import FIRING, RESOLVED, AlertEvent, AlertState
from loopline.monitoring.results import SERIES, WindowResult
from loopline.monitoring.store import MAX_PAGE, MonitorStore

BUILTIN_CHANNELS = ("log",)


@dataclass(frozen=True)
class AlertRule:
    name: str
    monitor: str
    metric: str
    threshold: float
    above: bool
    for_windows: int = 1
    channels: tuple[str, ...] = ("log",)

    @classmethod
    def from_section(cls, name: str, section: AlertRuleSection) -> AlertRule:
        above = section.above is not None
        threshold = section.above if section.above is not None else section.below
        assert threshold is not None  # the section's validator requires one of them
        return cls(name, section.monitor, section.metric, float(threshold), above, section.for_windows,
                   tuple(section.channels))

    def breached(self, value: float) -> bool:
        return value > self.threshold if self.above else value < self.threshold

    def describe(self) -> str:
        times = "" if self.for_windows == 1 else f" for {self.for_windows} consecutive windows"
        return f"{self.metric} {'>' if self.above else '<'} {self.threshold:g}{times}"


def alert_rules(sections: Mapping[str, AlertRuleSection], channels: Mapping[str, Any]) -> list[AlertRule]:
    """The configured rules, checked: a known metric, and channels that exist."""
    rules = []
    known_channels = [*BUILTIN_CHANNELS, *channels]
    for name, section in sorted(sections.items()):
        if section.metric not in SERIES:
            raise ConfigError(
                f"alert rule '{name}' watches '{section.metric}', which no monitor measures",
                hint=did_you_mean(section.metric, SERIES) or f"known: {', '.join(SERIES)}",
            )
        for channel in section.channels:
            if channel not in known_channels:
                raise ConfigError(
                    f"alert rule '{name}' sends to channel '{channel}', which is not configured",
                    hint=did_you_mean(channel, known_channels)
                    or f"add [alerts.channels.{channel}] to loopline.toml, or use: {', '.join(known_channels)}",
                )
        rules.append(AlertRule.from_section(name, section))
    return rules


def evaluate_rule(rule: AlertRule, store: MonitorStore) -> list[AlertEvent]:
    """Judge the complete windows the rule has not judged yet; store and return the state changes."""
    stored = store.alert_state(rule.name)
    state = stored or AlertState(rule.name, rule.monitor, RESOLVED, 0, None, None, 0)
    windows = [w for w in store.windows(rule.monitor, since=state.as_of_start, complete=True, limit=MAX_PAGE)
               if _after(w, state)]
    events: list[dict[str, Any]] = []
    history: list[WindowResult] = []
    for window in windows:
        value = window.metrics.get(rule.metric)
        if value is None:
            continue
        breached = rule.breached(value)
        history = [*history, window][-rule.for_windows:] if breached else []
        streak = state.streak + 1 if breached else 0
        new_state = state.state
        if state.state != FIRING and streak >= rule.for_windows:
            new_state = FIRING
        elif state.state == FIRING and not breached:
            new_state = RESOLVED
        if new_state != state.state:
            events.append(_event(rule, window, new_state, value, history))
        state = replace(state, state=new_state, streak=streak, as_of_start=window.start, as_of_key=window.key)
    if stored is not None and state == stored:
        return []
    if stored is None and state.as_of_key is None:
        return []
    return store.advance(state, expected_revision=None if stored is None else stored.revision, events=events)


def _after(window: WindowResult, state: AlertState) -> bool:
    if state.as_of_start is None:
        return True
    return (window.start, window.key) > (state.as_of_start, state.as_of_key or "")


def _event(rule: AlertRule, window: WindowResult, state: str, value: float,
           history: list[WindowResult]) -> dict[str, Any]:
    section = rule.metric.split(".", 1)[0]
    evidence = {
        "rule": rule.describe(),
        "windows": [{"window": w.key, "start": w.start.isoformat(), "value": w.metrics.get(rule.metric),
                     "rows": w.rows} for w in (history if state == FIRING else [window])],
        "measure": window.details.get(section) if section in window.details else None,
        "versions": dict(window.versions),
    }
    return {"rule": rule.name, "monitor": rule.monitor, "model": window.model, "state": state,
            "window_key": window.key, "window_start": window.start, "metric": rule.metric, "value": value,
            "threshold": rule.threshold, "evidence": evidence}


__all__ = ["BUILTIN_CHANNELS", "AlertRule", "alert_rules", "evaluate_rule"]
