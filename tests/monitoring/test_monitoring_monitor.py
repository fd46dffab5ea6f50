"""Monitors over a real prediction log: a quiet replay and a drifted one, gaps, all-null columns,
late labels, request windows, idempotent re-runs and the cached training reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from monitoring_helpers import START, Stores, post_labels, replay, train_and_register

from loopline.config import AlertsSection, MonitorSection
from loopline.monitoring import MonitorDefinition, WindowSpec, check_model, load_reference, run_monitor
from loopline.monitoring.reference import reference_name
from loopline.validation.storage import STATISTICS_TYPE

NOW = datetime(2011, 4, 1, tzinfo=UTC)


def _run(stores: Stores, monitors: dict[str, MonitorSection] | None = None, **kwargs: object):
    reports = check_model("bikes", monitors=monitors or {}, alerts=AlertsSection(), log=stores.log,
                          store=stores.monitors, registry=stores.registry, now=NOW, **kwargs)
    return reports[0].run


def test_a_quiet_replay_shows_no_dataset_drift_and_measures_everything(stores: Stores, version: int) -> None:
    replay(stores, days=4, version=version)
    run = _run(stores)
    assert [w.key for w in run.windows][:4] == [f"2011-03-0{d}T00:00:00Z" for d in range(1, 5)]
    judged = run.windows[:4]
    for day, window in enumerate(judged):
        latencies = [5 + (i % 10) for i in range(48 * day, 48 * (day + 1))]
        verdicts = window.verdicts()
        assert verdicts["drift"] == "no drift", window.details["drift"]
        assert verdicts["quality"] == "ok"
        assert verdicts["performance"] == "measured"
        assert window.metrics["performance.mae"] < 10
        low, high = window.metrics["performance.ci_low"], window.metrics["performance.ci_high"]
        assert low < window.metrics["performance.mae"] < high
        assert window.metrics["performance.coverage"] == 1.0
        for p in (50, 95, 99):
            assert window.metrics[f"operations.latency_p{p}_ms"] == pytest.approx(np.percentile(latencies, p))
        assert window.metrics["operations.error_rate"] == 0.0
        assert window.versions == {str(version): 48}
    assert sum(w.metrics["prediction_drift.drift"] for w in judged) <= 1


def test_a_drifted_replay_shows_drift_new_categories_out_of_domain_and_worse_error(stores: Stores,
                                                                                   version: int) -> None:
    replay(stores, days=2, version=version, drifted=True)
    window = _run(stores).windows[0]
    verdicts = window.verdicts()
    assert verdicts["drift"] == "drift" and verdicts["prediction_drift"] == "drift"
    assert {"temp", "weather"} <= set(window.details["drift"]["drifted"])
    quality = {c["column"]: c for c in window.details["quality"]["columns"]}
    assert quality["weather"]["new_categories"]["snow"] > 0
    assert quality["temp"]["out_of_domain"] > 0
    assert window.metrics["quality.new_categories"] == 1.0
    assert window.metrics["performance.mae"] > 50
    assert verdicts["skew"] == "skew"


def test_rerunning_replaces_windows_instead_of_adding_them(stores: Stores, version: int) -> None:
    replay(stores, days=3, version=version)
    first = _run(stores)
    again = _run(stores)
    stored = stores.monitors.windows("bikes", limit=1000)
    assert len(stored) == len(first.windows)
    assert len(again.windows) < len(first.windows)  # only the newest window (and after) is measured again
    assert [w.metrics for w in stored[:3]] == [w.metrics for w in first.windows[:3]]
    full = _run(stores, full=True)
    assert len(stores.monitors.windows("bikes", limit=1000)) == len(full.windows) == len(first.windows)


def test_gaps_and_empty_windows_say_not_enough_data(stores: Stores, version: int) -> None:
    replay(stores, days=1, version=version)
    replay(stores, days=1, version=version, start=START + timedelta(days=3), seed=5)
    windows = {w.key: w for w in _run(stores).windows}
    gap = windows["2011-03-02T00:00:00Z"]
    assert gap.rows == 0
    assert set(gap.verdicts().values()) == {"not enough data"}
    assert all(value is None for name, value in gap.metrics.items() if name not in ("rows", "labelled"))
    trailing = windows["2011-03-31T00:00:00Z"]
    assert trailing.rows == 0 and trailing.details["drift"]["reason"] == "no predictions in the window"


def test_a_window_with_too_few_rows_is_not_judged(stores: Stores, version: int) -> None:
    records = replay(stores, days=1, version=version, labels=False)
    assert len(records) == 48
    monitors = {"few": MonitorSection(model="bikes", min_rows=100)}
    window = _run(stores, monitors).windows[0]
    assert window.verdicts()["drift"] == "not enough data"
    assert "48 prediction(s) in the window; at least 100 needed" in window.details["drift"]["reason"]
    assert window.metrics["drift.share"] is None


def test_an_all_null_column_is_not_enough_data_for_that_column_only(stores: Stores, version: int) -> None:
    replay(stores, days=1, version=version, overrides={"hum": float("nan")})
    window = _run(stores).windows[0]
    columns = {c["column"]: c for c in window.details["drift"]["columns"]}
    assert columns["hum"]["verdict"] == "not enough data"
    assert columns["temp"]["verdict"] == "no drift"
    quality = {c["column"]: c for c in window.details["quality"]["columns"]}
    assert quality["hum"]["missing_share"] == 1.0
    assert window.details["quality"]["verdict"] == "issues"


def test_late_labels_update_the_window_they_belong_to(stores: Stores, version: int) -> None:
    records = replay(stores, days=2, version=version, labels=False)
    first = {w.key: w for w in _run(stores).windows}
    day1 = first["2011-03-01T00:00:00Z"]
    assert day1.verdicts()["performance"] == "not enough data"
    assert day1.details["performance"]["reason"] == "0 labelled prediction(s); at least 30 needed"
    post_labels(stores, records[:48], [r.output + 30.0 for r in records[:48]])
    again = {w.key: w for w in _run(stores).windows}
    assert "2011-03-01T00:00:00Z" in again
    assert again["2011-03-01T00:00:00Z"].metrics["performance.mae"] == pytest.approx(30.0)
    stored = stores.monitors.windows("bikes", limit=5)[0]
    assert stored.labelled == 48 and stored.metrics["performance.mae"] == pytest.approx(30.0)


def test_partial_labels_below_the_coverage_give_no_verdict(stores: Stores, version: int) -> None:
    records = replay(stores, days=1, version=version, labels=False, per_hour=4)
    post_labels(stores, records[:40], [r.output for r in records[:40]])
    window = _run(stores).windows[0]
    assert window.details["performance"]["reason"] == "labels cover 41.7% of the window; at least 50% needed"
    assert window.metrics["performance.coverage"] == pytest.approx(40 / 96)


def test_request_windows_count_predictions(stores: Stores, version: int) -> None:
    replay(stores, days=2, version=version)
    definition = MonitorDefinition("per100", "bikes", WindowSpec("requests", 40))
    run = run_monitor(definition, log=stores.log, store=stores.monitors, registry=stores.registry, now=NOW)
    assert [(w.key, w.rows, w.complete) for w in run.windows] == [
        ("n:0000000000", 40, True), ("n:0000000001", 40, True), ("n:0000000002", 16, False)]
    replay(stores, days=1, version=version, start=START + timedelta(days=2), seed=3)
    more = run_monitor(definition, log=stores.log, store=stores.monitors, registry=stores.registry, now=NOW)
    assert [(w.key, w.rows) for w in more.windows] == [("n:0000000002", 40), ("n:0000000003", 24)]


def test_the_training_reference_is_computed_once_and_cached(stores: Stores, version: int) -> None:
    reference = load_reference(stores.registry, "bikes", version)
    assert reference.features == ("temp", "hum", "hr", "weather") and reference.target == "cnt"
    assert "prediction" in reference.profile and reference.profile.rows == 2000
    again = load_reference(stores.registry, "bikes", version)
    assert again.statistics_artifact_id == reference.statistics_artifact_id
    cached = stores.metadata.artifacts.list(type=STATISTICS_TYPE, name=reference_name("bikes", version))
    assert len(cached) == 1
    assert cached[0].properties["model_artifact_id"] == reference.model_artifact_id
    assert cached[0].properties["training_data_artifact_id"] > 0


def test_each_window_uses_the_reference_of_the_version_that_served_it(stores: Stores, version: int) -> None:
    second = train_and_register(stores)
    replay(stores, days=1, version=version)
    replay(stores, days=1, version=second, start=START + timedelta(days=1), seed=4)
    windows = _run(stores).windows
    assert windows[0].details["reference"]["version"] == version
    assert windows[1].details["reference"]["version"] == second


def test_shadow_predictions_are_left_out(stores: Stores, version: int) -> None:
    from dataclasses import replace

    records = replay(stores, days=1, version=version)
    stores.log.append([replace(r, request_id=f"{r.request_id}.shadow", served_as="shadow", output=-1e6)
                       for r in records])
    window = _run(stores).windows[0]
    assert window.rows == 48 and window.metrics["performance.mae"] < 10


def test_a_prediction_stored_late_reaches_its_old_window(stores: Stores, version: int) -> None:
    replay(stores, days=3, version=version)
    before = {w.key: w.rows for w in _run(stores).windows}
    replay(stores, days=1, version=version, per_hour=1, seed=9)  # day 1 again, stored after the run
    after = {w.key: w.rows for w in _run(stores).windows}
    assert after["2011-03-01T00:00:00Z"] == before["2011-03-01T00:00:00Z"] + 24
    assert "2011-03-02T00:00:00Z" not in after  # untouched windows are not measured again
