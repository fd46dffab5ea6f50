"""Metric sets for regression and classification, computed with scikit-learn.

Every value is a finite float: a metric that is undefined on the rows given (R² of one
row, ROC AUC with one class present) is left out rather than stored as NaN. Each metric
has a direction, so a comparison with a baseline knows what "worse" means.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal

from loopline.errors import did_you_mean
from loopline.evaluation.errors import UnknownMetricError

Better = Literal["lower", "higher"]

DIRECTIONS: dict[str, Better] = {
    "mae": "lower",
    "mse": "lower",
    "rmse": "lower",
    "mape": "lower",
    "median_ae": "lower",
    "max_error": "lower",
    "abs_bias": "lower",
    "r2": "higher",
    "explained_variance": "higher",
    "accuracy": "higher",
    "balanced_accuracy": "higher",
    "precision": "higher",
    "recall": "higher",
    "f1": "higher",
    "roc_auc": "higher",
    "log_loss": "lower",
    "brier": "lower",
}
# Each task's metrics, the headline ones first (the order reports show them in).
REGRESSION = ("rmse", "mae", "r2", "mape", "mse", "median_ae", "max_error", "abs_bias", "explained_variance")
CLASSIFICATION = ("accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier")


def better(metric: str) -> Better:
    """``lower`` or ``higher``: which way metric ``metric`` improves."""
    found = DIRECTIONS.get(metric)
    if found is None:
        hint = did_you_mean(metric, DIRECTIONS) or f"known metrics: {', '.join(DIRECTIONS)}"
        raise UnknownMetricError(f"unknown metric {metric!r}", hint=hint)
    return found


def regression_metrics(actual: Any, predicted: Any) -> dict[str, float]:
    """MAE, RMSE, MSE, R², MAPE (over rows with a non-zero target), median and max error, |bias|."""
    import numpy as np
    from sklearn import metrics as m

    y = np.asarray(actual, dtype="float64")
    p = np.asarray(predicted, dtype="float64")
    if len(y) == 0:
        return {}
    nonzero = y != 0
    computed: dict[str, Callable[[], float]] = {
        "mae": lambda: m.mean_absolute_error(y, p),
        "mse": lambda: m.mean_squared_error(y, p),
        "rmse": lambda: m.root_mean_squared_error(y, p),
        "r2": lambda: m.r2_score(y, p),
        "mape": lambda: float(np.mean(np.abs((y[nonzero] - p[nonzero]) / y[nonzero]))) if nonzero.any() else math.nan,
        "median_ae": lambda: m.median_absolute_error(y, p),
        "max_error": lambda: m.max_error(y, p),
        "abs_bias": lambda: abs(float(np.mean(p - y))),
        "explained_variance": lambda: m.explained_variance_score(y, p),
    }
    return _finite(computed)


def classification_metrics(
    actual: Any, predicted: Any, probabilities: Any = None, classes: Sequence[Any] | None = None
) -> dict[str, float]:
    """Accuracy, balanced accuracy, precision/recall/F1 (binary: of the second class; else macro),
    and with probabilities ROC AUC, log loss and (binary) the Brier score."""
    import numpy as np
    from sklearn import metrics as m

    y = np.asarray(actual)
    p = np.asarray(predicted)
    if len(y) == 0:
        return {}
    labels = list(classes) if classes is not None else sorted(set(y.tolist()) | set(p.tolist()))
    binary = len(labels) == 2
    average = "binary" if binary else "macro"
    options: dict[str, Any] = {"pos_label": labels[1]} if binary else {"labels": labels}
    computed: dict[str, Callable[[], float]] = {
        "accuracy": lambda: m.accuracy_score(y, p),
        "balanced_accuracy": lambda: m.balanced_accuracy_score(y, p),
        "precision": lambda: m.precision_score(y, p, average=average, zero_division=0, **options),
        "recall": lambda: m.recall_score(y, p, average=average, zero_division=0, **options),
        "f1": lambda: m.f1_score(y, p, average=average, zero_division=0, **options),
    }
    if probabilities is not None:
        proba = np.asarray(probabilities, dtype="float64")
        if binary:
            positive = proba[:, 1] if proba.ndim == 2 else proba
            is_positive = (y == labels[1]).astype(int)
            computed["roc_auc"] = lambda: m.roc_auc_score(is_positive, positive)
            computed["brier"] = lambda: m.brier_score_loss(is_positive, positive)
        else:
            computed["roc_auc"] = lambda: m.roc_auc_score(y, proba, multi_class="ovr", labels=labels)
        computed["log_loss"] = lambda: m.log_loss(y, proba, labels=labels)
    return _finite(computed)


def _finite(computed: dict[str, Callable[[], float]]) -> dict[str, float]:
    """Each metric's value, leaving out those undefined here (NaN, or refused by scikit-learn)."""
    values: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "R^2 score is not well-defined with less than two samples" and kin
        for name, compute in computed.items():
            try:
                value = float(compute())
            except ValueError:
                continue
            if math.isfinite(value):
                values[name] = value
    return values


__all__ = ["CLASSIFICATION", "DIRECTIONS", "REGRESSION", "better", "classification_metrics", "regression_metrics"]
