"""The data behind an evaluation's plots: small, JSON-ready, drawn later as inline SVG.

Regression: predicted against actual (at most ``MAX_POINTS`` rows, evenly spaced, so
the same data gives the same picture) and a histogram of the residuals.
Classification: the confusion matrix and, with probabilities of a binary problem, the
calibration curve (``sklearn.calibration.calibration_curve``) and the ROC curve.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

MAX_POINTS = 400
RESIDUAL_BINS = 30
CALIBRATION_BINS = 10
MAX_CURVE_POINTS = 200


def regression_plots(actual: Any, predicted: Any) -> dict[str, Any]:
    import numpy as np

    y = np.asarray(actual, dtype="float64")
    p = np.asarray(predicted, dtype="float64")
    if len(y) == 0:
        return {}
    picked = _evenly_spaced(len(y), MAX_POINTS)
    counts, edges = np.histogram(p - y, bins=RESIDUAL_BINS)
    return {
        "predicted_vs_actual": {"actual": _floats(y[picked]), "predicted": _floats(p[picked])},
        "residuals": {"edges": _floats(edges), "counts": [int(c) for c in counts]},
    }


def classification_plots(
    actual: Any, predicted: Any, probabilities: Any = None, classes: Sequence[Any] | None = None
) -> dict[str, Any]:
    import numpy as np
    from sklearn.metrics import confusion_matrix

    y = np.asarray(actual)
    p = np.asarray(predicted)
    if len(y) == 0:
        return {}
    labels = list(classes) if classes is not None else sorted(set(y.tolist()) | set(p.tolist()))
    matrix = confusion_matrix(y, p, labels=labels)
    plots: dict[str, Any] = {
        "confusion_matrix": {"labels": [str(v) for v in labels], "matrix": matrix.astype(int).tolist()}
    }
    if probabilities is not None and len(labels) == 2:
        from sklearn.calibration import calibration_curve
        from sklearn.metrics import roc_curve

        proba = np.asarray(probabilities, dtype="float64")
        positive = proba[:, 1] if proba.ndim == 2 else proba
        is_positive = (y == labels[1]).astype(int)
        if 0 < is_positive.sum() < len(is_positive):
            true_share, mean_predicted = calibration_curve(is_positive, positive, n_bins=CALIBRATION_BINS)
            plots["calibration"] = {"predicted": _floats(mean_predicted), "observed": _floats(true_share)}
            fpr, tpr, _ = roc_curve(is_positive, positive)
            picked = _evenly_spaced(len(fpr), MAX_CURVE_POINTS)
            plots["roc"] = {"fpr": _floats(fpr[picked]), "tpr": _floats(tpr[picked])}
    return plots


def _evenly_spaced(length: int, most: int) -> Any:
    import numpy as np

    if length <= most:
        return np.arange(length)
    return np.unique(np.linspace(0, length - 1, most).round().astype(int))


def _floats(values: Any) -> list[float | None]:
    return [float(v) if math.isfinite(float(v)) else None for v in values]


__all__ = ["classification_plots", "regression_plots"]
