"""Triggers: each trigger's cursor and cooldown state, its firings (unique per de-duplication key),
and the lease that makes one agent the leader.

Revision ID: 0006
Revises: 0005
Create Date: 2025-03-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from loopline.metadata.migrations.column_types import Id, Json, Stamp

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trigger_states",
        sa.Column("trigger", sa.String(255), nullable=False),
        sa.Column("cursor", Json, nullable=False),
        sa.Column("last_fired_at", Stamp(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", Stamp(), nullable=False),
        sa.PrimaryKeyConstraint("trigger", name="pk_trigger_states"),
    )
    op.create_table(
        "trigger_firings",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("trigger", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("dedup_key", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", Json, nullable=False),
        sa.Column("pipeline", sa.String(255), nullable=False),
        sa.Column("params", Json, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("fired_by", sa.String(255), nullable=False),
        sa.Column("fired_at", Stamp(), nullable=False),
        sa.Column("finished_at", Stamp(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_trigger_firings"),
        sa.UniqueConstraint("trigger", "dedup_key", name="uq_trigger_firings_trigger_dedup_key"),
    )
    op.create_index("ix_trigger_firings_trigger_fired_at", "trigger_firings", ["trigger", "fired_at"])
    op.create_table(
        "agent_leases",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(255), nullable=False),
        sa.Column("term", sa.Integer(), nullable=False),
        sa.Column("acquired_at", Stamp(), nullable=False),
        sa.Column("expires_at", Stamp(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_agent_leases"),
    )


def downgrade() -> None:
    op.drop_table("agent_leases")
    op.drop_index("ix_trigger_firings_trigger_fired_at", table_name="trigger_firings")
    op.drop_table("trigger_firings")
    op.drop_table("trigger_states")
