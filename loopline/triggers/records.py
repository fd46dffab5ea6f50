"""Trigger records as frozen values: a firing, a trigger's saved state, and the agent's lease."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

STARTED = "started"
SUCCEEDED = "succeeded"
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Firing:
    """One time a trigger started (or tried to start) its pipeline, and why."""

    id: int
    trigger: str
    kind: str
    dedup_key: str
    reason: str
    pipeline: str
    params: Mapping[str, Any]
    status: str
    fired_by: str
    fired_at: datetime
    details: Mapping[str, Any] = field(default_factory=dict)
    run_id: int | None = None
    error: str | None = None
    finished_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "trigger": self.trigger, "kind": self.kind, "dedup_key": self.dedup_key,
                "reason": self.reason, "details": dict(self.details), "pipeline": self.pipeline,
                "params": dict(self.params), "status": self.status, "run_id": self.run_id, "error": self.error,
                "fired_by": self.fired_by, "fired_at": self.fired_at.isoformat(),
                "finished_at": self.finished_at.isoformat() if self.finished_at else None}


@dataclass(frozen=True, slots=True)
class TriggerState:
    """What a trigger has seen so far (``cursor``), when it last fired, and its compare-and-set revision."""

    trigger: str
    cursor: Mapping[str, Any]
    last_fired_at: datetime | None
    revision: int


@dataclass(frozen=True, slots=True)
class Lease:
    """The leader lease as one agent holds it; ``term`` fences writes made under an older lease."""

    name: str
    holder: str
    term: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Candidate:
    """What a trigger's check found: fire (``dedup_key`` set) or only move the cursor on."""

    cursor: Mapping[str, Any]
    dedup_key: str | None = None
    reason: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What the run function reports back: the run's id (if one was created), and whether it succeeded."""

    run_id: int | None
    ok: bool
    error: str | None = None


__all__ = ["FAILED", "STARTED", "SUCCEEDED", "Candidate", "Firing", "Lease", "RunOutcome", "TriggerState"]
