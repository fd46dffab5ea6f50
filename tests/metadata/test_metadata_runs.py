import multiprocessing
import os
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from loopline.errors import ConflictError, InvalidInputError, NotFoundError
from loopline.metadata import ExecutionState, MetadataStore, NewArtifact, RunStatus


def test_start_records_pipeline_params_owner_and_utc_time(store: MetadataStore) -> None:
    before = datetime.now(UTC)
    run = store.runs.start("training", params={"alpha": 0.5, "layers": [1, 2]}, properties={"trigger": "manual"})
    assert run.status is RunStatus.RUNNING
    assert run.owner == f"{socket.gethostname()}:{os.getpid()}"
    assert run.started_at is not None and run.started_at.tzinfo is not None and run.started_at >= before
    stored = store.runs.get(run.id)
    assert stored == run
    assert stored.params == {"alpha": 0.5, "layers": [1, 2]}
    assert stored.properties == {"trigger": "manual"}


def test_a_run_is_a_context_inside_its_pipeline_context(
    store: MetadataStore, artifact: Callable[..., NewArtifact]
) -> None:
    first = store.runs.start("training", params={}, properties={"trigger": "schedule"})
    second = store.runs.start("training", params={})
    store.runs.start("scoring", params={})
    pipelines = store.contexts.list(kind="pipeline")
    assert sorted(c.name for c in pipelines) == ["scoring", "training"]
    own = store.contexts.get(first.id)
    assert (own.kind, own.properties) == ("run", {"trigger": "schedule"})
    assert second.id > first.id
    imported = store.artifacts.record(artifact("bike_hours"), context_id=first.id)  # attributed to the run
    assert store.artifacts.list(context_id=first.id) == [imported]


def test_finish_sets_status_end_time_and_error(store: MetadataStore) -> None:
    run = store.runs.start("training", params={})
    finished = store.runs.finish(run.id, RunStatus.FAILED, error="step 'train' failed")
    assert finished.status is RunStatus.FAILED
    assert finished.error == "step 'train' failed"
    assert finished.ended_at is not None and finished.duration_s is not None and finished.duration_s >= 0
    with pytest.raises(ConflictError, match=rf"run {run.id} of 'training' is already failed"):
        store.runs.finish(run.id, RunStatus.COMPLETE)


def test_finish_refuses_running_and_unknown_status(store: MetadataStore) -> None:
    run = store.runs.start("training", params={})
    with pytest.raises(InvalidInputError, match="cannot be finished as 'running'"):
        store.runs.finish(run.id, RunStatus.RUNNING)
    with pytest.raises(InvalidInputError, match="unknown run status 'done'"):
        store.runs.finish(run.id, "done")  # type: ignore[arg-type]


def test_a_run_cannot_complete_with_a_failed_or_running_execution(store: MetadataStore) -> None:
    run = store.runs.start("training", params={})
    failed = store.executions.start(run.id, "prepare", cache_key=None, params={})
    store.executions.fail(failed.id, error="boom", traceback="Traceback ...")
    store.executions.start(run.id, "train", cache_key=None, params={})
    with pytest.raises(
        InvalidInputError,
        match=r"cannot finish as complete: execution 1 \(prepare\) is failed, "
        r"execution 2 \(train\) is running",
    ):
        store.runs.finish(run.id, RunStatus.COMPLETE)
    assert store.runs.get(run.id).status is RunStatus.RUNNING


def test_failing_a_run_fails_its_running_executions(store: MetadataStore) -> None:
    run = store.runs.start("training", params={})
    execution = store.executions.start(run.id, "train", cache_key=None, params={})
    store.runs.finish(run.id, RunStatus.FAILED, error="stopped")
    ended = store.executions.get(execution.id)
    assert ended.state is ExecutionState.FAILED
    assert ended.error == "the run ended (failed) before this step finished"
    assert store.check_integrity() == []


def test_get_unknown_run_says_how_to_find_one(store: MetadataStore) -> None:
    with pytest.raises(NotFoundError, match=r"no run with id 99\n  hint: list runs with 'loopline runs list'"):
        store.runs.get(99)
    with pytest.raises(NotFoundError, match="no run with id 99"):
        store.runs.executions(99)
    with pytest.raises(InvalidInputError, match="a run id must be a positive integer id, got 0"):
        store.runs.get(0)


def test_list_newest_first_with_filters_and_paging(store: MetadataStore) -> None:
    ids = [store.runs.start("a" if i % 2 else "b", params={"i": i}).id for i in range(6)]
    store.runs.finish(ids[0], RunStatus.COMPLETE)
    assert [r.id for r in store.runs.list()] == ids[::-1]
    assert [r.id for r in store.runs.list(pipeline="a")] == [ids[5], ids[3], ids[1]]
    assert [r.id for r in store.runs.list(status=RunStatus.COMPLETE)] == [ids[0]]
    assert [r.id for r in store.runs.list(limit=2, offset=1)] == [ids[4], ids[3]]
    assert store.runs.list(pipeline="missing") == []
    with pytest.raises(InvalidInputError, match="limit must be an integer from 1 to 10000, got 0"):
        store.runs.list(limit=0)
    with pytest.raises(InvalidInputError, match="unknown run status 'done'\n  hint: choose one of: running, complete"):
        store.runs.list(status="done")  # type: ignore[arg-type]


def test_executions_of_a_run_in_start_order(store: MetadataStore) -> None:
    run = store.runs.start("training", params={})
    other = store.runs.start("training", params={})
    a = store.executions.start(run.id, "prepare", cache_key="k1", params={})
    store.executions.start(other.id, "prepare", cache_key="k1", params={})
    b = store.executions.start(run.id, "train", cache_key="k2", params={"lr": 0.1})
    assert [e.id for e in store.runs.executions(run.id)] == [a.id, b.id]
    assert store.runs.executions(store.runs.start("empty", params={}).id) == []


def test_parameters_must_be_json_values(store: MetadataStore) -> None:
    with pytest.raises(InvalidInputError, match=r"run parameters must hold JSON values .*object"):
        store.runs.start("training", params={"bad": object()})
    run = store.runs.start("training", params={"when": datetime(2024, 1, 2, tzinfo=UTC), "tags": {"b", "a"}})
    assert store.runs.get(run.id).params == {"when": "2024-01-02T00:00:00+00:00", "tags": ["a", "b"]}


def _start_run_and_die(
    url: str, ready: "multiprocessing.synchronize.Event", release: "multiprocessing.synchronize.Event"
) -> None:
    with MetadataStore(url) as store:
        run = store.runs.start("training", params={})
        store.executions.start(run.id, "train", cache_key=None, params={})
    ready.set()
    release.wait(30)
    os._exit(0)  # no finish: the process dies with its run RUNNING


def test_mark_interrupted_only_marks_runs_whose_process_is_gone(store: MetadataStore) -> None:
    mine = store.runs.start("training", params={})
    context = multiprocessing.get_context("fork")
    ready, release = context.Event(), context.Event()
    child = context.Process(target=_start_run_and_die, args=(store.url, ready, release))
    child.start()
    try:
        assert ready.wait(30)
        assert store.runs.mark_interrupted() == []  # the child is alive: its run is left alone
    finally:
        release.set()
        child.join(30)
    orphan_id = next(r.id for r in store.runs.list() if r.id != mine.id)
    marked = store.runs.mark_interrupted()
    assert marked == [orphan_id]
    orphan = store.runs.get(orphan_id)
    assert orphan.status is RunStatus.INTERRUPTED and orphan.ended_at is not None
    execution = store.runs.executions(orphan_id)[0]
    assert (execution.state, execution.error) == (ExecutionState.FAILED, "process died")
    assert store.runs.get(mine.id).status is RunStatus.RUNNING
    assert store.runs.mark_interrupted() == []
    assert store.check_integrity() == []


def test_timestamps_survive_a_round_trip_in_utc(store: MetadataStore) -> None:
    run = store.runs.start("training", params={})
    time.sleep(0.01)
    ended = store.runs.finish(run.id, RunStatus.COMPLETE)
    again = store.runs.get(run.id)
    assert again.started_at == run.started_at
    assert again.ended_at == ended.ended_at
    assert again.ended_at is not None and again.ended_at.utcoffset().total_seconds() == 0
