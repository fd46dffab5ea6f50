"""Delivery decisions from the audit log: promotions, rollbacks, holds and requests, and what a run led to.

The model page lists a model's decisions newest first, each marked automatic (continuous
delivery, the rollback guard, a deployment's rollback) or by a person, with its reason
and the run it came from. The monitoring page follows each trigger firing through the run
it started to the version that run registered and what became of it: promoted, held,
waiting for a person, and later rolled back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, or_, select

from loopline.metadata import tables

DECISION_ACTIONS = ("model.promote", "model.rollback", "delivery.hold", "delivery.request", "policy.refuse")
AUTOMATIC_PREFIXES = ("continuous delivery", "automatic rollback")
MAX_DECISIONS = 200
_RUN = re.compile(r"\brun (\d+)\b")


class Decision(BaseModel):
    at: datetime
    action: str
    alias: str | None
    from_version: int | None = None
    to_version: int | None = None
    actor: str
    automatic: bool
    run_id: int | None = None
    reason: str


class RunOutcome(BaseModel):
    run_id: int
    status: str | None
    versions: list[str]
    decisions: list[Decision]


def _decision(row: Any) -> Decision:
    details = _details(row.details)
    _, _, alias = row.target.partition("@")
    reason = row.reason or ""
    run_id = details.get("run_id")
    if run_id is None and (found := _RUN.search(reason)):
        run_id = int(found.group(1))
    automatic = (row.action.startswith("delivery.") or reason.startswith(AUTOMATIC_PREFIXES)
                 or details.get("by") == "deployment")
    version = details.get("version")
    return Decision(at=row.at, action=row.action, alias=alias or None, from_version=details.get("from"),
                    to_version=details.get("to", version), actor=row.actor, automatic=automatic,
                    run_id=int(run_id) if run_id is not None else None, reason=reason)


def model_decisions(conn: Connection, name: str, *, limit: int = MAX_DECISIONS) -> list[Decision]:
    """The model's delivery decisions, newest first."""
    au = tables.audit_events
    target = or_(au.c.target == f"model:{name}", au.c.target.startswith(f"model:{name}@", autoescape=True))
    query = (select(au).where(au.c.action.in_(DECISION_ACTIONS), target).order_by(au.c.seq.desc()).limit(limit))
    return [_decision(row) for row in conn.execute(query)]


def run_outcomes(conn: Connection, run_ids: Iterable[int]) -> dict[int, RunOutcome]:
    """Per run: its status, the model versions it registered and the delivery decisions that name it."""
    runs = sorted({int(r) for r in run_ids})
    if not runs:
        return {}
    r, e, ev, mv, rm = tables.runs, tables.executions, tables.events, tables.model_versions, tables.registered_models
    au = tables.audit_events
    statuses = dict(conn.execute(select(r.c.id, r.c.status).where(r.c.id.in_(runs))).all())
    registered = conn.execute(
        select(e.c.run_id, rm.c.name, mv.c.version).join(ev, ev.c.execution_id == e.c.id)
        .join(mv, mv.c.artifact_id == ev.c.artifact_id).join(rm, rm.c.id == mv.c.model_id)
        .where(e.c.run_id.in_(runs), ev.c.kind == "output").distinct()).all()
    since = conn.execute(select(r.c.started_at).where(r.c.id == runs[0])).scalar()
    query = select(au).where(au.c.action.in_(DECISION_ACTIONS)).order_by(au.c.seq).limit(5000)
    if since is not None:
        query = query.where(au.c.at >= since)
    decisions = [_decision(row) for row in conn.execute(query)]
    outcomes = {run: RunOutcome(run_id=run, status=_plain_status(statuses.get(run)), versions=[], decisions=[])
                for run in runs}
    for run, name, version in registered:
        outcomes[run].versions.append(f"{name}/{version}")
    by_version = {v: run for run, outcome in outcomes.items() for v in outcome.versions}
    for decision in decisions:
        if decision.run_id in outcomes:
            outcomes[decision.run_id].decisions.append(decision)
        elif decision.action == "model.rollback" and decision.from_version is not None:
            for ref, run in by_version.items():
                if ref.endswith(f"/{decision.from_version}"):
                    outcomes[run].decisions.append(decision)
    return outcomes


def _details(text: Any) -> dict[str, Any]:
    if isinstance(text, dict):
        return text
    try:
        found = json.loads(text or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _plain_status(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


__all__ = ["Decision", "RunOutcome", "model_decisions", "run_outcomes"]
