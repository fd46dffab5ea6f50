"""The model's metric over the labelled part of a window, with label coverage and a confidence interval.

Labels come from feedback and may arrive long after the prediction; a window is measured
again whenever new labels for it are stored (see ``monitor.py``). The intervals are
analytic, so a re-run gives the same numbers: a t-interval on the mean absolute error, the
same on the mean squared error with both bounds square-rooted for the RMSE (a monotone
transform keeps the coverage), and the Wilson interval for accuracy.
"""

from __future__ import annotations

import math
from typing import Any

from loopline.monitoring.frames import LABEL
from loopline.monitoring.reference import PREDICTION
from loopline.monitoring.verdicts import MEASURED, not_enough

METRICS = ("mae", "rmse", "accuracy")


def choose_metric(metric: str, task: str) -> str:
    if metric != "auto":
        return metric
    return "accuracy" if task == "classification" else "mae"


def performance(frame: Any, *, metric: str, min_labels: int, min_coverage: float,
                confidence: float) -> dict[str, Any]:
    rows = len(frame)
    pairs = [(p, y) for p, y in zip(frame[PREDICTION].tolist(), frame[LABEL].tolist(), strict=True)
             if y is not None and p is not None and not _nan(p) and not _nan(y)]
    labelled = len(pairs)
    coverage = labelled / rows if rows else 0.0
    numbers = {"metric": metric, "labelled": labelled, "coverage": coverage, "confidence": confidence}
    if labelled < min_labels:
        return not_enough(f"{labelled} labelled prediction(s); at least {min_labels} needed", **numbers)
    if coverage < min_coverage:
        return not_enough(f"labels cover {coverage:.1%} of the window; at least {min_coverage:.0%} needed",
                          **numbers)
    if metric == "accuracy":
        value, low, high = _accuracy(pairs, confidence)
    else:
        errors = _errors(pairs)
        if errors is None:
            return not_enough(f"{metric} needs numeric predictions and labels", **numbers)
        value, low, high = _mae(errors, confidence) if metric == "mae" else _rmse(errors, confidence)
        # the error relative to the label's level, comparable across windows when demand grows
        level = sum(abs(float(y)) for _, y in pairs) / labelled
        numbers["label_mean_abs"] = level
        numbers["relative"] = value / level if level > 0 else None
    return {"verdict": MEASURED, "value": value, "ci_low": low, "ci_high": high, **numbers}


def _errors(pairs: list[tuple[Any, Any]]) -> list[float] | None:
    try:
        return [float(p) - float(y) for p, y in pairs]
    except (TypeError, ValueError):
        return None


def _mae(errors: list[float], confidence: float) -> tuple[float, float, float]:
    return _mean_interval([abs(e) for e in errors], confidence)


def _rmse(errors: list[float], confidence: float) -> tuple[float, float, float]:
    mse, low, high = _mean_interval([e * e for e in errors], confidence)
    return math.sqrt(mse), math.sqrt(max(low, 0.0)), math.sqrt(high)


def _mean_interval(values: list[float], confidence: float) -> tuple[float, float, float]:
    import numpy as np
    from scipy import stats

    array = np.asarray(values, dtype=np.float64)
    mean = float(array.mean())
    if len(array) < 2 or float(array.std(ddof=1)) == 0.0:
        return mean, mean, mean
    low, high = stats.t.interval(confidence, len(array) - 1, loc=mean, scale=stats.sem(array))
    return mean, float(low), float(high)


def _accuracy(pairs: list[tuple[Any, Any]], confidence: float) -> tuple[float, float, float]:
    from scipy import stats

    hits = sum(1 for p, y in pairs if str(p) == str(y))
    interval = stats.binomtest(hits, len(pairs)).proportion_ci(confidence_level=confidence, method="wilson")
    return hits / len(pairs), float(interval.low), float(interval.high)


def _nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


__all__ = ["METRICS", "choose_metric", "performance"]
