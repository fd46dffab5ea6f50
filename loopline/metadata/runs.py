"""Runs: one pipeline run each, a context of kind ``run`` (same id) belonging to the pipeline's context.

A run starts RUNNING, owned by ``"hostname:pid"``, and ends COMPLETE, FAILED or, when
its process died without finishing it, INTERRUPTED (see ``mark_interrupted``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Select, insert, select, update

from loopline.errors import ConflictError, InvalidInputError, NotFoundError
from loopline.metadata import tables
from loopline.metadata.contexts import PIPELINE, RUN, ensure_context, insert_context
from loopline.metadata.engine import Database
from loopline.metadata.owners import current_owner, is_gone, local_owner_prefix
from loopline.metadata.records import Execution, ExecutionState, Run, RunStatus
from loopline.metadata.rows import execution_from_row, run_from_row
from loopline.metadata.validate import json_object, require_id, require_name, require_page

PROCESS_DIED = "process died"

_pipeline = tables.contexts.alias("pipeline_context")
_context = tables.contexts.alias("run_context")
_RUNS = (
    select(tables.runs, _pipeline.c.name.label("pipeline"), _context.c.properties)
    .join(_context, _context.c.id == tables.runs.c.id)
    .join(_pipeline, _pipeline.c.id == tables.runs.c.pipeline_id)
)


def load_run(conn: Connection, run_id: int, *, lock: bool = False) -> Run:
    """The run ``run_id``; with ``lock``, its row stays locked until the transaction ends (PostgreSQL)."""
    query: Select[Any] = _RUNS.where(tables.runs.c.id == run_id)
    if lock:
        query = query.with_for_update(of=tables.runs)
    row = conn.execute(query).one_or_none()
    if row is None:
        raise NotFoundError(f"no run with id {run_id}", hint="list runs with 'loopline runs list'")
    return run_from_row(row)


def require_running(run: Run, action: str) -> None:
    if run.status is not RunStatus.RUNNING:
        raise ConflictError(
            f"cannot {action}: run {run.id} of '{run.pipeline}' is already {run.status.value}",
            hint="start a new run",
        )


def _known_status(value: RunStatus | str) -> RunStatus:
    try:
        return RunStatus(value)
    except ValueError:
        raise InvalidInputError(
            f"unknown run status {value!r}", hint=f"choose one of: {', '.join(s.value for s in RunStatus)}"
        ) from None


def _final_status(value: RunStatus | str) -> RunStatus:
    status = _known_status(value)
    if status is RunStatus.RUNNING:
        raise InvalidInputError("a run cannot be finished as 'running'", hint="pass complete, failed or interrupted")
    return status


class Runs:
    """Start, finish, read and list runs; mark the runs of dead processes interrupted."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def start(self, pipeline: str, *, params: Mapping[str, Any], properties: Mapping[str, Any] | None = None) -> Run:
        """A new RUNNING run of ``pipeline``, owned by this process."""
        require_name(pipeline, "a pipeline name")
        values = json_object(params, "run parameters")
        extra = json_object(properties, "run properties")
        owner = current_owner()
        started = datetime.now(UTC)

        def work(conn: Connection) -> Run:
            pipeline_id = ensure_context(conn, PIPELINE, pipeline, {})
            run_id = insert_context(conn, RUN, uuid.uuid4().hex, extra)  # a run is a context: same id
            row = {
                "id": run_id,
                "pipeline_id": pipeline_id,
                "status": RunStatus.RUNNING.value,
                "params": values,
                "started_at": started,
                "owner": owner,
            }
            conn.execute(insert(tables.runs).values(row))
            return Run(run_id, pipeline, RunStatus.RUNNING, values, started, None, owner=owner, properties=extra)

        return self._db.write(work)

    def finish(self, run_id: int, status: RunStatus, *, error: str | None = None) -> Run:
        """End a RUNNING run. COMPLETE needs every execution finished and none failed;
        FAILED or INTERRUPTED marks the run's still-running executions failed."""
        require_id(run_id, "a run id")
        final = _final_status(status)
        ended = datetime.now(UTC)

        def work(conn: Connection) -> Run:
            run = load_run(conn, run_id, lock=True)
            require_running(run, f"finish run {run_id} as {final.value}")
            if final is RunStatus.COMPLETE:
                _require_all_done(conn, run)
            else:
                _fail_running_executions(
                    conn, [run_id], f"the run ended ({final.value}) before this step finished", ended
                )
            conn.execute(
                update(tables.runs)
                .where(tables.runs.c.id == run_id)
                .values(status=final.value, ended_at=ended, error=error)
            )
            return load_run(conn, run_id)

        return self._db.write(work)

    def get(self, run_id: int) -> Run:
        require_id(run_id, "a run id")
        return self._db.read(lambda conn: load_run(conn, run_id))

    def executions(self, run_id: int) -> list[Execution]:
        """The run's executions in the order they started."""
        require_id(run_id, "a run id")

        def work(conn: Connection) -> list[Execution]:
            query = select(tables.executions).where(tables.executions.c.run_id == run_id)
            found = [execution_from_row(row) for row in conn.execute(query.order_by(tables.executions.c.id))]
            if not found:
                load_run(conn, run_id)  # NotFoundError for an unknown run
            return found

        return self._db.read(work)

    def mark_interrupted(self) -> list[int]:
        """Mark INTERRUPTED every RUNNING run started on this host by a process that no longer
        exists, and FAILED ("process died") its RUNNING executions. Returns the runs' ids."""
        ended = datetime.now(UTC)

        def work(conn: Connection) -> list[int]:
            running = conn.execute(
                select(tables.runs.c.id, tables.runs.c.owner).where(
                    tables.runs.c.status == RunStatus.RUNNING.value,
                    tables.runs.c.owner.startswith(local_owner_prefix(), autoescape=True),
                )
            ).all()
            gone = [run_id for run_id, owner in running if is_gone(owner)]
            if not gone:
                return []
            marked = conn.execute(
                update(tables.runs)
                .where(tables.runs.c.id.in_(gone), tables.runs.c.status == RunStatus.RUNNING.value)
                .values(status=RunStatus.INTERRUPTED.value, ended_at=ended, error="the process running it died")
                .returning(tables.runs.c.id)
            ).scalars()
            ids = sorted(marked)
            _fail_running_executions(conn, ids, PROCESS_DIED, ended)
            return ids

        return self._db.write(work)

    def list(
        self, *, pipeline: str | None = None, status: RunStatus | None = None, limit: int = 50, offset: int = 0
    ) -> list[Run]:
        """Runs, newest first."""
        require_page(limit, offset)
        query = _RUNS.order_by(tables.runs.c.id.desc()).limit(limit).offset(offset)
        if pipeline is not None:
            query = query.where(_pipeline.c.name == pipeline)
        if status is not None:
            query = query.where(tables.runs.c.status == _known_status(status).value)
        return self._db.read(lambda conn: [run_from_row(row) for row in conn.execute(query)])


def _require_all_done(conn: Connection, run: Run) -> None:
    unfinished = conn.execute(
        select(tables.executions.c.id, tables.executions.c.step, tables.executions.c.state)
        .where(
            tables.executions.c.run_id == run.id,
            tables.executions.c.state.in_([ExecutionState.RUNNING.value, ExecutionState.FAILED.value]),
        )
        .order_by(tables.executions.c.id)
    ).all()
    if unfinished:
        listed = ", ".join(f"execution {i} ({step}) is {state}" for i, step, state in unfinished[:5])
        more = f" and {len(unfinished) - 5} more" if len(unfinished) > 5 else ""
        raise InvalidInputError(
            f"run {run.id} cannot finish as complete: {listed}{more}",
            hint="finish the run as failed, or complete the steps first",
        )


def _fail_running_executions(conn: Connection, run_ids: list[int], error: str, ended: datetime) -> None:
    if not run_ids:
        return
    conn.execute(
        update(tables.executions)
        .where(tables.executions.c.run_id.in_(run_ids), tables.executions.c.state == ExecutionState.RUNNING.value)
        .values(state=ExecutionState.FAILED.value, error=error, ended_at=ended)
    )


__all__ = ["PROCESS_DIED", "Runs", "load_run", "require_running"]
