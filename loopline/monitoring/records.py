"""Alert records as frozen values: a rule's current state and the events (firing, resolved) it emitted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

FIRING = "firing"
RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class AlertState:
    """Where a rule stands: ``state``, the streak of windows over its threshold, the last window it judged."""

    rule: str
    monitor: str
    state: str
    streak: int
    as_of_start: datetime | None
    as_of_key: str | None
    revision: int
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One change of a rule's state, with the windows and numbers that caused it.

    A trigger subscribes to alerts by reading events with ``id`` above the last one it saw.
    """

    id: int
    rule: str
    monitor: str
    model: str
    state: str
    window_key: str
    window_start: datetime
    metric: str
    value: float | None
    threshold: float
    evidence: Mapping[str, Any]
    created_at: datetime
    deliveries: Mapping[str, Any] | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "rule": self.rule, "monitor": self.monitor, "model": self.model, "state": self.state,
                "window": self.window_key, "window_start": self.window_start.isoformat(), "metric": self.metric,
                "value": self.value, "threshold": self.threshold, "evidence": dict(self.evidence),
                "created_at": self.created_at.isoformat(),
                "deliveries": None if self.deliveries is None else dict(self.deliveries)}


__all__ = ["FIRING", "RESOLVED", "AlertEvent", "AlertState"]
