"""A window's results as a frozen value: the measures with their verdicts and numbers, and the flat
series of numbers alert rules read (``drift.share``, ``performance.value``, ``operations.error_rate``...).

A number is None when its measure said "not enough data": alert rules skip such windows,
so an empty window never raises (or resolves) an alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loopline.monitoring.performance import METRICS

SERIES = (
    "rows", "labelled",
    "drift.share", "drift.drifted", "drift.dataset_drift",
    "prediction_drift.statistic", "prediction_drift.p_value", "prediction_drift.drift",
    "skew.columns_skewed", "skew.max_distance",
    "quality.missing_max", "quality.out_of_domain_max", "quality.new_categories",
    "performance.value", "performance.coverage", "performance.ci_low", "performance.ci_high", "performance.relative",
    *(f"performance.{m}" for m in METRICS),
    "operations.error_rate", "operations.latency_p50_ms", "operations.latency_p95_ms", "operations.latency_p99_ms",
)
"""Every name an alert rule may watch."""


@dataclass(frozen=True)
class WindowResult:
    """One monitor's results for one window; ``details`` holds every measure's verdict and numbers."""

    monitor: str
    model: str
    key: str
    start: datetime
    end: datetime
    rows: int
    labelled: int
    complete: bool
    versions: Mapping[str, int]
    details: Mapping[str, Any]
    metrics: Mapping[str, float | None] = field(default_factory=dict)
    first_id: int | None = None
    last_id: int | None = None
    computed_at: datetime | None = None

    def verdicts(self) -> dict[str, str]:
        return {name: section["verdict"] for name, section in self.details.items()
                if isinstance(section, Mapping) and "verdict" in section}

    def to_dict(self) -> dict[str, Any]:
        return {
            "monitor": self.monitor, "model": self.model, "window": self.key, "start": self.start.isoformat(),
            "end": self.end.isoformat(), "rows": self.rows, "labelled": self.labelled, "complete": self.complete,
            "versions": dict(self.versions), "verdicts": self.verdicts(), "metrics": dict(self.metrics),
            "details": dict(self.details), "first_id": self.first_id, "last_id": self.last_id,
            "computed_at": self.computed_at.isoformat() if self.computed_at else None,
        }


def flat_metrics(rows: int, labelled: int, details: Mapping[str, Mapping[str, Any]]) -> dict[str, float | None]:
    """The numbers behind each verdict as one flat series (None where there was not enough data)."""
    drift, prediction = details["drift"], details["prediction_drift"]
    skewed, quality = details["skew"], details["quality"]
    performance, operations = details["performance"], details["operations"]
    found: dict[str, float | None] = {
        "rows": float(rows), "labelled": float(labelled),
        "drift.share": drift.get("share"),
        "drift.drifted": _count(drift.get("drifted")),
        "drift.dataset_drift": _flag(drift, "drift"),
        "prediction_drift.statistic": prediction.get("statistic"),
        "prediction_drift.p_value": prediction.get("p_value"),
        "prediction_drift.drift": _flag(prediction, "drift"),
        "skew.columns_skewed": skewed.get("columns_skewed"),
        "skew.max_distance": skewed.get("max_distance"),
        "quality.missing_max": quality.get("missing_max"),
        "quality.out_of_domain_max": quality.get("out_of_domain_max"),
        "quality.new_categories": quality.get("new_categories"),
        "performance.value": performance.get("value"),
        "performance.coverage": performance.get("coverage"),
        "performance.ci_low": performance.get("ci_low"),
        "performance.ci_high": performance.get("ci_high"),
        "performance.relative": performance.get("relative"),
        "operations.error_rate": operations.get("error_rate"),
    }
    for metric in METRICS:
        found[f"performance.{metric}"] = performance.get("value") if performance.get("metric") == metric else None
    for p in (50, 95, 99):
        found[f"operations.latency_p{p}_ms"] = operations.get(f"latency_p{p}_ms")
    return {k: None if v is None else float(v) for k, v in found.items()}


def _flag(section: Mapping[str, Any], positive: str) -> float | None:
    verdict = section.get("verdict")
    if verdict is None or verdict == "not enough data":
        return None
    return 1.0 if verdict == positive else 0.0


def _count(items: Any) -> float | None:
    return None if items is None else float(len(items))


__all__ = ["SERIES", "WindowResult", "flat_metrics"]
