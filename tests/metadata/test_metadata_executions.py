from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from loopline.errors import ConflictError, InvalidInputError, NotFoundError
from loopline.metadata import (
    Event,
    EventKind,
    ExecutionState,
    MetadataStore,
    MetricPoint,
    NewArtifact,
    RunStatus,
    tables,
)
from loopline.metadata import executions as executions_module

Artifact = Callable[..., NewArtifact]


def _count(store: MetadataStore, table: object) -> int:
    return store._db.read(lambda conn: conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_start_records_a_running_execution(store: MetadataStore) -> None:
    run = store.runs.start("training", params={})
    execution = store.executions.start(run.id, "train", cache_key="abc", params={"lr": 0.1})
    assert execution.state is ExecutionState.RUNNING
    assert store.executions.get(execution.id) == execution
    assert execution.ended_at is None and execution.duration_s is None


def test_complete_writes_outputs_events_metrics_params_and_state(
    store: MetadataStore, artifact: Artifact, metric_points: Callable[..., list[MetricPoint]]
) -> None:
    run = store.runs.start("training", params={})
    first = store.executions.start(run.id, "prepare", cache_key="k1", params={})
    data = store.executions.complete(first.id, inputs={}, outputs={"data": artifact("data", rows=10)})["data"]
    assert data.producer_execution_id == first.id and data.properties == {"rows": 10}
    second = store.executions.start(run.id, "train", cache_key="k2", params={"lr": 0.1})
    outputs = store.executions.complete(
        second.id,
        inputs={"data": data.id},
        outputs={"model": artifact("model", type="Model"), "report": artifact("report", type="Report")},
        metrics=metric_points("loss", [0.9, 0.5, 0.2]),
        params={"rows": 10},
        logs="epoch 1\nepoch 2\n",
    )
    assert set(outputs) == {"model", "report"}
    assert store.artifacts.get(outputs["model"].id) == outputs["model"]
    done = store.executions.get(second.id)
    assert done.state is ExecutionState.COMPLETE
    assert done.params == {"lr": 0.1, "rows": 10}
    assert done.logs == "epoch 1\nepoch 2\n"
    assert done.ended_at is not None and done.duration_s is not None
    assert store.executions.events(second.id) == [
        Event(second.id, data.id, EventKind.INPUT, "data"),
        Event(second.id, outputs["model"].id, EventKind.OUTPUT, "model"),
        Event(second.id, outputs["report"].id, EventKind.OUTPUT, "report"),
    ]
    assert [p.value for p in store.tracking.metric_history(second.id, "loss")] == [0.9, 0.5, 0.2]
    assert store.check_integrity() == []


def test_complete_is_one_transaction(
    store: MetadataStore,
    artifact: Artifact,
    metric_points: Callable[..., list[MetricPoint]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = store.runs.start("training", params={})
    execution = store.executions.start(run.id, "train", cache_key=None, params={})

    def fail_midway(*args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(executions_module, "insert_metrics", fail_midway)  # after artifacts and events
    with pytest.raises(RuntimeError, match="disk on fire"):
        store.executions.complete(
            execution.id, inputs={}, outputs={"model": artifact("model")}, metrics=metric_points("m", [1.0])
        )
    assert store.executions.get(execution.id).state is ExecutionState.RUNNING
    assert (_count(store, tables.artifacts), _count(store, tables.events)) == (0, 0)
    monkeypatch.undo()
    store.executions.complete(execution.id, inputs={}, outputs={"model": artifact("model")})
    assert (_count(store, tables.artifacts), _count(store, tables.events)) == (1, 1)


def test_an_execution_ends_once(store: MetadataStore, artifact: Artifact) -> None:
    run = store.runs.start("training", params={})
    execution = store.executions.start(run.id, "train", cache_key=None, params={})
    store.executions.complete(execution.id, inputs={}, outputs={"model": artifact("model")})
    with pytest.raises(ConflictError, match=r"cannot complete execution 1 \(step 'train'\): it is already complete"):
        store.executions.complete(execution.id, inputs={}, outputs={"model": artifact("model")})
    with pytest.raises(ConflictError, match="cannot fail execution 1"):
        store.executions.fail(execution.id, error="late", traceback=None)
    assert _count(store, tables.artifacts) == 1


def test_complete_names_missing_inputs(store: MetadataStore, artifact: Artifact) -> None:
    run = store.runs.start("training", params={})
    execution = store.executions.start(run.id, "train", cache_key=None, params={})
    with pytest.raises(
        NotFoundError, match=r"the inputs of execution 1 name artifacts that do not exist: 'data' \(artifact/77\)"
    ):
        store.executions.complete(execution.id, inputs={"data": 77}, outputs={"model": artifact("model")})
    assert store.executions.get(execution.id).state is ExecutionState.RUNNING


def test_complete_checks_outputs_before_writing(store: MetadataStore, artifact: Artifact) -> None:
    run = store.runs.start("training", params={})
    execution = store.executions.start(run.id, "train", cache_key=None, params={})
    bad = NewArtifact(name="m", type="Model", uri="sha256:x", digest="x", size=-1, format="pickle")
    with pytest.raises(InvalidInputError, match=r"output 'model'.size must be an integer >= 0, got -1"):
        store.executions.complete(execution.id, inputs={}, outputs={"model": bad})
    with pytest.raises(InvalidInputError, match="outputs must map dataset names to NewArtifact values, got list"):
        store.executions.complete(execution.id, inputs={}, outputs=[artifact("m")])  # type: ignore[arg-type]


def test_logged_params_cannot_change_a_recorded_value(store: MetadataStore, artifact: Artifact) -> None:
    run = store.runs.start("training", params={})
    execution = store.executions.start(run.id, "train", cache_key=None, params={"lr": 0.1})
    with pytest.raises(ConflictError, match=r"parameters of execution 1 are already recorded: 'lr' is 0.1, got 0.2"):
        store.executions.complete(execution.id, inputs={}, outputs={}, params={"lr": 0.2})
    store.executions.complete(execution.id, inputs={}, outputs={}, params={"lr": 0.1, "rows": 5})
    assert store.executions.get(execution.id).params == {"lr": 0.1, "rows": 5}


def test_fail_records_error_traceback_inputs_metrics_and_logs(
    store: MetadataStore, artifact: Artifact, metric_points: Callable[..., list[MetricPoint]]
) -> None:
    data = store.artifacts.record(artifact("data"))
    run = store.runs.start("training", params={})
    execution = store.executions.start(run.id, "train", cache_key=None, params={})
    failed = store.executions.fail(
        execution.id,
        error="ValueError: bad column",
        traceback="Traceback (most recent call last):\n  ...",
        inputs={"data": data.id},
        metrics=metric_points("loss", [1.0]),
        logs="reading data\n",
    )
    assert failed.state is ExecutionState.FAILED
    assert (failed.error, failed.logs) == ("ValueError: bad column", "reading data\n")
    assert failed.traceback is not None and failed.traceback.startswith("Traceback")
    assert store.executions.events(execution.id) == [Event(execution.id, data.id, EventKind.INPUT, "data")]
    assert store.tracking.latest_metrics(execution_id=execution.id) == {"train": {"loss": 1.0}}
    with pytest.raises(InvalidInputError, match="error must be a non-empty message"):
        store.executions.fail(execution.id, error="", traceback=None)


def test_starting_a_step_in_a_finished_run_is_a_conflict(store: MetadataStore) -> None:
    run = store.runs.start("training", params={})
    store.runs.finish(run.id, RunStatus.COMPLETE)
    with pytest.raises(
        ConflictError, match=rf"cannot start step 'train': run {run.id} of 'training' is already complete"
    ):
        store.executions.start(run.id, "train", cache_key=None, params={})


def _complete_step(
    store: MetadataStore, run_id: int, step: str, key: str, inputs: dict[str, int], outputs: dict[str, NewArtifact]
) -> tuple[int, dict[str, int]]:
    execution = store.executions.start(run_id, step, cache_key=key, params={})
    recorded = store.executions.complete(execution.id, inputs=inputs, outputs=outputs)
    return execution.id, {name: a.id for name, a in recorded.items()}


def test_find_cached_returns_the_latest_complete_execution_and_its_outputs(
    store: MetadataStore, artifact: Artifact
) -> None:
    assert store.executions.find_cached("k") is None
    run = store.runs.start("training", params={})
    old, _ = _complete_step(store, run.id, "train", "k", {}, {"model": artifact("model", seed="v1")})
    new, new_outputs = _complete_step(store, run.id, "train", "k", {}, {"model": artifact("model", seed="v2")})
    failed = store.executions.start(run.id, "train", cache_key="k", params={})
    store.executions.fail(failed.id, error="boom", traceback=None)
    found = store.executions.find_cached("k")
    assert found is not None
    execution, outputs = found
    assert execution.id == new != old
    assert {name: a.id for name, a in outputs.items()} == new_outputs
    assert store.executions.find_cached("other") is None


def test_record_cached_reuses_outputs_in_one_transaction(store: MetadataStore, artifact: Artifact) -> None:
    data = store.artifacts.record(artifact("data"))
    first = store.runs.start("training", params={})
    source, outputs = _complete_step(store, first.id, "train", "k", {"data": data.id}, {"model": artifact("model")})
    store.runs.finish(first.id, RunStatus.COMPLETE)
    second = store.runs.start("training", params={})
    cached = store.executions.record_cached(
        second.id,
        "train",
        cache_key="k",
        params={"lr": 0.1},
        inputs={"data": data.id},
        outputs=outputs,
        cached_from=source,
    )
    assert cached.state is ExecutionState.CACHED and cached.cached_from == source and cached.run_id == second.id
    assert cached.started_at == cached.ended_at
    assert store.executions.events(cached.id) == [
        Event(cached.id, data.id, EventKind.INPUT, "data"),
        Event(cached.id, outputs["model"], EventKind.OUTPUT, "model"),
    ]
    found = store.executions.find_cached("k")
    assert found is not None and found[0].id == source  # a cached execution is never itself a cache source
    store.runs.finish(second.id, RunStatus.COMPLETE)
    assert store.check_integrity() == []


def test_record_cached_refuses_what_the_source_did_not_produce(store: MetadataStore, artifact: Artifact) -> None:
    run = store.runs.start("training", params={})
    source, _ = _complete_step(store, run.id, "train", "k", {}, {"model": artifact("model")})
    stranger = store.artifacts.record(artifact("other"))
    with pytest.raises(
        InvalidInputError,
        match=rf"cached outputs 'model' \(artifact/{stranger.id}\) are not outputs of execution {source}",
    ):
        store.executions.record_cached(
            run.id, "train", cache_key="k", params={}, inputs={}, outputs={"model": stranger.id}, cached_from=source
        )
    running = store.executions.start(run.id, "eval", cache_key="e", params={})
    with pytest.raises(InvalidInputError, match=rf"execution {running.id} \(step 'eval'\) is running; only a complete"):
        store.executions.record_cached(
            run.id, "eval", cache_key="e", params={}, inputs={}, outputs={}, cached_from=running.id
        )
    assert len(store.runs.executions(run.id)) == 2


def test_events_are_unique_per_execution_kind_and_name(store: MetadataStore, artifact: Artifact) -> None:
    data = store.artifacts.record(artifact("data"))
    run = store.runs.start("training", params={})
    execution = store.executions.start(run.id, "train", cache_key=None, params={})
    store.executions.complete(execution.id, inputs={"data": data.id}, outputs={"data": artifact("data", seed="out")})
    kinds = [(e.kind, e.name) for e in store.executions.events(execution.id)]
    assert kinds == [(EventKind.INPUT, "data"), (EventKind.OUTPUT, "data")]
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    duplicate = {"execution_id": execution.id, "artifact_id": data.id, "kind": "input", "name": "data"}
    with pytest.raises(IntegrityError):
        store._db.write(lambda conn: conn.execute(insert(tables.events).values(duplicate)))


def test_unknown_execution(store: MetadataStore) -> None:
    with pytest.raises(NotFoundError, match="no execution with id 5"):
        store.executions.get(5)
    with pytest.raises(NotFoundError, match="no execution with id 5"):
        store.executions.events(5)
    with pytest.raises(NotFoundError, match="no run with id 3"):
        store.executions.start(3, "train", cache_key=None, params={})
