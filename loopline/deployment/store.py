"""SQL for deployments and their rollouts: read, create, change by compare-and-set, append rollouts.

A deployment row carries ``revision``, the number of times it changed. Every change names
the revision its caller saw and applies only if that is still the revision, so two
servers (or a server and a person) reacting to the same alias move at once record one
rollout, not two: the loser gets ConflictError and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from loopline.errors import ConflictError, NotFoundError, did_you_mean
from loopline.metadata import tables
from loopline.deployment.records import Deployment, DeploymentState, Rollout

MAX_ROLLOUTS = 200


def find_deployment(conn: Connection, model: str) -> Deployment | None:
    d = tables.deployments
    row = conn.execute(select(d).where(d.c.model == model)).first()
    return None if row is None else _deployment(row)


def load_deployment(conn: Connection, model: str) -> Deployment:
    found = find_deployment(conn, model)
    if found is None:
        names = list(conn.execute(select(tables.deployments.c.model)).scalars())
        raise NotFoundError(f"model '{model}' has no deployment",
                            hint=did_you_mean(model, names) or f"create one with 'loopline deploy {model}@production'")
    return found


def list_deployments(conn: Connection) -> list[Deployment]:
    d = tables.deployments
    return [_deployment(row) for row in conn.execute(select(d).order_by(d.c.model))]


def load_state(conn: Connection, model: str, *, limit: int = MAX_ROLLOUTS) -> DeploymentState:
    deployment = load_deployment(conn, model)
    r = tables.deployment_rollouts
    rows = conn.execute(select(r).where(r.c.deployment_id == deployment.id).order_by(r.c.id.desc()).limit(limit))
    return DeploymentState(deployment, [_rollout(row) for row in rows])


def create_deployment(conn: Connection, model: str, alias: str, strategy: str, percent: float | None, *,
                      actor: str) -> Deployment:
    now = datetime.now(UTC)
    conn.execute(insert(tables.deployments).values(
        model=model, alias=alias, strategy=strategy, percent=percent, revision=1, created_at=now, created_by=actor,
        updated_at=now,
    ))
    return load_deployment(conn, model)


def change_deployment(conn: Connection, seen: Deployment, **values: Any) -> Deployment:
    """Bump the revision (and set ``values``) if the deployment is still at the revision ``seen``."""
    d = tables.deployments
    changed = conn.execute(update(d).where(d.c.id == seen.id, d.c.revision == seen.revision).values(
        revision=seen.revision + 1, updated_at=datetime.now(UTC), **values)).rowcount
    if changed != 1:
        raise ConflictError(
            f"the deployment of '{seen.model}' changed while this change was being made; nothing was changed",
            hint=f"another server or user acted first; look with 'loopline deployments show {seen.model}'",
        )
    return load_deployment(conn, seen.model)


def add_rollout(conn: Connection, deployment: Deployment, *, version: int, status: str, strategy: str, actor: str,
                reason: str, baseline: int | None = None, percent: float | None = None,
                infra_check: Mapping[str, Any] | None = None, finished: bool = False) -> None:
    now = datetime.now(UTC)
    conn.execute(insert(tables.deployment_rollouts).values(
        deployment_id=deployment.id, version=version, baseline_version=baseline, strategy=strategy, percent=percent,
        status=status, reason=reason, infra_check=dict(infra_check) if infra_check is not None else None,
        created_at=now, created_by=actor, finished_at=now if finished else None,
    ))


def finish_rollout(conn: Connection, rollout: Rollout, status: str) -> None:
    r = tables.deployment_rollouts
    conn.execute(update(r).where(r.c.id == rollout.id).values(status=status, finished_at=datetime.now(UTC)))


def _deployment(row: Any) -> Deployment:
    return Deployment(row.id, row.model, row.alias, row.strategy, row.percent, row.revision, row.created_at,
                      row.created_by, row.updated_at)


def _rollout(row: Any) -> Rollout:
    return Rollout(row.id, row.version, row.baseline_version, row.strategy, row.percent, row.status, row.reason,
                   row.infra_check, row.created_at, row.created_by, row.finished_at)


__all__ = ["add_rollout", "change_deployment", "create_deployment", "find_deployment", "finish_rollout",
           "list_deployments", "load_deployment", "load_state"]
