"""Alert rules on a monitor's series: a drifted replay fires within the expected windows, a quiet one
fires nothing, states resolve, re-runs never repeat an event, and bad rules are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from monitoring_helpers import START, Stores, post_labels, replay

from loopline.config import settings_from_mapping
from loopline.errors import ConfigError
from loopline.monitoring import FIRING, RESOLVED, AlertEvent, check_model

NOW = datetime(2011, 4, 1, tzinfo=UTC)
RULES = {
    "drift": {"monitor": "bikes", "metric": "drift.dataset_drift", "above": 0.5, "for_windows": 2},
    "error": {"monitor": "bikes", "metric": "performance.mae", "above": 20},
    "snow": {"monitor": "bikes", "metric": "quality.new_categories", "above": 0},
    "prediction": {"monitor": "bikes", "metric": "prediction_drift.drift", "above": 0.5, "for_windows": 2},
}


class Recorder:
    def __init__(self) -> None:
        self.events: list[AlertEvent] = []

    def send(self, event: AlertEvent) -> str:
        self.events.append(event)
        return "kept"


def _check(stores: Stores, rules: dict[str, Any] = RULES, recorder: Recorder | None = None) -> list[AlertEvent]:
    settings = settings_from_mapping({"alerts": {"rules": rules}}, source="test", environ={})
    channels = {"log": recorder or Recorder()}
    reports = check_model("bikes", monitors=settings.monitors, alerts=settings.alerts, log=stores.log,
                          store=stores.monitors, registry=stores.registry, now=NOW, channels=channels)
    return list(reports[0].events)


def test_a_quiet_replay_fires_nothing(stores: Stores, version: int) -> None:
    replay(stores, days=6, version=version)
    assert _check(stores) == []
    assert stores.monitors.alert_events() == []
    assert {s.rule: s.state for s in stores.monitors.alert_states()} == dict.fromkeys(RULES, RESOLVED)


def test_drift_fires_within_the_expected_windows_with_its_evidence(stores: Stores, version: int) -> None:
    replay(stores, days=3, version=version)
    replay(stores, days=3, version=version, drifted=True, start=START + timedelta(days=3), seed=12)
    recorder = Recorder()
    events = {e.rule: e for e in _check(stores, recorder=recorder)}
    assert set(events) == {"drift", "error", "snow", "prediction"}
    assert events["error"].window_key == events["snow"].window_key == "2011-03-04T00:00:00Z"
    drift = events["drift"]
    assert (drift.state, drift.window_key, drift.value, drift.threshold) == (FIRING, "2011-03-05T00:00:00Z", 1.0, 0.5)
    assert [w["window"] for w in drift.evidence["windows"]] == ["2011-03-04T00:00:00Z", "2011-03-05T00:00:00Z"]
    assert "temp" in drift.evidence["measure"]["drifted"]
    assert drift.evidence["rule"] == "drift.dataset_drift > 0.5 for 2 consecutive windows"
    assert events["error"].value > 50 and events["error"].evidence["measure"]["ci_low"] > 20
    assert sorted(e.rule for e in recorder.events) == sorted(events)
    stored = stores.monitors.alert_events(rule="drift")
    assert len(stored) == 1 and stored[0].deliveries == {"log": {"ok": True, "detail": "kept"}}
    assert stores.monitors.alert_state("drift").state == FIRING


def test_rerunning_records_no_event_twice_and_quiet_windows_resolve(stores: Stores, version: int) -> None:
    replay(stores, days=2, version=version, drifted=True, seed=12)
    fired = _check(stores)
    assert {e.rule for e in fired} >= {"drift", "error"}
    assert _check(stores) == []
    replay(stores, days=2, version=version, start=START + timedelta(days=2), seed=13)
    resolved = {e.rule: e for e in _check(stores)}
    assert resolved["error"].state == RESOLVED and resolved["error"].window_key == "2011-03-03T00:00:00Z"
    assert resolved["drift"].state == RESOLVED
    cursor = stores.monitors.alert_events()[-1].id
    assert stores.monitors.alert_events(after_id=cursor) == []


def test_a_performance_alert_fires_when_late_labels_arrive(stores: Stores, version: int) -> None:
    records = replay(stores, days=2, version=version, labels=False)
    rules = {"error": RULES["error"]}
    assert _check(stores, rules) == []  # no labels yet: not judged, no false alarm
    post_labels(stores, records[:48], [r.output + 40.0 for r in records[:48]])
    events = _check(stores, rules)
    assert [(e.rule, e.state, e.window_key) for e in events] == [("error", FIRING, "2011-03-01T00:00:00Z")]
    assert events[0].value == pytest.approx(40.0)


def test_windows_without_data_neither_fire_nor_resolve(stores: Stores, version: int) -> None:
    replay(stores, days=1, version=version, drifted=True, seed=12)
    assert [e.state for e in _check(stores, {"error": RULES["error"]})] == [FIRING]
    replay(stores, days=1, version=version, labels=False, start=START + timedelta(days=1))
    assert _check(stores, {"error": RULES["error"]}) == []  # the unlabelled window and the empty ones after it
    assert stores.monitors.alert_state("error").state == FIRING


def test_a_rule_on_an_unknown_metric_or_channel_is_refused(stores: Stores, version: int) -> None:
    with pytest.raises(ConfigError, match="watches 'drift.shar', which no monitor measures") as info:
        _check(stores, {"r": {"monitor": "bikes", "metric": "drift.shar", "above": 1}})
    assert "drift.share" in (info.value.hint or "")
    with pytest.raises(ConfigError, match="sends to channel 'pager', which is not configured"):
        _check(stores, {"r": {"monitor": "bikes", "metric": "drift.share", "above": 1, "channels": ["pager"]}})
    with pytest.raises(ConfigError, match="give exactly one of above = X or below = X"):
        settings_from_mapping({"alerts": {"rules": {"r": {"monitor": "m", "metric": "rows"}}}}, source="t",
                              environ={})
