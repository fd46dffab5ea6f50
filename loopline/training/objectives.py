"""What a tuning study optimises, and the in-sample scores a training step logs.

An objective is a metric name (``rmse``, ``r2``, ``accuracy``, ``roc_auc`` ...) backed by
scikit-learn's scorer of that metric. Scorers are "greater is better", so a loss comes
negated (``neg_root_mean_squared_error``); here every value is the metric itself (an
RMSE is positive) with the direction a study needs to optimise it.
"""

from __future__ import annotations

from typing import Any, Literal

from loopline.errors import did_you_mean
from loopline.training.errors import SearchSpaceError

Direction = Literal["minimize", "maximize"]

# metric name: (scikit-learn scorer, direction)
OBJECTIVES: dict[str, tuple[str, Direction]] = {
    "rmse": ("neg_root_mean_squared_error", "minimize"),
    "mse": ("neg_mean_squared_error", "minimize"),
    "mae": ("neg_mean_absolute_error", "minimize"),
    "median_ae": ("neg_median_absolute_error", "minimize"),
    "mape": ("neg_mean_absolute_percentage_error", "minimize"),
    "r2": ("r2", "maximize"),
    "explained_variance": ("explained_variance", "maximize"),
    "accuracy": ("accuracy", "maximize"),
    "balanced_accuracy": ("balanced_accuracy", "maximize"),
    "f1": ("f1", "maximize"),
    "f1_macro": ("f1_macro", "maximize"),
    "precision": ("precision", "maximize"),
    "recall": ("recall", "maximize"),
    "roc_auc": ("roc_auc", "maximize"),
    "log_loss": ("neg_log_loss", "minimize"),
}
REGRESSION_SCORES = ("rmse", "mae", "r2")
CLASSIFICATION_SCORES = ("accuracy",)


def direction_of(objective: str) -> Direction:
    """``minimize`` or ``maximize``; an unknown objective is a SearchSpaceError listing the known ones."""
    return _lookup(objective)[1]


def score(objective: str, model: Any, features: Any, target: Any) -> float:
    """The value of metric ``objective`` for ``model`` on ``(features, target)``."""
    from sklearn.metrics import get_scorer

    scorer_name, _ = _lookup(objective)
    value = float(get_scorer(scorer_name)(model, features, target))
    return -value if scorer_name.startswith("neg_") else value


def in_sample_scores(model: Any, features: Any, target: Any) -> dict[str, float]:
    """A few scores of ``model`` on its own training data (``train_rmse``, ``train_accuracy``...)."""
    from sklearn.base import is_classifier

    names = CLASSIFICATION_SCORES if is_classifier(model) else REGRESSION_SCORES
    return {f"train_{name}": score(name, model, features, target) for name in names}


def _lookup(objective: str) -> tuple[str, Direction]:
    found = OBJECTIVES.get(objective)
    if found is None:
        hint = did_you_mean(str(objective), OBJECTIVES) or f"known objectives: {', '.join(OBJECTIVES)}"
        raise SearchSpaceError(f"unknown objective {objective!r}", hint=hint)
    return found


__all__ = ["OBJECTIVES", "Direction", "direction_of", "in_sample_scores", "score"]
