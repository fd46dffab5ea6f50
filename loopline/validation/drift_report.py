"""Drift results as frozen values: one ColumnDrift per column, the row count change, the dataset verdict."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from loopline.validation.anomalies import Anomaly


class Verdict(StrEnum):
    DRIFT = "drift"
    NO_DRIFT = "no drift"
    NOT_ENOUGH_DATA = "not enough data"


@dataclass(frozen=True)
class Distribution:
    """Shares per bin or category on each side, for charts; ``edges`` are set for numeric bins."""

    labels: tuple[str, ...]
    reference: tuple[float, ...]
    current: tuple[float, ...]
    edges: tuple[float, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"labels": list(self.labels), "reference": list(self.reference), "current": list(self.current),
                "edges": None if self.edges is None else list(self.edges)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Distribution:
        edges = data.get("edges")
        return cls(labels=tuple(data["labels"]), reference=tuple(data["reference"]), current=tuple(data["current"]),
                   edges=None if edges is None else tuple(edges))


@dataclass(frozen=True)
class ColumnDrift:
    """The comparison of one column: the measure used, its value, the threshold and the verdict.

    ``approximate`` is True when the value was computed from histograms or pooled counts
    rather than from raw values. ``reason`` explains a NOT_ENOUGH_DATA verdict.
    """

    column: str
    kind: str
    measure: str | None
    measure_title: str | None
    statistic: float | None
    p_value: float | None
    threshold: float | None
    verdict: Verdict
    reference_count: int
    current_count: int
    approximate: bool = False
    reason: str | None = None
    distribution: Distribution | None = None

    @property
    def drifted(self) -> bool:
        return self.verdict == Verdict.DRIFT

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column, "kind": self.kind, "measure": self.measure, "measure_title": self.measure_title,
            "statistic": self.statistic, "p_value": self.p_value, "threshold": self.threshold,
            "verdict": self.verdict.value, "reference_count": self.reference_count,
            "current_count": self.current_count, "approximate": self.approximate, "reason": self.reason,
            "distribution": None if self.distribution is None else self.distribution.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnDrift:
        distribution = data.get("distribution")
        return cls(
            column=str(data["column"]), kind=str(data["kind"]), measure=data.get("measure"),
            measure_title=data.get("measure_title"), statistic=data.get("statistic"), p_value=data.get("p_value"),
            threshold=data.get("threshold"), verdict=Verdict(data["verdict"]),
            reference_count=int(data["reference_count"]), current_count=int(data["current_count"]),
            approximate=bool(data.get("approximate", False)), reason=data.get("reason"),
            distribution=None if distribution is None else Distribution.from_dict(distribution),
        )


@dataclass(frozen=True)
class RowCountChange:
    reference: int
    current: int

    @property
    def relative_change(self) -> float | None:
        """(current - reference) / reference; None for an empty reference."""
        return (self.current - self.reference) / self.reference if self.reference else None


@dataclass(frozen=True)
class DriftReport:
    """Per-column drift, the change in row count, and dataset drift (share of drifted columns >= share_threshold).

    ``anomalies`` holds schema anomalies when the report compares training and serving data.
    """

    columns: tuple[ColumnDrift, ...]
    rows: RowCountChange
    drift_share: float
    dataset_drift: bool
    share_threshold: float
    anomalies: tuple[Anomaly, ...] = ()

    @property
    def drifted_columns(self) -> tuple[str, ...]:
        return tuple(c.column for c in self.columns if c.drifted)

    def column(self, name: str) -> ColumnDrift:
        for col in self.columns:
            if col.column == name:
                return col
        from loopline.errors import NotFoundError, did_you_mean

        names = [c.column for c in self.columns]
        raise NotFoundError(f"the drift report has no column '{name}'",
                            hint=did_you_mean(name, names) or f"it has: {', '.join(names)}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "loopline.drift", "version": 1,
            "rows": {"reference": self.rows.reference, "current": self.rows.current,
                     "relative_change": self.rows.relative_change},
            "drift_share": self.drift_share, "dataset_drift": self.dataset_drift,
            "share_threshold": self.share_threshold, "drifted_columns": list(self.drifted_columns),
            "columns": [c.to_dict() for c in self.columns], "anomalies": [a.to_dict() for a in self.anomalies],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DriftReport:
        rows = data["rows"]
        return cls(
            columns=tuple(ColumnDrift.from_dict(c) for c in data["columns"]),
            rows=RowCountChange(reference=int(rows["reference"]), current=int(rows["current"])),
            drift_share=float(data["drift_share"]), dataset_drift=bool(data["dataset_drift"]),
            share_threshold=float(data["share_threshold"]),
            anomalies=tuple(Anomaly.from_dict(a) for a in data.get("anomalies", ())),
        )


__all__ = ["ColumnDrift", "Distribution", "DriftReport", "RowCountChange", "Verdict"]

# Validation results (this report among them) are stored as JSON artifacts. Registered here because every
# import of the validation package passes through this module; see artifact_formats.
from loopline.validation import artifact_formats as _artifact_formats  # noqa: E402,F401
