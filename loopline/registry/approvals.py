"""SQL for approvals: record an approver's decision on a version, and read the decisions back.

Decisions are appended, never changed: an approver who changes their mind records a new
decision, and the newest decision of each approver is the one that counts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from loopline.metadata import tables
from loopline.registry.records import Approval, ModelVersion

APPROVED = "approved"
REJECTED = "rejected"


def record_decision(conn: Connection, version: ModelVersion, *, alias: str | None, decision: str, user: str,
                    role: str, comment: str) -> Approval:
    now = datetime.now(UTC)
    conn.execute(insert(tables.model_approvals).values(
        version_id=version.id, alias=alias, decision=decision, decided_by=user, role=role, comment=comment,
        decided_at=now,
    ))
    return Approval(version.name, version.version, alias, decision, user, role, comment, now)


def decisions(conn: Connection, version: ModelVersion) -> list[Approval]:
    """Every decision on the version, oldest first."""
    a = tables.model_approvals
    rows = conn.execute(select(a).where(a.c.version_id == version.id).order_by(a.c.id))
    return [_from_row(row, version) for row in rows]


def current_decisions(all_decisions: list[Approval], alias: str) -> dict[str, Approval]:
    """The newest decision of each approver that applies to ``alias`` (its own, or one for every alias)."""
    latest: dict[str, Approval] = {}
    for decision in all_decisions:
        if decision.alias in (None, alias):
            latest[decision.decided_by] = decision
    return latest


def _from_row(row: Any, version: ModelVersion) -> Approval:
    return Approval(version.name, version.version, row.alias, row.decision, row.decided_by, row.role, row.comment,
                    row.decided_at)


__all__ = ["APPROVED", "REJECTED", "current_decisions", "decisions", "record_decision"]
