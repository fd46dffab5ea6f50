"""Executions: one step run once inside a run, and the events that tie it to artifacts.

An execution starts RUNNING and ends in exactly one transaction: ``complete`` writes its
output artifacts, its INPUT and OUTPUT events, its metrics, its parameters and its final
state together, so a process killed at any instant leaves all of them or none.
``record_cached`` likewise writes a CACHED execution and its events at once. Events are
unique by ``(execution, kind, name)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from loopline.errors import ConflictError, InvalidInputError, NotFoundError
from loopline.metadata import tables
from loopline.metadata.artifacts import insert_artifacts, require_artifacts
from loopline.metadata.engine import Database
from loopline.metadata.records import (
    Artifact,
    Event,
    EventKind,
    Execution,
    ExecutionState,
    MetricPoint,
    NewArtifact,
)
from loopline.metadata.rows import artifact_from_row, event_from_row, execution_from_row
from loopline.metadata.runs import load_run, require_running
from loopline.metadata.tracking import insert_metrics, merge_params
from loopline.metadata.validate import json_object, metric_rows, new_artifact, require_id, require_name

_RUNNING = ExecutionState.RUNNING.value


def load_execution(conn: Connection, execution_id: int, *, lock: bool = False) -> Any:
    """The execution's row; with ``lock`` it stays locked until the transaction ends (PostgreSQL)."""
    query = select(tables.executions).where(tables.executions.c.id == execution_id)
    row = conn.execute(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise NotFoundError(
            f"no execution with id {execution_id}", hint="see a run's executions with 'loopline runs show RUN'"
        )
    return row


def _require_running(row: Any, action: str) -> None:
    if row.state != _RUNNING:
        raise ConflictError(
            f"cannot {action} execution {row.id} (step '{row.step}'): it is already {row.state}",
            hint="an execution ends once; start a new execution to run the step again",
        )


def _named_ids(value: Mapping[str, int] | None, what: str) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"{what} must map dataset names to artifact ids, got {type(value).__name__}")
    for name, artifact_id in value.items():
        require_name(name, f"a dataset name in {what}")
        require_id(artifact_id, f"the artifact id of '{name}' in {what}")
    return dict(value)


def _new_artifacts(value: Mapping[str, NewArtifact]) -> dict[str, NewArtifact]:
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"outputs must map dataset names to NewArtifact values, got {type(value).__name__}")
    for name, artifact in value.items():
        require_name(name, "a dataset name in outputs")
        new_artifact(artifact, f"output '{name}'")
    return dict(value)


def _insert_events(conn: Connection, execution_id: int, kind: EventKind, named_ids: Mapping[str, int]) -> None:
    if named_ids:
        rows = [
            {"execution_id": execution_id, "artifact_id": i, "kind": kind.value, "name": n}
            for n, i in named_ids.items()
        ]
        conn.execute(insert(tables.events), rows)


class Executions:
    """Start and end executions, reuse cached ones, read them and their events."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def start(self, run_id: int, step: str, *, cache_key: str | None, params: Mapping[str, Any]) -> Execution:
        """A new RUNNING execution of ``step`` in the RUNNING run ``run_id``."""
        require_id(run_id, "a run id")
        require_name(step, "a step name")
        if cache_key is not None:
            require_name(cache_key, "a cache key")
        values = json_object(params, f"parameters of step '{step}'")
        started = datetime.now(UTC)

        def work(conn: Connection) -> Execution:
            require_running(load_run(conn, run_id, lock=True), f"start step '{step}'")
            row = {
                "run_id": run_id,
                "step": step,
                "state": _RUNNING,
                "cache_key": cache_key,
                "params": values,
                "started_at": started,
            }
            new_id = conn.execute(insert(tables.executions).values(row).returning(tables.executions.c.id)).scalar_one()
            return Execution(new_id, run_id, step, ExecutionState.RUNNING, cache_key, values, started, None)

        return self._db.write(work)

    def complete(
        self,
        execution_id: int,
        *,
        inputs: Mapping[str, int],
        outputs: Mapping[str, NewArtifact],
        metrics: Sequence[MetricPoint] = (),
        params: Mapping[str, Any] | None = None,
        logs: str | None = None,
    ) -> dict[str, Artifact]:
        """End a RUNNING execution as COMPLETE: outputs, events, metrics, parameters and state in ONE
        transaction. Returns the recorded output artifacts by dataset name."""
        require_id(execution_id, "an execution id")
        input_ids = _named_ids(inputs, "inputs")
        new_outputs = _new_artifacts(outputs)
        points = metric_rows(execution_id, metrics)
        logged = json_object(params, "logged parameters")
        ended = datetime.now(UTC)

        def work(conn: Connection) -> dict[str, Artifact]:
            row = load_execution(conn, execution_id, lock=True)
            _require_running(row, "complete")
            require_artifacts(conn, input_ids, f"the inputs of execution {execution_id}")
            merged = merge_params(execution_id, row.params, logged)
            recorded = insert_artifacts(conn, new_outputs, producer=execution_id)
            _insert_events(conn, execution_id, EventKind.INPUT, input_ids)
            _insert_events(conn, execution_id, EventKind.OUTPUT, {name: a.id for name, a in recorded.items()})
            insert_metrics(conn, points)
            conn.execute(
                update(tables.executions)
                .where(tables.executions.c.id == execution_id, tables.executions.c.state == _RUNNING)
                .values(
                    state=ExecutionState.COMPLETE.value,
                    ended_at=ended,
                    params=merged,
                    logs=logs,
                    input_count=len(input_ids),
                    output_count=len(recorded),
                )
            )
            return recorded

        return self._db.write(work)

    def fail(
        self,
        execution_id: int,
        *,
        error: str,
        traceback: str | None,
        inputs: Mapping[str, int] | None = None,
        metrics: Sequence[MetricPoint] = (),
        logs: str | None = None,
        outputs: Mapping[str, NewArtifact] | None = None,
    ) -> Execution:
        """End a RUNNING execution as FAILED, with what it read and logged before failing (one transaction).

        ``outputs`` are artifacts that explain the failure (a check's evidence, such as the
        anomalies that stopped a run); they are recorded with OUTPUT events in the same
        transaction. A failed execution is never reused from cache, so neither are they.
        """
        require_id(execution_id, "an execution id")
        if not isinstance(error, str) or not error:
            raise InvalidInputError(f"error must be a non-empty message, got {error!r}")
        input_ids = _named_ids(inputs, "inputs")
        new_outputs = _new_artifacts(outputs or {})
        points = metric_rows(execution_id, metrics)
        ended = datetime.now(UTC)

        def work(conn: Connection) -> Execution:
            _require_running(load_execution(conn, execution_id, lock=True), "fail")
            require_artifacts(conn, input_ids, f"the inputs of execution {execution_id}")
            recorded = insert_artifacts(conn, new_outputs, producer=execution_id)
            _insert_events(conn, execution_id, EventKind.INPUT, input_ids)
            _insert_events(conn, execution_id, EventKind.OUTPUT, {name: a.id for name, a in recorded.items()})
            insert_metrics(conn, points)
            conn.execute(
                update(tables.executions)
                .where(tables.executions.c.id == execution_id, tables.executions.c.state == _RUNNING)
                .values(
                    state=ExecutionState.FAILED.value,
                    ended_at=ended,
                    error=error,
                    traceback=traceback,
                    logs=logs,
                    input_count=len(input_ids),
                    output_count=len(recorded),
                )
            )
            return execution_from_row(load_execution(conn, execution_id))

        return self._db.write(work)

    def record_cached(
        self,
        run_id: int,
        step: str,
        *,
        cache_key: str,
        params: Mapping[str, Any],
        inputs: Mapping[str, int],
        outputs: Mapping[str, int],
        cached_from: int,
    ) -> Execution:
        """A CACHED execution reusing the outputs of the COMPLETE execution ``cached_from``,
        with INPUT and OUTPUT events pointing at the same artifacts (one transaction)."""
        require_id(run_id, "a run id")
        require_name(step, "a step name")
        require_name(cache_key, "a cache key")
        require_id(cached_from, "cached_from")
        values = json_object(params, f"parameters of step '{step}'")
        input_ids = _named_ids(inputs, "inputs")
        output_ids = _named_ids(outputs, "outputs")
        now = datetime.now(UTC)

        def work(conn: Connection) -> Execution:
            require_running(load_run(conn, run_id, lock=True), f"record cached step '{step}'")
            _require_reusable(conn, cached_from, output_ids)
            require_artifacts(conn, input_ids, f"the inputs of cached step '{step}'")
            row = {
                "run_id": run_id,
                "step": step,
                "state": ExecutionState.CACHED.value,
                "cache_key": cache_key,
                "params": values,
                "started_at": now,
                "ended_at": now,
                "cached_from": cached_from,
                "input_count": len(input_ids),
                "output_count": len(output_ids),
            }
            new_id = conn.execute(insert(tables.executions).values(row).returning(tables.executions.c.id)).scalar_one()
            _insert_events(conn, new_id, EventKind.INPUT, input_ids)
            _insert_events(conn, new_id, EventKind.OUTPUT, output_ids)
            return execution_from_row(load_execution(conn, new_id))

        return self._db.write(work)

    def find_cached(self, cache_key: str) -> tuple[Execution, dict[str, Artifact]] | None:
        """The latest COMPLETE execution with ``cache_key`` and its output artifacts by dataset name."""
        require_name(cache_key, "a cache key")
        e = tables.executions

        def work(conn: Connection) -> tuple[Execution, dict[str, Artifact]] | None:
            query = (
                select(e)
                .where(e.c.cache_key == cache_key, e.c.state == ExecutionState.COMPLETE.value)
                .order_by(e.c.id.desc())
                .limit(1)
            )
            row = conn.execute(query).one_or_none()
            if row is None:
                return None
            return execution_from_row(row), _outputs_of(conn, row.id)

        return self._db.read(work)

    def get(self, execution_id: int) -> Execution:
        require_id(execution_id, "an execution id")
        return self._db.read(lambda conn: execution_from_row(load_execution(conn, execution_id)))

    def events(self, execution_id: int) -> list[Event]:
        """The execution's INPUT and OUTPUT events, in the order they were written."""
        require_id(execution_id, "an execution id")

        def work(conn: Connection) -> list[Event]:
            query = (
                select(tables.events).where(tables.events.c.execution_id == execution_id).order_by(tables.events.c.id)
            )
            found = [event_from_row(row) for row in conn.execute(query)]
            if not found:
                load_execution(conn, execution_id)  # NotFoundError for an unknown execution
            return found

        return self._db.read(work)


def _outputs_of(conn: Connection, execution_id: int) -> dict[str, Artifact]:
    ev = tables.events
    query = (
        select(ev.c.name.label("event_name"), tables.artifacts)
        .join(tables.artifacts, tables.artifacts.c.id == ev.c.artifact_id)
        .where(ev.c.execution_id == execution_id, ev.c.kind == EventKind.OUTPUT.value)
        .order_by(ev.c.id)
    )
    return {row.event_name: artifact_from_row(row) for row in conn.execute(query)}


def _require_reusable(conn: Connection, cached_from: int, output_ids: Mapping[str, int]) -> None:
    source = load_execution(conn, cached_from)
    if source.state != ExecutionState.COMPLETE.value:
        raise InvalidInputError(
            f"execution {cached_from} (step '{source.step}') is {source.state}; only a complete execution's outputs "
            "can be reused",
            hint="pass the execution returned by executions.find_cached",
        )
    produced = {a.id for a in _outputs_of(conn, cached_from).values()}
    foreign = [f"'{name}' (artifact/{i})" for name, i in output_ids.items() if i not in produced]
    if foreign:
        raise InvalidInputError(
            f"cached outputs {', '.join(foreign)} are not outputs of execution {cached_from}",
            hint="pass the artifacts that executions.find_cached returned with that execution",
        )


__all__ = ["Executions", "load_execution"]
