"""Lineage store: contexts, runs, executions, artifacts, events, attributions, metrics.

Revision ID: 0001
Revises:
Create Date: 2025-01-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from loopline.metadata.migrations.column_types import Id, Json, Stamp

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contexts",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("properties", Json, nullable=False),
        sa.Column("created_at", Stamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contexts"),
        sa.UniqueConstraint("kind", "name", name="uq_contexts_kind_name"),
    )
    op.create_table(
        "runs",
        sa.Column("id", Id, autoincrement=False, nullable=False),
        sa.Column("pipeline_id", Id, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("params", Json, nullable=False),
        sa.Column("started_at", Stamp(), nullable=False),
        sa.Column("ended_at", Stamp(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.ForeignKeyConstraint(["id"], ["contexts.id"], name="fk_runs_id_contexts"),
        sa.ForeignKeyConstraint(["pipeline_id"], ["contexts.id"], name="fk_runs_pipeline_id_contexts"),
    )
    op.create_index("ix_runs_pipeline_id", "runs", ["pipeline_id"])
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_table(
        "executions",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("run_id", Id, nullable=False),
        sa.Column("step", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("cache_key", sa.String(255), nullable=True),
        sa.Column("params", Json, nullable=False),
        sa.Column("started_at", Stamp(), nullable=True),
        sa.Column("ended_at", Stamp(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("traceback", sa.Text(), nullable=True),
        sa.Column("logs", sa.Text(), nullable=True),
        sa.Column("cached_from", Id, nullable=True),
        sa.Column("input_count", sa.Integer(), nullable=True),
        sa.Column("output_count", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_executions"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_executions_run_id_runs"),
        sa.ForeignKeyConstraint(["cached_from"], ["executions.id"], name="fk_executions_cached_from_executions"),
    )
    op.create_index("ix_executions_run_id", "executions", ["run_id"])
    op.create_index("ix_executions_cache_key_state", "executions", ["cache_key", "state"])
    op.create_index("ix_executions_state", "executions", ["state"])
    op.create_table(
        "artifacts",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("type", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("uri", sa.String(1024), nullable=False),
        sa.Column("digest", sa.String(128), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("format", sa.String(64), nullable=False),
        sa.Column("properties", Json, nullable=False),
        sa.Column("created_at", Stamp(), nullable=False),
        sa.Column("producer_execution_id", Id, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_artifacts"),
        sa.ForeignKeyConstraint(
            ["producer_execution_id"], ["executions.id"], name="fk_artifacts_producer_execution_id_executions"
        ),
    )
    op.create_index("ix_artifacts_type", "artifacts", ["type"])
    op.create_index("ix_artifacts_name", "artifacts", ["name"])
    op.create_index("ix_artifacts_digest", "artifacts", ["digest"])
    op.create_index("ix_artifacts_producer_execution_id", "artifacts", ["producer_execution_id"])
    op.create_table(
        "events",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("execution_id", Id, nullable=False),
        sa.Column("artifact_id", Id, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.ForeignKeyConstraint(["execution_id"], ["executions.id"], name="fk_events_execution_id_executions"),
        sa.ForeignKeyConstraint(["artifact_id"], ["artifacts.id"], name="fk_events_artifact_id_artifacts"),
        sa.UniqueConstraint("execution_id", "kind", "name", name="uq_events_execution_id_kind_name"),
    )
    op.create_index("ix_events_artifact_id", "events", ["artifact_id"])
    op.create_table(
        "attributions",
        sa.Column("context_id", Id, nullable=False),
        sa.Column("artifact_id", Id, nullable=False),
        sa.PrimaryKeyConstraint("context_id", "artifact_id", name="pk_attributions"),
        sa.ForeignKeyConstraint(["context_id"], ["contexts.id"], name="fk_attributions_context_id_contexts"),
        sa.ForeignKeyConstraint(["artifact_id"], ["artifacts.id"], name="fk_attributions_artifact_id_artifacts"),
    )
    op.create_index("ix_attributions_artifact_id", "attributions", ["artifact_id"])
    op.create_table(
        "metrics",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("execution_id", Id, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("timestamp_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_metrics"),
        sa.ForeignKeyConstraint(["execution_id"], ["executions.id"], name="fk_metrics_execution_id_executions"),
    )
    op.create_index("ix_metrics_execution_id_key_step", "metrics", ["execution_id", "key", "step"])


def downgrade() -> None:
    for table in ("metrics", "attributions", "events", "artifacts", "executions", "runs", "contexts"):
        op.drop_table(table)
