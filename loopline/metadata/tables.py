"""The database tables, as SQLAlchemy Core ``Table`` objects on one shared ``MetaData``.

ML Metadata's model: ``contexts`` group things (a pipeline, a run); a run is a context
of kind ``run`` with a ``runs`` row of the same id; ``executions`` are step runs inside a
run; ``artifacts`` are recorded files; ``events`` say that an execution read (INPUT) or
wrote (OUTPUT) an artifact under a dataset name; ``attributions`` place an artifact in a
context; ``metrics`` hold logged metric series.

Other packages (registry, audit, features, ...) add their tables to ``metadata_obj`` in
their own ``tables`` module and create them in a new Alembic revision (see
``migrations/README.md``). Constraint names come from ``NAMING_CONVENTION`` so that
migrations can refer to them on every database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata_obj = MetaData(naming_convention=NAMING_CONVENTION)
"""Every Loopline table, whatever package defines it, belongs to this one ``MetaData``."""

Id = BigInteger().with_variant(Integer(), "sqlite")
"""Primary and foreign keys: 64-bit on PostgreSQL; SQLite needs INTEGER for its rowid alias."""

JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite keeps them as naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stamp: datetime = value
        return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


contexts = Table(
    "contexts",
    metadata_obj,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("name", String(255), nullable=False),
    Column("properties", JsonDocument, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("kind", "name"),
)

runs = Table(
    "runs",
    metadata_obj,
    Column("id", Id, ForeignKey("contexts.id"), primary_key=True, autoincrement=False),  # the run's context
    Column("pipeline_id", Id, ForeignKey("contexts.id"), nullable=False, index=True),
    Column("status", String(16), nullable=False, index=True),
    Column("params", JsonDocument, nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime()),
    Column("error", Text),
    Column("owner", String(255)),
)

executions = Table(
    "executions",
    metadata_obj,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_id", Id, ForeignKey("runs.id"), nullable=False, index=True),
    Column("step", String(255), nullable=False),
    Column("state", String(16), nullable=False),
    Column("cache_key", String(255)),
    Column("params", JsonDocument, nullable=False),
    Column("started_at", UTCDateTime()),
    Column("ended_at", UTCDateTime()),
    Column("error", Text),
    Column("traceback", Text),
    Column("logs", Text),
    Column("cached_from", Id, ForeignKey("executions.id")),
    # how many INPUT and OUTPUT events the execution's final transaction wrote: lets the
    # integrity check prove that no completed execution lacks any of them
    Column("input_count", Integer),
    Column("output_count", Integer),
    Index(None, "cache_key", "state"),
    Index(None, "state"),
)

artifacts = Table(
    "artifacts",
    metadata_obj,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("type", String(255), nullable=False, index=True),
    Column("name", String(255), nullable=False, index=True),
    Column("uri", String(1024), nullable=False),
    Column("digest", String(128), nullable=False, index=True),
    Column("size", BigInteger, nullable=False),
    Column("format", String(64), nullable=False),
    Column("properties", JsonDocument, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("producer_execution_id", Id, ForeignKey("executions.id"), index=True),
)

events = Table(
    "events",
    metadata_obj,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("execution_id", Id, ForeignKey("executions.id"), nullable=False),
    Column("artifact_id", Id, ForeignKey("artifacts.id"), nullable=False, index=True),
    Column("kind", String(8), nullable=False),
    Column("name", String(255), nullable=False),
    UniqueConstraint("execution_id", "kind", "name"),
)

attributions = Table(
    "attributions",
    metadata_obj,
    Column("context_id", Id, ForeignKey("contexts.id"), primary_key=True),
    Column("artifact_id", Id, ForeignKey("artifacts.id"), primary_key=True, index=True),
)

metrics = Table(
    "metrics",
    metadata_obj,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("execution_id", Id, ForeignKey("executions.id"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("value", Float),  # NULL stands for NaN: SQLite stores NaN as NULL
    Column("step", BigInteger, nullable=False),
    # microseconds since the Unix epoch (UTC): integers need no per-row conversion on insert,
    # which keeps batches of thousands of points fast
    Column("timestamp_us", BigInteger, nullable=False),
    Index(None, "execution_id", "key", "step"),
)

__all__ = [
    "NAMING_CONVENTION",
    "Id",
    "JsonDocument",
    "UTCDateTime",
    "artifacts",
    "attributions",
    "contexts",
    "events",
    "executions",
    "metadata_obj",
    "metrics",
    "runs",
]
