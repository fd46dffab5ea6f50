"""Monitoring: per-window results of each monitor, the state of each alert rule, and alert events
(firing, resolved) that notification channels and triggers read.

Revision ID: 0005
Revises: 0004
Create Date: 2025-03-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from loopline.metadata.migrations.column_types import Id, Json, Stamp

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitor_windows",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("monitor", sa.String(255), nullable=False),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("window_key", sa.String(64), nullable=False),
        sa.Column("window_start", Stamp(), nullable=False),
        sa.Column("window_end", Stamp(), nullable=False),
        sa.Column("first_id", sa.BigInteger(), nullable=True),
        sa.Column("last_id", sa.BigInteger(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("labelled", sa.Integer(), nullable=False),
        sa.Column("complete", sa.Integer(), nullable=False),
        sa.Column("metrics", Json, nullable=False),
        sa.Column("details", Json, nullable=False),
        sa.Column("computed_at", Stamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_monitor_windows"),
        sa.UniqueConstraint("monitor", "window_key", name="uq_monitor_windows_monitor_window_key"),
    )
    op.create_index("ix_monitor_windows_monitor_window_start", "monitor_windows", ["monitor", "window_start"])
    op.create_table(
        "alert_states",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("rule", sa.String(255), nullable=False),
        sa.Column("monitor", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("streak", sa.Integer(), nullable=False),
        sa.Column("as_of_start", Stamp(), nullable=True),
        sa.Column("as_of_key", sa.String(64), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", Stamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alert_states"),
        sa.UniqueConstraint("rule", name="uq_alert_states_rule"),
    )
    op.create_table(
        "alert_events",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("rule", sa.String(255), nullable=False),
        sa.Column("monitor", sa.String(255), nullable=False),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("window_key", sa.String(64), nullable=False),
        sa.Column("window_start", Stamp(), nullable=False),
        sa.Column("metric", sa.String(255), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("evidence", Json, nullable=False),
        sa.Column("deliveries", Json, nullable=True),
        sa.Column("created_at", Stamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alert_events"),
        sa.UniqueConstraint("rule", "window_key", "state", name="uq_alert_events_rule_window_key_state"),
    )


def downgrade() -> None:
    op.drop_table("alert_events")
    op.drop_table("alert_states")
    op.drop_index("ix_monitor_windows_monitor_window_start", table_name="monitor_windows")
    op.drop_table("monitor_windows")
