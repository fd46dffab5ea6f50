"""Deployment records: a deployment (a model's followed alias and strategy), its rollouts, and the plan
a server applies (which version answers, which one is tried beside it, and how)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

REPLACE, CANARY, SHADOW = "replace", "canary", "shadow"
STRATEGIES = (REPLACE, CANARY, SHADOW)

LIVE, PROMOTED, ABORTED, REFUSED = "live", "promoted", "aborted", "refused"
TRIALS = (CANARY, SHADOW)
"""Rollout statuses of a version on trial beside the live one (the strategy's own name)."""


@dataclass(frozen=True, slots=True)
class Deployment:
    """A model served by following ``alias``; a new version behind it rolls out by ``strategy``."""

    id: int
    model: str
    alias: str
    strategy: str
    percent: float | None
    revision: int
    created_at: datetime
    created_by: str
    updated_at: datetime

    @property
    def ref(self) -> str:
        return f"{self.model}@{self.alias}"


@dataclass(frozen=True, slots=True)
class Rollout:
    """One version's way to production: live, on trial (canary, shadow), promoted, aborted or refused."""

    id: int
    version: int
    baseline_version: int | None
    strategy: str
    percent: float | None
    status: str
    reason: str
    infra_check: dict[str, Any] | None
    created_at: datetime
    created_by: str
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class RoutingPlan:
    """What a server should serve for one model: ``primary`` answers; ``candidate`` is on trial as ``mode``
    (``canary``: ``percent`` of requests; ``shadow``: a copy of every request, never returned)."""

    model: str
    primary: int
    candidate: int | None = None
    mode: str | None = None
    percent: float = 0.0

    @property
    def versions(self) -> tuple[int, ...]:
        return (self.primary,) if self.candidate is None else (self.primary, self.candidate)


@dataclass(frozen=True)
class DeploymentState:
    """A deployment with its rollouts (newest first) and the plan they give."""

    deployment: Deployment
    rollouts: list[Rollout] = field(default_factory=list)

    @property
    def live(self) -> Rollout | None:
        return next((r for r in self.rollouts if r.status == LIVE), None)

    @property
    def trial(self) -> Rollout | None:
        """The canary or shadow in progress: a trial rollout newer than the live one."""
        for rollout in self.rollouts:
            if rollout.status in TRIALS:
                return rollout
            if rollout.status == LIVE:
                return None
        return None

    @property
    def latest(self) -> Rollout | None:
        return self.rollouts[0] if self.rollouts else None

    def plan(self) -> RoutingPlan | None:
        live = self.live
        if live is None:
            return None
        trial = self.trial
        if trial is None:
            return RoutingPlan(self.deployment.model, live.version)
        return RoutingPlan(self.deployment.model, live.version, trial.version, trial.status,
                           float(trial.percent or 0.0) if trial.status == CANARY else 0.0)


__all__ = [
    "ABORTED",
    "CANARY",
    "LIVE",
    "PROMOTED",
    "REFUSED",
    "REPLACE",
    "SHADOW",
    "STRATEGIES",
    "TRIALS",
    "Deployment",
    "DeploymentState",
    "Rollout",
    "RoutingPlan",
]
