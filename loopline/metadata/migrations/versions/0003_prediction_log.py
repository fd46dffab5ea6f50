"""Prediction log: every served prediction (inputs after feature lookup, output, latency) and the
ground truth posted back for it.

Revision ID: 0003
Revises: 0002
Create Date: 2025-02-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from loopline.metadata.migrations.column_types import Id, Json, Stamp

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "predictions",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("served_as", sa.String(16), nullable=False),
        sa.Column("created_at", Stamp(), nullable=False),
        sa.Column("inputs", Json, nullable=False),
        sa.Column("output", Json, nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_predictions"),
        sa.UniqueConstraint("request_id", "row_index", name="uq_predictions_request_id_row_index"),
    )
    op.create_index("ix_predictions_model_created_at", "predictions", ["model", "created_at"])
    op.create_table(
        "prediction_feedback",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("label", Json, nullable=True),
        sa.Column("created_at", Stamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_prediction_feedback"),
        sa.ForeignKeyConstraint(
            ["request_id", "row_index"],
            ["predictions.request_id", "predictions.row_index"],
            name="fk_prediction_feedback_request_id_predictions",
        ),
    )
    op.create_index(
        "ix_prediction_feedback_request_id_row_index", "prediction_feedback", ["request_id", "row_index"]
    )


def downgrade() -> None:
    op.drop_table("prediction_feedback")
    op.drop_table("predictions")
