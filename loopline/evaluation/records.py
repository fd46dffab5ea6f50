"""The values evaluation produces: an ``Evaluation`` and a ``Blessing``, and how they are stored.

Both are plain frozen values with ``to_dict``/``from_dict``. A step that returns one
stores it as a JSON artifact of type ``Evaluation`` or ``Blessing``; the record's
properties carry the headline so that a reader (the registry's policy check, a model
card, a list of runs) needs no download: an Evaluation's ``metrics``, a Blessing's
``blessed``, ``candidate`` (the candidate Model artifact id) and ``baseline``. Read back
from the store, the artifact is a dict: ``Evaluation.from_dict`` / ``Blessing.from_dict``
rebuild the value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from loopline.artifacts.formats import FORMATS, Encoded
from loopline.errors import InvalidInputError
from loopline.metadata.records import ArtifactType
from loopline.pipelines.artifact_types import ARTIFACT_TYPES


@dataclass(frozen=True)
class SliceMetrics:
    """Metrics on the rows where ``column`` equals ``value``."""

    column: str
    value: str
    rows: int
    metrics: dict[str, float]


@dataclass(frozen=True)
class Evaluation:
    """A model's metrics on one frame, overall and per slice, with the data behind its plots."""

    task: str  # "regression" | "classification"
    target: str
    rows: int
    metrics: dict[str, float]
    slices: tuple[SliceMetrics, ...] = ()
    plots: dict[str, Any] = field(default_factory=dict)
    model: str = ""  # what was evaluated, in words
    model_artifact_id: int | None = None  # the evaluated model's artifact, when a run knew it

    def slice_columns(self) -> list[str]:
        return list(dict.fromkeys(s.column for s in self.slices))

    def slice(self, column: str, value: str) -> SliceMetrics | None:
        return next((s for s in self.slices if s.column == column and s.value == value), None)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["slices"] = [asdict(s) for s in self.slices]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evaluation:
        slices = tuple(SliceMetrics(**s) for s in data.get("slices", ()))
        return cls(
            task=data["task"], target=data["target"], rows=int(data["rows"]), metrics=dict(data["metrics"]),
            slices=slices, plots=dict(data.get("plots", {})), model=data.get("model", ""),
            model_artifact_id=data.get("model_artifact_id"),
        )


@dataclass(frozen=True)
class RuleCheck:
    """One rule applied: its verdict (``passed`` None: not applicable, e.g. no baseline) and the numbers.

    ``kind``: ``absolute`` (``value`` against ``limit``), ``change`` (the relative worsening
    of ``value`` against ``baseline``, at most ``limit``) or ``slice_change`` (the same per
    slice; ``details`` lists every slice compared, worst first).
    """

    rule: str
    kind: str
    metric: str
    limit: float
    passed: bool | None
    value: float | None = None
    baseline: float | None = None
    change: float | None = None
    note: str = ""
    details: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Blessing:
    """The verdict on a candidate model: blessed when every applicable rule passed."""

    blessed: bool
    candidate: int | None  # the candidate Model artifact's id
    checks: tuple[RuleCheck, ...]
    candidate_metrics: dict[str, float]
    baseline: int | None = None  # the baseline Model artifact's id, None when there was none
    baseline_ref: str | None = None  # e.g. "bikes/3 (production)"
    summary: str = ""

    @property
    def failed(self) -> list[RuleCheck]:
        return [c for c in self.checks if c.passed is False]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["checks"] = [{**asdict(c), "details": list(c.details)} for c in self.checks]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Blessing:
        checks = tuple(RuleCheck(**{**c, "details": tuple(c.get("details", ()))}) for c in data["checks"])
        return cls(
            blessed=bool(data["blessed"]), candidate=data.get("candidate"), checks=checks,
            candidate_metrics=dict(data.get("candidate_metrics", {})), baseline=data.get("baseline"),
            baseline_ref=data.get("baseline_ref"), summary=data.get("summary", ""),
        )


def as_evaluation(value: Evaluation | Mapping[str, Any]) -> Evaluation:
    """``value`` itself, or the Evaluation a stored one (a dict) describes."""
    return value if isinstance(value, Evaluation) else Evaluation.from_dict(value)


def as_blessing(value: Blessing | Mapping[str, Any]) -> Blessing:
    """``value`` itself, or the Blessing a stored one (a dict) describes."""
    return value if isinstance(value, Blessing) else Blessing.from_dict(value)


def _json_bytes(data: dict[str, Any], what: str) -> bytes:
    try:
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"the {what} holds a value JSON cannot store: {exc}") from None
    return text.encode("utf-8")


def _encode_evaluation(value: Evaluation) -> Encoded:
    properties = {"python_type": "loopline.evaluation.Evaluation", "task": value.task, "rows": value.rows,
                  "metrics": dict(value.metrics), "slice_columns": value.slice_columns(),
                  "model_artifact_id": value.model_artifact_id}
    return Encoded(_json_bytes(value.to_dict(), "evaluation"), None, "json", properties)


def _encode_blessing(value: Blessing) -> Encoded:
    properties = {
        "python_type": "loopline.evaluation.Blessing",
        "blessed": value.blessed,
        "candidate": value.candidate,
        "baseline": value.baseline,
        "baseline_ref": value.baseline_ref,
        "rules": len(value.checks),
        "failed": [c.rule for c in value.failed],
    }
    return Encoded(_json_bytes(value.to_dict(), "blessing"), None, "json", properties)


FORMATS.register_encoder(Evaluation, _encode_evaluation)
FORMATS.register_encoder(Blessing, _encode_blessing)
ARTIFACT_TYPES.register(Evaluation, ArtifactType.EVALUATION.value)
ARTIFACT_TYPES.register(Blessing, ArtifactType.BLESSING.value)

__all__ = ["Blessing", "Evaluation", "RuleCheck", "SliceMetrics", "as_blessing", "as_evaluation"]
