"""A monitor as configured: which model, how its log is cut into windows, and the limits of its measures.

``[monitors.NAME]`` sections of ``loopline.toml`` define monitors; a model with none gets a
default monitor named after it (daily windows, default limits), so ``loopline monitor run
MODEL`` works on a fresh workspace.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from loopline.config import MonitorSection
from loopline.monitoring.windows import WindowSpec


@dataclass(frozen=True)
class MonitorDefinition:
    name: str
    model: str
    window: WindowSpec
    features: tuple[str, ...] | None = None
    drift_features: tuple[str, ...] | None = None
    min_rows: int = 30
    min_labels: int = 30
    min_label_coverage: float = 0.5
    metric: str = "auto"
    confidence: float = 0.95
    drift_share: float = 0.5

    @classmethod
    def from_section(cls, name: str, section: MonitorSection) -> MonitorDefinition:
        return cls(
            name=name, model=section.model, window=WindowSpec(section.window, section.window_requests),
            features=tuple(section.features) if section.features else None,
            drift_features=tuple(section.drift_features) if section.drift_features else None,
            min_rows=section.min_rows,
            min_labels=section.min_labels, min_label_coverage=section.min_label_coverage, metric=section.metric,
            confidence=section.confidence, drift_share=section.drift_share,
        )


def monitors_for(model: str, sections: Mapping[str, MonitorSection]) -> list[MonitorDefinition]:
    """The monitors of ``model``: those configured for it, else one default monitor named after it."""
    found = [MonitorDefinition.from_section(name, s) for name, s in sorted(sections.items()) if s.model == model]
    return found or [MonitorDefinition.from_section(model, MonitorSection(model=model))]


def monitor_named(name: str, sections: Mapping[str, MonitorSection]) -> MonitorDefinition:
    """The monitor ``name``: a configured one, else the default monitor of the model called ``name``."""
    if name in sections:
        return MonitorDefinition.from_section(name, sections[name])
    return MonitorDefinition.from_section(name, MonitorSection(model=name))


__all__ = ["MonitorDefinition", "monitor_named", "monitors_for"]
