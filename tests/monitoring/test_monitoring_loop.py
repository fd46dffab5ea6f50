"""The closed loop on a simulated clock: drift injected into a replay fires the alert and the retraining
within the expected windows, a quiet replay fires nothing; and the rollback guard sends a promoted
version that does worse on its own traffic back to the previous one, and keeps one that does not.

Everything is real: a pipeline-trained model, the prediction log, monitor and trigger stores,
the agent with its lease, a retraining run of a real pipeline.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from monitoring_helpers import FEATURES, START, LinearModel, Stores, fit_model, load_training_rows, replay

from loopline.config import AliasPolicy, MonitorSection, settings_from_mapping
from loopline.monitoring import KEPT, ROLLED_BACK, WATCHING, check_model, guard_model
from loopline.pipelines import Pipeline, run_pipeline, step
from loopline.registry import ModelPackage
from loopline.triggers import Agent, LeaseStore, RunOutcome, TriggerChecks, TriggerStore

MONITORS = {"bikes": MonitorSection(model="bikes", window="daily")}
GUARD = {"production": AliasPolicy(auto_rollback=True, rollback_windows=3, rollback_max_worsening=0.25)}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def loop(stores: Stores, version: int, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """An agent on a simulated clock: the monitor as its chore, one alert trigger that retrains."""
    settings = settings_from_mapping({
        "monitors": {"bikes": {"model": "bikes", "window": "daily"}},
        "alerts": {"rules": {"drift": {"monitor": "bikes", "metric": "drift.dataset_drift", "above": 0.5,
                                       "for_windows": 2}}},
        "triggers": {"retrain": {"kind": "alert", "rule": "drift", "pipeline": "train_bikes",
                                 "params": {"data_end": "{fired_at:%Y-%m-%d}"}, "cooldown_s": 7 * 86400}},
    }, source="test", environ={})
    clock = Clock(START)
    runs: list[tuple[str, dict[str, Any], datetime]] = []

    def retrain(pipeline: str, params: Any) -> RunOutcome:
        runs.append((pipeline, dict(params), clock()))
        result = run_pipeline(Pipeline([load_training_rows, fit_model], name=pipeline), metadata=stores.metadata,
                              artifacts=stores.artifacts)
        return RunOutcome(run_id=result.run.id, ok=result.ok, error=result.error)

    def monitor() -> None:
        check_model("bikes", monitors=settings.monitors, alerts=settings.alerts, log=stores.log,
                    store=stores.monitors, registry=stores.registry, now=clock(), channels={})

    with TriggerStore(stores.url) as triggers, LeaseStore(stores.url) as leases:
        checks = TriggerChecks(tmp_path, metadata_url=stores.url, alerts=stores.monitors)
        agent = Agent(settings.triggers, store=triggers, leases=leases, checks=checks, run=retrain, lease_s=60,
                      interval_s=1, chores=[monitor], clock=clock)
        try:
            yield {"agent": agent, "clock": clock, "runs": runs, "triggers": triggers}
        finally:
            checks.close()


def play_days(stores: Stores, loop: dict[str, Any], version: int, first_day: int, days: int, *,
              drifted: bool = False) -> list[Any]:
    """Serve each day, then tick the agent at that day's midnight, as a replay does; returns the firings."""
    firings = []
    for day in range(first_day, first_day + days):
        start = START + timedelta(days=day)
        replay(stores, days=1, version=version, drifted=drifted, start=start, seed=100 + day)
        loop["clock"].now = start + timedelta(days=1)
        firings.extend(loop["agent"].tick().firings)
    return firings


def test_a_quiet_replay_fires_nothing(stores: Stores, version: int, loop: dict[str, Any]) -> None:
    assert play_days(stores, loop, version, 0, 6) == []
    assert stores.monitors.alert_events() == []
    assert loop["runs"] == []
    assert len(stores.monitors.windows("bikes", complete=True)) == 6


def test_injected_drift_fires_the_alert_and_the_retraining_on_the_expected_day(
        stores: Stores, version: int, loop: dict[str, Any]) -> None:
    assert play_days(stores, loop, version, 0, 4) == []
    firings = play_days(stores, loop, version, 4, 3, drifted=True)
    # the drifted days are 4, 5, 6; two drifted windows are complete at the midnight after day 5
    fired_at = START + timedelta(days=6)
    [event] = stores.monitors.alert_events(rule="drift")
    assert (event.state, event.window_key) == ("firing", "2011-03-06T00:00:00Z")
    [firing] = firings
    assert (firing.trigger, firing.status, firing.fired_at) == ("retrain", "succeeded", fired_at)
    assert "alert drift fired" in firing.reason and firing.run_id is not None
    assert loop["runs"] == [("train_bikes", {"data_end": "2011-03-07"}, fired_at)]
    # recorded with its reason and linked to the run it started
    [stored] = loop["triggers"].firings(trigger="retrain")
    assert (stored.run_id, stored.params) == (firing.run_id, {"data_end": "2011-03-07"})


# -- the rollback guard ---------------------------------------------------------------------------


@step(outputs="model")
def fit_worse_model(train: pd.DataFrame) -> ModelPackage:
    """A model that ignores temperature: clearly worse on the same traffic."""
    model = LinearModel.fit(train[FEATURES], train["cnt"])
    model.coef = model.coef * np.array([0.0, 1.0, 1.0, 1.0])
    return ModelPackage(model, sample_input=train[FEATURES].head(5), info={"features": FEATURES, "target": "cnt"})


@step(outputs="model")
def fit_same_model(train: pd.DataFrame) -> ModelPackage:
    model = LinearModel.fit(train[FEATURES], train["cnt"])
    return ModelPackage(model, sample_input=train[FEATURES].head(5), info={"features": FEATURES, "target": "cnt"})


def register(stores: Stores, fit: Any) -> int:
    result = run_pipeline(Pipeline([load_training_rows, fit], name="candidate"), metadata=stores.metadata,
                          artifacts=stores.artifacts)
    return stores.registry.register("bikes", result.steps[fit.name].outputs["model"].id).version


def promoted_then_served(stores: Stores, version: int, candidate: int, days: int) -> None:
    stores.registry.promote("bikes", version, "production")
    replay(stores, days=3, version=version)
    stores.registry.promote("bikes", candidate, "production")
    replay(stores, days=days, version=candidate, start=START + timedelta(days=3), seed=21)
    check_model("bikes", monitors=MONITORS, alerts=settings_from_mapping({}, source="t", environ={}).alerts,
                log=stores.log, store=stores.monitors, registry=stores.registry, now=START + timedelta(days=30),
                channels={})


def guard(stores: Stores) -> list[Any]:
    return guard_model("bikes", policies=GUARD, monitors=MONITORS, store=stores.monitors, log=stores.log,
                       registry=stores.registry)


def test_a_promoted_version_that_does_worse_is_rolled_back_once(stores: Stores, version: int) -> None:
    worse = register(stores, fit_worse_model)
    promoted_then_served(stores, version, worse, days=4)
    [verdict] = guard(stores)
    assert verdict.action == ROLLED_BACK and (verdict.version, verdict.previous) == (worse, version)
    assert verdict.evidence["new"]["value"] > 1.25 * verdict.evidence["previous"]["value"]
    assert verdict.evidence["rows"] == 3 * 48
    assert stores.registry.aliases("bikes")["production"] == version
    [audit] = stores.registry.audit.list(action="model.rollback")
    assert audit.reason.startswith("automatic rollback") and audit.target == "model:bikes@production"
    assert guard(stores) == []  # the newest move is the rollback: nothing more to judge


def test_a_promoted_version_that_does_as_well_is_kept(stores: Stores, version: int) -> None:
    same = register(stores, fit_same_model)
    promoted_then_served(stores, version, same, days=4)
    [verdict] = guard(stores)
    assert verdict.action == KEPT and abs(verdict.evidence["worsening"]) < 0.01
    assert stores.registry.aliases("bikes")["production"] == same


def test_the_guard_waits_for_enough_labelled_windows(stores: Stores, version: int) -> None:
    worse = register(stores, fit_worse_model)
    promoted_then_served(stores, version, worse, days=2)
    [verdict] = guard(stores)
    assert verdict.action == WATCHING and "2 of 3" in verdict.reason
    assert stores.registry.aliases("bikes")["production"] == worse


def test_a_canary_that_does_worse_on_its_share_is_rolled_back(stores: Stores, version: int) -> None:
    worse = register(stores, fit_worse_model)
    stores.registry.promote("bikes", version, "production")
    stores.registry.promote("bikes", worse, "production")
    for day in range(4):  # the old version answers most requests, the canary a share of them
        start = START + timedelta(days=day)
        replay(stores, days=1, version=version, start=start, seed=30 + day, per_hour=3)
        replay(stores, days=1, version=worse, start=start + timedelta(minutes=5), seed=40 + day, per_hour=1)
    check_model("bikes", monitors=MONITORS, alerts=settings_from_mapping({}, source="t", environ={}).alerts,
                log=stores.log, store=stores.monitors, registry=stores.registry, now=START + timedelta(days=5),
                channels={})
    undone: list[tuple[str, str, str]] = []
    [verdict] = guard_model("bikes", policies=GUARD, monitors=MONITORS, store=stores.monitors, log=stores.log,
                            registry=stores.registry, rollback=lambda *args: undone.append(args))
    assert verdict.action == ROLLED_BACK and verdict.evidence["traffic"] == "a share (canary)"
    assert verdict.evidence["rows"] == 3 * 24
    assert undone == [("bikes", "production", verdict.reason)]


def test_dataset_drift_counts_only_the_drift_features(stores: Stores, version: int) -> None:
    replay(stores, days=2, version=version, drifted=True, seed=51)  # warmer, and a weather never seen
    alerts = settings_from_mapping({}, source="t", environ={}).alerts
    monitors = {"all": MonitorSection(model="bikes", window="daily"),
                "hours": MonitorSection(model="bikes", window="daily", drift_features=["hr"])}
    check_model("bikes", monitors=monitors, alerts=alerts, log=stores.log, store=stores.monitors,
                registry=stores.registry, now=START + timedelta(days=2), channels={})
    everything = stores.monitors.windows("all", complete=True)[0]
    hours = stores.monitors.windows("hours", complete=True)[0]  # every hour of the day, as in training
    assert everything.metrics["drift.dataset_drift"] == 1.0 and "temp" in everything.details["drift"]["drifted"]
    assert hours.metrics["drift.dataset_drift"] == 0.0
    assert [c["column"] for c in hours.details["drift"]["columns"]] == ["hr"]
    assert hours.details["quality"] == everything.details["quality"]  # every watched input still checked
