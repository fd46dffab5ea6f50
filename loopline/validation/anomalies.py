"""Anomalies and validation results: frozen values with stable codes, serialisable to JSON.

Validation reports what it found; the caller decides what to do about it (a pipeline may
stop on any ERROR, a monitor may only log WARNINGs). ``passed`` is True when there is no
ERROR.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "ERROR"
    WARNING = "WARNING"


class AnomalyCode(StrEnum):
    """Stable anomaly codes: new ones may be added, existing ones keep their meaning."""

    MISSING_COLUMN = "MISSING_COLUMN"
    UNEXPECTED_COLUMN = "UNEXPECTED_COLUMN"
    TYPE_MISMATCH = "TYPE_MISMATCH"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    UNEXPECTED_CATEGORY = "UNEXPECTED_CATEGORY"
    TOO_MANY_MISSING = "TOO_MANY_MISSING"
    DUPLICATE_KEYS = "DUPLICATE_KEYS"
    EMPTY_DATASET = "EMPTY_DATASET"
    NAN_OR_INF = "NAN_OR_INF"
    ALL_NULL = "ALL_NULL"
    CONSTANT_COLUMN = "CONSTANT_COLUMN"
    MIXED_TYPES = "MIXED_TYPES"
    DUPLICATE_ROWS = "DUPLICATE_ROWS"
    CONFLICTING_LABELS = "CONFLICTING_LABELS"
    TARGET_LEAKAGE = "TARGET_LEAKAGE"
    STUCK_VALUES = "STUCK_VALUES"


#: The severity each code gets unless a check decides otherwise.
DEFAULT_SEVERITY: dict[AnomalyCode, Severity] = {
    AnomalyCode.MISSING_COLUMN: Severity.ERROR,
    AnomalyCode.UNEXPECTED_COLUMN: Severity.WARNING,
    AnomalyCode.TYPE_MISMATCH: Severity.ERROR,
    AnomalyCode.OUT_OF_RANGE: Severity.ERROR,
    AnomalyCode.UNEXPECTED_CATEGORY: Severity.ERROR,
    AnomalyCode.TOO_MANY_MISSING: Severity.ERROR,
    AnomalyCode.DUPLICATE_KEYS: Severity.ERROR,
    AnomalyCode.EMPTY_DATASET: Severity.ERROR,
    AnomalyCode.NAN_OR_INF: Severity.ERROR,
    AnomalyCode.ALL_NULL: Severity.WARNING,
    AnomalyCode.CONSTANT_COLUMN: Severity.WARNING,
    AnomalyCode.MIXED_TYPES: Severity.ERROR,
    AnomalyCode.DUPLICATE_ROWS: Severity.WARNING,
    AnomalyCode.CONFLICTING_LABELS: Severity.WARNING,
    AnomalyCode.TARGET_LEAKAGE: Severity.WARNING,
    AnomalyCode.STUCK_VALUES: Severity.WARNING,
}

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Anomaly:
    """One problem found: what was expected, what was observed, a few examples, and a sentence."""

    code: AnomalyCode
    column: str | None
    severity: Severity
    expected: Any
    observed: Any
    examples: tuple[Any, ...]
    message: str

    @classmethod
    def of(
        cls, code: AnomalyCode, column: str | None, message: str, *, expected: Any = None, observed: Any = None,
        examples: Iterable[Any] = (), severity: Severity | None = None,
    ) -> Anomaly:
        """An anomaly with the code's default severity and at most ``MAX_EXAMPLES`` examples."""
        return cls(
            code=code, column=column, severity=severity or DEFAULT_SEVERITY[code], expected=expected,
            observed=observed, examples=tuple(list(examples)[:MAX_EXAMPLES]), message=message,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code.value, "column": self.column, "severity": self.severity.value,
            "expected": self.expected, "observed": self.observed, "examples": list(self.examples),
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Anomaly:
        return cls(
            code=AnomalyCode(data["code"]), column=data.get("column"), severity=Severity(data["severity"]),
            expected=data.get("expected"), observed=data.get("observed"),
            examples=tuple(data.get("examples", ())), message=str(data.get("message", "")),
        )


@dataclass(frozen=True)
class ValidationResult:
    """Every anomaly found; ``passed`` is False when any of them is an ERROR."""

    anomalies: tuple[Anomaly, ...]
    passed: bool

    @classmethod
    def from_anomalies(cls, anomalies: Iterable[Anomaly]) -> ValidationResult:
        found = tuple(anomalies)
        return cls(anomalies=found, passed=not any(a.severity == Severity.ERROR for a in found))

    @property
    def errors(self) -> tuple[Anomaly, ...]:
        return tuple(a for a in self.anomalies if a.severity == Severity.ERROR)

    @property
    def warnings(self) -> tuple[Anomaly, ...]:
        return tuple(a for a in self.anomalies if a.severity == Severity.WARNING)

    def codes(self) -> set[AnomalyCode]:
        return {a.code for a in self.anomalies}

    def for_column(self, column: str) -> tuple[Anomaly, ...]:
        return tuple(a for a in self.anomalies if a.column == column)

    def with_anomalies(self, more: Iterable[Anomaly]) -> ValidationResult:
        return ValidationResult.from_anomalies(self.anomalies + tuple(more))

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "anomalies": [a.to_dict() for a in self.anomalies]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ValidationResult:
        return cls(anomalies=tuple(Anomaly.from_dict(a) for a in data.get("anomalies", ())),
                   passed=bool(data["passed"]))


__all__ = ["DEFAULT_SEVERITY", "MAX_EXAMPLES", "Anomaly", "AnomalyCode", "Severity", "ValidationResult"]
