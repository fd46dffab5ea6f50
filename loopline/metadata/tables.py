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
    ForeignKeyConstraint,
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

# -- model registry, governance and audit ---------------------------------------------------

registered_models = Table(
    "registered_models",
    metadata_obj,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("description", Text, nullable=False),
    # the highest version number ever handed out: bumped in the registering transaction, so
    # a number is never given twice, even if a version row were deleted
    Column("last_version", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(255), nullable=False),
)

model_versions = Table(
    "model_versions",
    metadata_obj,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("model_id", Id, ForeignKey("registered_models.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("artifact_id", Id, ForeignKey("artifacts.id"), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("description", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(255), nullable=False),
    UniqueConstraint("model_id", "version"),
)

model_aliases = Table(
    "model_aliases",
    metadata_obj,
    Column("model_id", Id, ForeignKey("registered_models.id"), primary_key=True),
    Column("alias", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    # how many times the alias has moved: the token a move compares and sets
    Column("revision", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("updated_by", String(255), nullable=False),
    ForeignKeyConstraint(["model_id", "version"], ["model_versions.model_id", "model_versions.version"]),
)

alias_moves = Table(
    "alias_moves",
    metadata_obj,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("model_id", Id, ForeignKey("registered_models.id"), nullable=False),
    Column("alias", String(64), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("from_version", Integer),
    Column("to_version", Integer, nullable=False),
    Column("action", String(16), nullable=False),
    Column("moved_by", String(255), nullable=False),
    Column("reason", Text, nullable=False),
    Column("moved_at", UTCDateTime(), nullable=False),
    UniqueConstraint("model_id", "alias", "revision"),
)

model_approvals = Table(
    "model_approvals",
    metadata_obj,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("version_id", Id, ForeignKey("model_versions.id"), nullable=False, index=True),
    Column("alias", String(64)),  # NULL: the decision holds for every alias
    Column("decision", String(8), nullable=False),
    Column("decided_by", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("comment", Text, nullable=False),
    Column("decided_at", UTCDateTime(), nullable=False),
)

audit_events = Table(
    "audit_events",
    metadata_obj,
    Column("seq", Id, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(255), nullable=False),
    Column("action", String(64), nullable=False, index=True),
    Column("target", String(255), nullable=False, index=True),
    Column("reason", Text, nullable=False),
    # canonical JSON text, exactly the bytes the hash covers (a JSON column could re-encode numbers)
    Column("details", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False, unique=True),
    Column("hash", String(64), nullable=False),
)

audit_head = Table(
    "audit_head",
    metadata_obj,
    # one row (id 1): the newest event's seq and hash; appends lock it, so the chain never forks
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

users = Table(
    "users",
    metadata_obj,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(255), nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata_obj,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 hex; the token itself is never kept
    Column("prefix", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("expires_at", UTCDateTime()),
    Column("revoked_at", UTCDateTime()),
)

# -- prediction log -------------------------------------------------------------------------

predictions = Table(
    "predictions",
    metadata_obj,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("request_id", String(64), nullable=False),
    Column("row_index", Integer, nullable=False),  # the record's place in its request
    Column("model", String(255), nullable=False),
    Column("version", Integer, nullable=False),
    Column("served_as", String(16), nullable=False),  # primary, or the variant a rollout served it as
    Column("created_at", UTCDateTime(), nullable=False),
    Column("inputs", JsonDocument, nullable=False),  # the record after feature lookup
    Column("output", JsonDocument),
    Column("latency_ms", Float, nullable=False),
    UniqueConstraint("request_id", "row_index"),
    Index(None, "model", "created_at"),
)

prediction_feedback = Table(
    "prediction_feedback",
    metadata_obj,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("request_id", String(64), nullable=False),
    Column("row_index", Integer, nullable=False),
    Column("label", JsonDocument),  # the ground truth; a later row for the same prediction supersedes it
    Column("created_at", UTCDateTime(), nullable=False),
    ForeignKeyConstraint(["request_id", "row_index"], ["predictions.request_id", "predictions.row_index"]),
    Index(None, "request_id", "row_index"),
)

# -- deployments ----------------------------------------------------------------------------

deployments = Table(
    "deployments",
    metadata_obj,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("model", String(255), nullable=False, unique=True),  # a server serves one version per model name
    Column("alias", String(64), nullable=False),
    Column("strategy", String(16), nullable=False),
    Column("percent", Float),
    # how many times the deployment changed: the token a change compares and sets
    Column("revision", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

deployment_rollouts = Table(
    "deployment_rollouts",
    metadata_obj,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("deployment_id", Id, ForeignKey("deployments.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("baseline_version", Integer),  # the live version a canary or shadow is measured against
    Column("strategy", String(16), nullable=False),
    Column("percent", Float),
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("infra_check", JsonDocument),  # the pre-deployment check's result
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("finished_at", UTCDateTime()),
)

# -- monitoring -----------------------------------------------------------------------------

monitor_windows = Table(
    "monitor_windows",
    metadata_obj,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("monitor", String(255), nullable=False),
    Column("model", String(255), nullable=False),
    Column("window_key", String(64), nullable=False),  # the window's start, or its block of requests
    Column("window_start", UTCDateTime(), nullable=False),
    Column("window_end", UTCDateTime(), nullable=False),
    Column("first_id", BigInteger),  # the window's first and last prediction ids
    Column("last_id", BigInteger),
    Column("rows", Integer, nullable=False),
    Column("labelled", Integer, nullable=False),
    Column("complete", Integer, nullable=False),  # 1 once no later prediction can fall in the window
    Column("metrics", JsonDocument, nullable=False),  # flat name -> number (null: not enough data)
    Column("details", JsonDocument, nullable=False),  # per measure: verdict and the numbers behind it
    Column("computed_at", UTCDateTime(), nullable=False),
    UniqueConstraint("monitor", "window_key"),
    Index(None, "monitor", "window_start"),
)

alert_states = Table(
    "alert_states",
    metadata_obj,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("rule", String(255), nullable=False, unique=True),
    Column("monitor", String(255), nullable=False),
    Column("state", String(16), nullable=False),  # firing | resolved
    Column("streak", Integer, nullable=False),  # consecutive judged windows over the threshold
    Column("as_of_start", UTCDateTime()),  # the last window judged
    Column("as_of_key", String(64)),
    Column("revision", Integer, nullable=False),  # compare-and-set token
    Column("updated_at", UTCDateTime(), nullable=False),
)

alert_events = Table(
    "alert_events",
    metadata_obj,
    Column("id", Id, primary_key=True, autoincrement=True),  # consumers poll with id > their cursor
    Column("rule", String(255), nullable=False),
    Column("monitor", String(255), nullable=False),
    Column("model", String(255), nullable=False),
    Column("state", String(16), nullable=False),  # firing | resolved
    Column("window_key", String(64), nullable=False),
    Column("window_start", UTCDateTime(), nullable=False),
    Column("metric", String(255), nullable=False),
    Column("value", Float),
    Column("threshold", Float, nullable=False),
    Column("evidence", JsonDocument, nullable=False),
    Column("deliveries", JsonDocument),  # what each channel answered
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("rule", "window_key", "state"),
)

# -- triggers and the agent's lease ---------------------------------------------------------

trigger_states = Table(
    "trigger_states",
    metadata_obj,
    Column("trigger", String(255), primary_key=True),
    Column("cursor", JsonDocument, nullable=False),  # what the trigger has seen: files, a row or event id, a time
    Column("last_fired_at", UTCDateTime()),  # the cooldown counts from here
    Column("revision", Integer, nullable=False),  # compare-and-set token
    Column("updated_at", UTCDateTime(), nullable=False),
)

trigger_firings = Table(
    "trigger_firings",
    metadata_obj,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("trigger", String(255), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("dedup_key", String(255), nullable=False),  # the same firing can be recorded once only
    Column("reason", Text, nullable=False),
    Column("details", JsonDocument, nullable=False),
    Column("pipeline", String(255), nullable=False),
    Column("params", JsonDocument, nullable=False),
    Column("status", String(16), nullable=False),  # started | succeeded | failed
    Column("run_id", BigInteger),  # the pipeline run the firing started, once known
    Column("error", Text),
    Column("fired_by", String(255), nullable=False),  # the agent (lease holder) or the user
    Column("fired_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    UniqueConstraint("trigger", "dedup_key"),
    Index(None, "trigger", "fired_at"),
)

agent_leases = Table(
    "agent_leases",
    metadata_obj,
    Column("name", String(64), primary_key=True),
    Column("holder", String(255), nullable=False),
    Column("term", Integer, nullable=False),  # bumped whenever the lease changes hands: a fencing token
    Column("acquired_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

__all__ = [
    "NAMING_CONVENTION",
    "Id",
    "JsonDocument",
    "UTCDateTime",
    "agent_leases",
    "alert_events",
    "alert_states",
    "alias_moves",
    "api_tokens",
    "artifacts",
    "attributions",
    "audit_events",
    "audit_head",
    "deployment_rollouts",
    "deployments",
    "contexts",
    "events",
    "executions",
    "metadata_obj",
    "metrics",
    "model_aliases",
    "model_approvals",
    "model_versions",
    "monitor_windows",
    "prediction_feedback",
    "predictions",
    "registered_models",
    "runs",
    "trigger_firings",
    "trigger_states",
    "users",
]
