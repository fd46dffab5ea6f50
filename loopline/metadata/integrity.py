"""The integrity check: every rule the store's transactions are meant to keep, verified from the data.

``check_integrity`` returns one line per problem found (an empty list when all is sound):

- SQLite's own ``PRAGMA integrity_check`` and ``PRAGMA foreign_key_check``;
- the schema is at the revision this code expects;
- every COMPLETE or CACHED execution has exactly the INPUT and OUTPUT events its final
  transaction wrote (so none is half-written), and every event's artifact and execution exist;
- a CACHED execution reuses a COMPLETE one; a COMPLETE execution has an end time;
- no COMPLETE run has a RUNNING or FAILED execution, no finished run a RUNNING one.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, and_, func, select
from sqlalchemy.orm import aliased

from loopline.metadata import tables
from loopline.metadata.migrate import HEAD_REVISION, current_revision
from loopline.metadata.records import EventKind, ExecutionState, RunStatus

MAX_PER_RULE = 20
"""Problems listed per rule; the rest are counted."""

_e = tables.executions
_ev = tables.events
_FINAL = [ExecutionState.COMPLETE.value, ExecutionState.CACHED.value]


def check_integrity(conn: Connection) -> list[str]:
    problems: list[str] = []
    for rule in _RULES:
        if rule is _sqlite_checks and conn.dialect.name != "sqlite":
            continue
        found = rule(conn)
        problems.extend(found[:MAX_PER_RULE])
        if len(found) > MAX_PER_RULE:
            problems.append(f"... and {len(found) - MAX_PER_RULE} more like the line above")
    return problems


def _sqlite_checks(conn: Connection) -> list[str]:
    problems = [f"SQLite integrity_check: {line}" for line in conn.exec_driver_sql("PRAGMA integrity_check").scalars()]
    problems = [p for p in problems if p != "SQLite integrity_check: ok"]
    for table, rowid, parent, _ in conn.exec_driver_sql("PRAGMA foreign_key_check"):
        problems.append(f"{table} row {rowid} refers to a missing {parent} row")
    return problems


def _schema_revision(conn: Connection) -> list[str]:
    revision = current_revision(conn)
    if revision != HEAD_REVISION:
        return [f"the schema is at revision {revision!r}, expected {HEAD_REVISION!r}"]
    return []


def _event_counts(conn: Connection) -> list[str]:
    problems = []
    for kind, expected in ((EventKind.INPUT, _e.c.input_count), (EventKind.OUTPUT, _e.c.output_count)):
        written = select(func.count()).where(_ev.c.execution_id == _e.c.id, _ev.c.kind == kind.value).scalar_subquery()
        query = (
            select(_e.c.id, _e.c.step, _e.c.state, expected, written.label("written"))
            .where(_e.c.state.in_(_FINAL), (expected.is_(None)) | (expected != written))
            .order_by(_e.c.id)
        )
        for execution_id, step, state, want, got in conn.execute(query):
            problems.append(
                f"execution {execution_id} ({step}, {state}) has {got} {kind.value} events, "
                f"its completion recorded {'none' if want is None else want}"
            )
    return problems


def _dangling_events(conn: Connection) -> list[str]:
    query = (
        select(_ev.c.id, _ev.c.execution_id, _ev.c.artifact_id, tables.artifacts.c.id, _e.c.id)
        .outerjoin(tables.artifacts, tables.artifacts.c.id == _ev.c.artifact_id)
        .outerjoin(_e, _e.c.id == _ev.c.execution_id)
        .where((tables.artifacts.c.id.is_(None)) | (_e.c.id.is_(None)))
        .order_by(_ev.c.id)
    )
    problems = []
    for event_id, execution_id, artifact_id, artifact, _ in conn.execute(query):
        missing = f"artifact {artifact_id}" if artifact is None else f"execution {execution_id}"
        problems.append(f"event {event_id} refers to {missing}, which does not exist")
    return problems


def _cached_sources(conn: Connection) -> list[str]:
    source = aliased(_e)
    query = (
        select(_e.c.id, _e.c.step, _e.c.cached_from, source.c.state)
        .outerjoin(source, source.c.id == _e.c.cached_from)
        .where(
            _e.c.state == ExecutionState.CACHED.value,
            (source.c.id.is_(None)) | (source.c.state != ExecutionState.COMPLETE.value),
        )
        .order_by(_e.c.id)
    )
    return [
        f"cached execution {i} ({step}) reuses execution {origin}, which is {state or 'missing'}"
        for i, step, origin, state in conn.execute(query)
    ]


def _unended(conn: Connection) -> list[str]:
    query = select(_e.c.id, _e.c.step, _e.c.state).where(_e.c.state.in_(_FINAL), _e.c.ended_at.is_(None))
    return [f"execution {i} ({step}) is {state} but has no end time" for i, step, state in conn.execute(query)]


def _run_states(conn: Connection) -> list[str]:
    r = tables.runs
    complete_but_not_done = and_(
        r.c.status == RunStatus.COMPLETE.value,
        _e.c.state.in_([ExecutionState.RUNNING.value, ExecutionState.FAILED.value]),
    )
    finished_but_running = and_(r.c.status != RunStatus.RUNNING.value, _e.c.state == ExecutionState.RUNNING.value)
    query = (
        select(r.c.id, r.c.status, _e.c.id, _e.c.step, _e.c.state)
        .join(_e, _e.c.run_id == r.c.id)
        .where(complete_but_not_done | finished_but_running)
        .order_by(r.c.id, _e.c.id)
    )
    return [
        f"run {run_id} is {status} but its execution {i} ({step}) is {state}"
        for run_id, status, i, step, state in conn.execute(query)
    ]


_RULES: tuple[Callable[[Connection], list[str]], ...] = (
    _sqlite_checks,
    _schema_revision,
    _event_counts,
    _dangling_events,
    _cached_sources,
    _unended,
    _run_states,
)

__all__ = ["MAX_PER_RULE", "check_integrity"]
