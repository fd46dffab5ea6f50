"""Tracking: metric series and logged parameters of executions.

A batch of metric points is one transaction and one ``executemany`` insert, so logging
10,000 points costs about as much as a single small write. Parameters are immutable once
recorded: logging a key again with the same value is fine, with another value it is a
conflict. A CACHED execution reports the metrics of the execution whose outputs it reused.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from loopline.errors import ConflictError, InvalidInputError, NotFoundError
from loopline.metadata import tables
from loopline.metadata.artifacts import id_chunks
from loopline.metadata.engine import Database
from loopline.metadata.records import MetricPoint
from loopline.metadata.rows import metric_from_row
from loopline.metadata.validate import json_object, metric_rows, require_id, require_name


def insert_metrics(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows made by ``validate.metric_rows`` with one executemany."""
    if rows:
        conn.execute(insert(tables.metrics), list(rows))


def merge_params(execution_id: int, current: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """``current`` with ``new`` added; a key already recorded with another value is a ConflictError."""
    changed = sorted(key for key, value in new.items() if key in current and current[key] != value)
    if changed:
        shown = ", ".join(f"'{k}' is {current[k]!r}, got {new[k]!r}" for k in changed[:5])
        raise ConflictError(
            f"parameters of execution {execution_id} are already recorded: {shown}",
            hint="parameters cannot change once logged; log the new value under another name",
        )
    return {**current, **new}


def _execution_row(conn: Connection, execution_id: int, *, lock: bool = False) -> Any:
    e = tables.executions
    query = select(e.c.id, e.c.params, e.c.cached_from).where(e.c.id == execution_id)
    row = conn.execute(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise NotFoundError(
            f"no execution with id {execution_id}", hint="see a run's executions with 'loopline runs show RUN'"
        )
    return row


class Tracking:
    """Log and read metrics and parameters."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def log_metrics(self, execution_id: int, points: Sequence[MetricPoint]) -> None:
        """Record a batch of metric points in one transaction."""
        require_id(execution_id, "an execution id")
        rows = metric_rows(execution_id, points)
        if not rows:
            return

        def work(conn: Connection) -> None:
            _execution_row(conn, execution_id)
            insert_metrics(conn, rows)

        self._db.write(work)

    def log_params(self, execution_id: int, params: Mapping[str, Any]) -> None:
        """Add parameters to an execution's record (see the module docstring on changing them)."""
        require_id(execution_id, "an execution id")
        new = json_object(params, "parameters")
        if not new:
            return

        def work(conn: Connection) -> None:
            row = _execution_row(conn, execution_id, lock=True)
            merged = merge_params(execution_id, row.params, new)
            conn.execute(update(tables.executions).where(tables.executions.c.id == execution_id).values(params=merged))

        self._db.write(work)

    def metric_history(self, execution_id: int, key: str) -> list[MetricPoint]:
        """Every point of one metric, ordered by step then time."""
        require_id(execution_id, "an execution id")
        require_name(key, "a metric key")
        m = tables.metrics

        def work(conn: Connection) -> list[MetricPoint]:
            row = _execution_row(conn, execution_id)
            source = row.cached_from or execution_id
            query = (
                select(m.c.key, m.c.value, m.c.step, m.c.timestamp_us)
                .where(m.c.execution_id == source, m.c.key == key)
                .order_by(m.c.step, m.c.timestamp_us, m.c.id)
            )
            return [metric_from_row(r) for r in conn.execute(query)]

        return self._db.read(work)

    def latest_metrics(
        self, *, run_id: int | None = None, execution_id: int | None = None
    ) -> dict[str, dict[str, float]]:
        """``{step: {metric: value at its highest step}}`` for a run's executions or one execution.

        When a step ran more than once in the run, the later execution's values win.
        """
        if run_id is None and execution_id is None:
            raise InvalidInputError(
                "latest_metrics needs run_id or execution_id", hint="pass run_id=7 or execution_id=3"
            )
        e = tables.executions
        query = select(e.c.id, e.c.step, e.c.cached_from).order_by(e.c.id)
        if run_id is not None:
            query = query.where(e.c.run_id == require_id(run_id, "a run id"))
        if execution_id is not None:
            query = query.where(e.c.id == require_id(execution_id, "an execution id"))

        def work(conn: Connection) -> dict[str, dict[str, float]]:
            executions = conn.execute(query).all()
            if not executions:
                _require_exists(conn, run_id, execution_id)
                return {}
            sources = {row.id: row.cached_from or row.id for row in executions}
            latest = _latest_values(conn, sources.values())
            result: dict[str, dict[str, float]] = {}
            for row in executions:
                result.setdefault(row.step, {}).update(latest.get(sources[row.id], {}))
            return result

        return self._db.read(work)


def _latest_values(conn: Connection, execution_ids: Any) -> dict[int, dict[str, float]]:
    m = tables.metrics
    found: dict[int, dict[str, float]] = {}
    for chunk in id_chunks(execution_ids):
        rank = (
            func.row_number()
            .over(
                partition_by=(m.c.execution_id, m.c.key),
                order_by=(m.c.step.desc(), m.c.timestamp_us.desc(), m.c.id.desc()),
            )
            .label("rank")
        )
        ranked = select(m.c.execution_id, m.c.key, m.c.value, rank).where(m.c.execution_id.in_(chunk)).subquery()
        query = select(ranked.c.execution_id, ranked.c.key, ranked.c.value).where(ranked.c.rank == 1)
        for execution_id, key, value in conn.execute(query):
            found.setdefault(execution_id, {})[key] = math.nan if value is None else value
    return found


def _require_exists(conn: Connection, run_id: int | None, execution_id: int | None) -> None:
    if run_id is not None and conn.execute(select(tables.runs.c.id).where(tables.runs.c.id == run_id)).first() is None:
        raise NotFoundError(f"no run with id {run_id}", hint="list runs with 'loopline runs list'")
    if execution_id is not None:
        _execution_row(conn, execution_id)


__all__ = ["Tracking", "insert_metrics", "merge_params"]
