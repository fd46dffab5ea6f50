"""Which columns of a training frame a model learns from, and which it predicts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from loopline.errors import did_you_mean
from loopline.training.errors import TrainingDataError


def feature_list(frame: Any, target: str, features: Sequence[str] | None) -> list[str]:
    """``features`` checked against ``frame``; when empty, every column but the target.

    The result never holds the target: a model that sees its own label learns nothing useful.
    """
    if isinstance(features, str):
        raise TrainingDataError(f"features must be a list of column names, got the string {features!r}")
    columns = [str(c) for c in frame.columns]
    if target not in columns:
        hint = did_you_mean(target, columns) or f"the frame has: {', '.join(columns[:30])}"
        raise TrainingDataError(f"the target column '{target}' is not in the training frame", hint=hint)
    chosen = list(features) if features else [c for c in columns if c != target]
    missing = [name for name in chosen if name not in columns]
    if missing:
        hint = did_you_mean(missing[0], columns) or f"the frame has: {', '.join(columns[:30])}"
        raise TrainingDataError(f"the training frame lacks the feature column(s) {', '.join(missing)}", hint=hint)
    if target in chosen:
        raise TrainingDataError(
            f"the target '{target}' is also listed as a feature", hint="remove it from features"
        )
    if len(set(chosen)) != len(chosen):
        raise TrainingDataError(f"features lists a column twice: {chosen}")
    return chosen


def split_xy(frame: Any, target: str, features: Sequence[str] | None) -> tuple[Any, Any, list[str]]:
    """``(X, y, features)`` of ``frame``; a frame without rows is refused."""
    names = feature_list(frame, target, features)
    if len(frame) == 0:
        raise TrainingDataError("the training frame has no rows", hint="check the split that produced it")
    return frame[names], frame[target], names


@dataclass(frozen=True)
class FeatureColumns:
    """A package's preprocessing: the model's features, in the order it was fitted with.

    A fitted scikit-learn model refuses a frame with other columns, or the same ones in
    another order; a package wearing this accepts any frame that holds its inputs.
    """

    features: tuple[str, ...]

    def transform(self, frame: Any) -> Any:
        return frame[list(self.features)]


__all__ = ["FeatureColumns", "feature_list", "split_xy"]
