"""Deployments: which alias each model's server follows, with which strategy, and every rollout
(live, canary, shadow, refused, aborted) with its pre-deployment check.

Revision ID: 0004
Revises: 0003
Create Date: 2025-02-17
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from loopline.metadata.migrations.column_types import Id, Json, Stamp

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deployments",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("alias", sa.String(64), nullable=False),
        sa.Column("strategy", sa.String(16), nullable=False),
        sa.Column("percent", sa.Float(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", Stamp(), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("updated_at", Stamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deployments"),
        sa.UniqueConstraint("model", name="uq_deployments_model"),
    )
    op.create_table(
        "deployment_rollouts",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("deployment_id", Id, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("baseline_version", sa.Integer(), nullable=True),
        sa.Column("strategy", sa.String(16), nullable=False),
        sa.Column("percent", sa.Float(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("infra_check", Json, nullable=True),
        sa.Column("created_at", Stamp(), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("finished_at", Stamp(), nullable=True),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployments.id"],
                                name="fk_deployment_rollouts_deployment_id_deployments"),
        sa.PrimaryKeyConstraint("id", name="pk_deployment_rollouts"),
    )
    op.create_index("ix_deployment_rollouts_deployment_id", "deployment_rollouts", ["deployment_id"])


def downgrade() -> None:
    op.drop_table("deployment_rollouts")
    op.drop_table("deployments")
