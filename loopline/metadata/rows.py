"""Database rows to domain records: one conversion function per row type, nothing else.

The rows come from SQLAlchemy Core selects over ``tables``; the records are the frozen
values of ``records``. Nothing outside the metadata package ever sees a row.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from loopline.metadata.records import (
    Artifact,
    Context,
    Event,
    EventKind,
    Execution,
    ExecutionState,
    MetricPoint,
    Run,
    RunStatus,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def run_from_row(row: Any) -> Run:
    """A row of ``runs`` joined with its own context (``properties``) and its pipeline's (``pipeline``)."""
    return Run(
        id=row.id,
        pipeline=row.pipeline,
        status=RunStatus(row.status),
        params=row.params,
        started_at=row.started_at,
        ended_at=row.ended_at,
        error=row.error,
        owner=row.owner,
        properties=row.properties,
    )


def execution_from_row(row: Any) -> Execution:
    return Execution(
        id=row.id,
        run_id=row.run_id,
        step=row.step,
        state=ExecutionState(row.state),
        cache_key=row.cache_key,
        params=row.params,
        started_at=row.started_at,
        ended_at=row.ended_at,
        error=row.error,
        traceback=row.traceback,
        logs=row.logs,
        cached_from=row.cached_from,
    )


def artifact_from_row(row: Any) -> Artifact:
    return Artifact(
        id=row.id,
        type=row.type,
        name=row.name,
        uri=row.uri,
        digest=row.digest,
        size=row.size,
        format=row.format,
        properties=row.properties,
        created_at=row.created_at,
        producer_execution_id=row.producer_execution_id,
    )


def event_from_row(row: Any) -> Event:
    return Event(execution_id=row.execution_id, artifact_id=row.artifact_id, kind=EventKind(row.kind), name=row.name)


def context_from_row(row: Any) -> Context:
    return Context(id=row.id, kind=row.kind, name=row.name, properties=row.properties, created_at=row.created_at)


def metric_from_row(row: Any) -> MetricPoint:
    value = math.nan if row.value is None else row.value
    stamp = _EPOCH + timedelta(microseconds=row.timestamp_us)
    return MetricPoint(key=row.key, value=value, step=row.step, timestamp=stamp)


__all__ = [
    "artifact_from_row",
    "context_from_row",
    "event_from_row",
    "execution_from_row",
    "metric_from_row",
    "run_from_row",
]
