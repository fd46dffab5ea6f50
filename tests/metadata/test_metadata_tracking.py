import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from loopline.errors import ConflictError, InvalidInputError, NotFoundError
from loopline.metadata import MetadataStore, MetricPoint, NewArtifact

Points = Callable[..., list[MetricPoint]]


def _execution(store: MetadataStore, step: str = "train", run_id: int | None = None) -> int:
    run_id = run_id or store.runs.start("training", params={}).id
    return store.executions.start(run_id, step, cache_key=None, params={}).id


def test_metric_history_round_trips_in_step_order(store: MetadataStore) -> None:
    execution = _execution(store)
    t0 = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    batch = [
        MetricPoint("loss", 0.5, 2, t0),
        MetricPoint("loss", 0.9, 0, t0),
        MetricPoint("loss", 0.7, 1, t0),
        MetricPoint("acc", 0.1, 0, t0),
    ]
    store.tracking.log_metrics(execution, batch)
    history = store.tracking.metric_history(execution, "loss")
    assert [(p.step, p.value) for p in history] == [(0, 0.9), (1, 0.7), (2, 0.5)]
    assert history[0].timestamp == t0  # microseconds and UTC kept


def test_nan_and_infinite_values_survive(store: MetadataStore) -> None:
    execution = _execution(store)
    now = datetime.now(UTC)
    store.tracking.log_metrics(
        execution, [MetricPoint("loss", math.nan, 0, now), MetricPoint("loss", math.inf, 1, now)]
    )
    values = [p.value for p in store.tracking.metric_history(execution, "loss")]
    assert math.isnan(values[0]) and values[1] == math.inf


def test_metric_points_are_checked_before_writing(store: MetadataStore) -> None:
    execution = _execution(store)
    with pytest.raises(
        InvalidInputError, match="metric 'loss' has the timestamp .* expected a timezone-aware datetime"
    ):
        store.tracking.log_metrics(execution, [MetricPoint("loss", 1.0, 0, datetime.now())])
    with pytest.raises(InvalidInputError, match="metric 'loss' has the value 'high'; expected a number"):
        store.tracking.log_metrics(execution, [MetricPoint("loss", "high", 0, datetime.now(UTC))])  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="metric 'loss' has the step 1.5; expected an integer"):
        store.tracking.log_metrics(execution, [MetricPoint("loss", 1.0, 1.5, datetime.now(UTC))])  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match="no execution with id 404"):
        store.tracking.log_metrics(404, [MetricPoint("loss", 1.0, 0, datetime.now(UTC))])
    assert store.tracking.metric_history(execution, "loss") == []


def test_latest_metrics_take_the_highest_step_per_step_name(store: MetadataStore, metric_points: Points) -> None:
    run = store.runs.start("training", params={})
    train = _execution(store, "train", run.id)
    evaluate = _execution(store, "evaluate", run.id)
    store.tracking.log_metrics(train, metric_points("loss", [0.9, 0.5, 0.1]))
    late = datetime.now(UTC) + timedelta(seconds=5)
    store.tracking.log_metrics(train, [MetricPoint("loss", 0.05, 2, late)])  # same step, later: wins
    store.tracking.log_metrics(evaluate, metric_points("rmse", [3.0]) + metric_points("mae", [2.0]))
    assert store.tracking.latest_metrics(run_id=run.id) == {
        "train": {"loss": 0.05},
        "evaluate": {"rmse": 3.0, "mae": 2.0},
    }
    assert store.tracking.latest_metrics(execution_id=evaluate) == {"evaluate": {"rmse": 3.0, "mae": 2.0}}
    assert store.tracking.latest_metrics(run_id=store.runs.start("empty", params={}).id) == {}
    with pytest.raises(InvalidInputError, match="latest_metrics needs run_id or execution_id"):
        store.tracking.latest_metrics()
    with pytest.raises(NotFoundError, match="no run with id 999"):
        store.tracking.latest_metrics(run_id=999)


def test_a_cached_execution_reports_the_metrics_it_reused(
    store: MetadataStore, artifact: Callable[..., NewArtifact], metric_points: Points
) -> None:
    first = store.runs.start("training", params={})
    source = store.executions.start(first.id, "train", cache_key="k", params={})
    outputs = store.executions.complete(
        source.id, inputs={}, outputs={"model": artifact("model")}, metrics=metric_points("loss", [0.4, 0.2])
    )
    second = store.runs.start("training", params={})
    cached = store.executions.record_cached(
        second.id,
        "train",
        cache_key="k",
        params={},
        inputs={},
        outputs={"model": outputs["model"].id},
        cached_from=source.id,
    )
    assert store.tracking.latest_metrics(run_id=second.id) == {"train": {"loss": 0.2}}
    assert [p.value for p in store.tracking.metric_history(cached.id, "loss")] == [0.4, 0.2]


def test_log_params_merges_and_refuses_changes(store: MetadataStore) -> None:
    execution = _execution(store)
    store.tracking.log_params(execution, {"features": "a,b", "rows": 10})
    store.tracking.log_params(execution, {"rows": 10, "seed": 1})
    assert store.executions.get(execution).params == {"features": "a,b", "rows": 10, "seed": 1}
    with pytest.raises(ConflictError, match=r"'rows' is 10, got 11\n  hint: parameters cannot change once logged"):
        store.tracking.log_params(execution, {"rows": 11})


def test_metric_batch_speed(store: MetadataStore) -> None:
    """Not an assertion on speed: prints what a batch costs on this machine."""
    execution = _execution(store)
    now = datetime.now(UTC)
    batch = [MetricPoint("loss", 1.0 / (i + 1), i, now) for i in range(10_000)]
    store.tracking.log_metrics(execution, batch[:100])  # warm up
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        store.tracking.log_metrics(execution, batch)
        timings.append(time.perf_counter() - started)
    best = min(timings)
    rate = len(batch) / best
    print(f"\n[{store.dialect}] 10,000 metric points in one batch: {best * 1000:.1f} ms ({rate:,.0f} points/s)")
    assert len(store.tracking.metric_history(execution, "loss")) == 30_100
