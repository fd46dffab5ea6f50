import contextlib
import sqlite3
from collections.abc import Callable

from sqlalchemy import delete, update

from loopline.metadata import MetadataStore, NewArtifact, RunStatus, tables
from loopline.metadata.integrity import MAX_PER_RULE


def _completed_run(store: MetadataStore, artifact: Callable[..., NewArtifact]) -> tuple[int, int]:
    run = store.runs.start("training", params={})
    execution = store.executions.start(run.id, "train", cache_key="k", params={})
    store.executions.complete(
        execution.id, inputs={}, outputs={"model": artifact("model"), "report": artifact("report")}
    )
    store.runs.finish(run.id, RunStatus.COMPLETE)
    return run.id, execution.id


def test_a_sound_store_has_no_problems(store: MetadataStore, artifact: Callable[..., NewArtifact]) -> None:
    assert store.check_integrity() == []
    _completed_run(store, artifact)
    assert store.check_integrity() == []


def test_a_half_written_execution_is_reported(store: MetadataStore, artifact: Callable[..., NewArtifact]) -> None:
    _, execution = _completed_run(store, artifact)
    store._db.write(
        lambda conn: conn.execute(
            delete(tables.events).where(tables.events.c.execution_id == execution, tables.events.c.name == "report")
        )
    )
    assert store.check_integrity() == [
        f"execution {execution} (train, complete) has 1 output events, its completion recorded 2"
    ]


def test_a_complete_run_with_a_failed_execution_is_reported(
    store: MetadataStore, artifact: Callable[..., NewArtifact]
) -> None:
    run, execution = _completed_run(store, artifact)
    store._db.write(
        lambda conn: conn.execute(
            update(tables.executions).where(tables.executions.c.id == execution).values(state="failed")
        )
    )
    assert store.check_integrity() == [f"run {run} is complete but its execution {execution} (train) is failed"]


def test_a_cached_execution_without_a_complete_source_is_reported(
    store: MetadataStore, artifact: Callable[..., NewArtifact]
) -> None:
    _, source = _completed_run(store, artifact)
    outputs = {e.name: e.artifact_id for e in store.executions.events(source)}
    run = store.runs.start("training", params={})
    cached = store.executions.record_cached(
        run.id, "train", cache_key="k", params={}, inputs={}, outputs=outputs, cached_from=source
    )
    store._db.write(
        lambda conn: conn.execute(
            update(tables.executions).where(tables.executions.c.id == source).values(state="failed")
        )
    )
    problems = store.check_integrity()
    assert f"cached execution {cached.id} (train) reuses execution {source}, which is failed" in problems


def test_many_problems_of_one_kind_are_counted_not_all_listed(sqlite_store: MetadataStore) -> None:
    run = sqlite_store.runs.start("training", params={})
    for i in range(MAX_PER_RULE + 5):
        sqlite_store.executions.start(run.id, f"s{i}", cache_key=None, params={})
    sqlite_store._db.write(lambda conn: conn.execute(update(tables.runs).values(status="complete")))
    problems = sqlite_store.check_integrity()
    assert len(problems) == MAX_PER_RULE + 1
    assert problems[-1] == "... and 5 more like the line above"


def test_sqlite_foreign_key_damage_is_reported(
    sqlite_store: MetadataStore, artifact: Callable[..., NewArtifact]
) -> None:
    _completed_run(sqlite_store, artifact)
    path = sqlite_store.url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(path)) as raw:  # a plain connection: foreign keys not enforced
        raw.execute("DELETE FROM artifacts WHERE name = 'report'")
        raw.commit()
    problems = sqlite_store.check_integrity()
    assert any(p.startswith("events row") and p.endswith("refers to a missing artifacts row") for p in problems)
    assert any(p.startswith("event ") and "refers to artifact" in p and "which does not exist" in p for p in problems)
