"""A failed execution may record the artifacts that explain its failure, in the transaction that fails it."""

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from loopline.errors import InvalidInputError
from loopline.metadata import EventKind, ExecutionState, MetadataStore, NewArtifact, tables
from loopline.metadata import executions as executions_module

Artifact = Callable[..., NewArtifact]


def _count(store: MetadataStore, table: object) -> int:
    return store._db.read(lambda conn: conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_fail_records_outputs_with_their_events(store: MetadataStore, artifact: Artifact) -> None:
    data = store.artifacts.record(artifact("data"))
    run = store.runs.start("training", params={})
    execution = store.executions.start(run.id, "validate", cache_key="k1", params={})
    failed = store.executions.fail(
        execution.id, error="DataValidationError: OUT_OF_RANGE in 'hum'", traceback=None,
        inputs={"data": data.id}, outputs={"anomalies": artifact("anomalies", type="Anomalies")},
    )
    assert failed.state is ExecutionState.FAILED
    events = store.executions.events(execution.id)
    assert [(e.kind, e.name) for e in events] == [(EventKind.INPUT, "data"), (EventKind.OUTPUT, "anomalies")]
    evidence = store.artifacts.get(events[1].artifact_id)
    assert (evidence.type, evidence.name, evidence.producer_execution_id) == ("Anomalies", "anomalies", execution.id)
    assert store.executions.find_cached("k1") is None  # a failed execution's outputs are never reused
    assert store.check_integrity() == []


def test_fail_with_outputs_is_one_transaction(
    store: MetadataStore, artifact: Artifact, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = store.runs.start("training", params={})
    execution = store.executions.start(run.id, "validate", cache_key=None, params={})

    def fail_midway(*args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(executions_module, "insert_metrics", fail_midway)  # after the artifacts and events
    with pytest.raises(RuntimeError, match="disk on fire"):
        store.executions.fail(execution.id, error="boom", traceback=None, outputs={"anomalies": artifact("a")})
    assert store.executions.get(execution.id).state is ExecutionState.RUNNING
    assert (_count(store, tables.artifacts), _count(store, tables.events)) == (0, 0)


def test_fail_checks_outputs_before_writing(store: MetadataStore) -> None:
    run = store.runs.start("training", params={})
    execution = store.executions.start(run.id, "validate", cache_key=None, params={})
    bad = NewArtifact(name="a", type="Anomalies", uri="sha256:x", digest="x", size=-1, format="pickle")
    with pytest.raises(InvalidInputError, match=r"output 'anomalies'.size must be an integer >= 0, got -1"):
        store.executions.fail(execution.id, error="boom", traceback=None, outputs={"anomalies": bad})
    assert store.executions.get(execution.id).state is ExecutionState.RUNNING
