"""Evaluate a model on a frame: the task's metric set, overall and per slice, and plot data.

The model is anything with ``predict``: a fitted estimator, or a registry ModelPackage
(its ``predict`` applies the package's preprocessing). It sees only its feature columns:
``features`` if given, else the names it was fitted with (``feature_names_in_``, or a
package's ``info["features"]``), else every column but the target. The task is
``classification`` for a scikit-learn classifier (or a package wrapping one), else
``regression``, unless set explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from loopline.config import SliceBucket
from loopline.errors import InvalidInputError, did_you_mean
from loopline.evaluation.errors import EvaluationDataError
from loopline.evaluation.metrics import classification_metrics, regression_metrics
from loopline.evaluation.plots import classification_plots, regression_plots
from loopline.evaluation.records import Evaluation
from loopline.evaluation.slicing import parse_buckets, slice_values, sliced_metrics

TASKS = ("auto", "regression", "classification")


def evaluate(
    model: Any,
    frame: Any,
    *,
    target: str,
    features: Sequence[str] | None = None,
    task: str = "auto",
    slices: Sequence[str] = (),
    buckets: Sequence[Mapping[str, Any] | SliceBucket] = (),
    label: str = "",
) -> Evaluation:
    """Metrics of ``model`` on ``frame`` overall and for every value of each slice column."""
    import numpy as np

    if task not in TASKS:
        raise InvalidInputError(f"task must be one of {', '.join(TASKS)}, got {task!r}",
                                hint=did_you_mean(str(task), TASKS))
    if isinstance(slices, str):
        raise InvalidInputError(f"slices must be a list of column names, got the string {slices!r}")
    names = _features(model, frame, target, features)
    if len(frame) == 0:
        raise EvaluationDataError("the evaluation frame has no rows", hint="check the split that produced it")
    rows = frame.reset_index(drop=True)
    actual = rows[target].to_numpy()
    predicted = _as_array(model.predict(rows[names]))
    chosen = _task(model) if task == "auto" else task
    if chosen == "classification":
        probabilities, classes = _probabilities(model, rows[names])

        def compute(mask: Any) -> dict[str, float]:
            proba = None if probabilities is None else probabilities[mask]
            return classification_metrics(actual[mask], predicted[mask], proba, classes)

        plots = classification_plots(actual, predicted, probabilities, classes)
    else:

        def compute(mask: Any) -> dict[str, float]:
            return regression_metrics(actual[mask], predicted[mask])

        plots = regression_plots(actual, predicted)
    values = slice_values(rows, list(slices), parse_buckets(buckets))
    return Evaluation(
        task=chosen, target=target, rows=len(rows), metrics=compute(np.ones(len(rows), dtype=bool)),
        slices=sliced_metrics(values, compute), plots=plots, model=label or _describe(model),
    )


def model_features(model: Any) -> list[str] | None:
    """The feature names ``model`` was fitted with, when it says (None otherwise)."""
    info = getattr(model, "info", None)
    if isinstance(info, Mapping) and info.get("features"):
        return [str(n) for n in info["features"]]
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(n) for n in names]


def _features(model: Any, frame: Any, target: str, features: Sequence[str] | None) -> list[str]:
    columns = [str(c) for c in frame.columns]
    if target not in columns:
        hint = did_you_mean(target, columns) or f"the frame has: {', '.join(columns[:30])}"
        raise EvaluationDataError(f"the target column '{target}' is not in the evaluation frame", hint=hint)
    names = list(features) if features else model_features(model) or [c for c in columns if c != target]
    missing = [n for n in names if n not in columns]
    if missing:
        hint = did_you_mean(missing[0], columns) or f"the frame has: {', '.join(columns[:30])}"
        raise EvaluationDataError(f"the evaluation frame lacks the feature column(s) {', '.join(missing)}",
                                  hint=hint)
    return names


def _estimator(model: Any) -> Any:
    """The fitted estimator inside a package (its ``model``), or the model itself."""
    inner = getattr(model, "model", None)
    return inner if inner is not None and hasattr(inner, "predict") else model


def _task(model: Any) -> str:
    from sklearn.base import is_classifier

    return "classification" if is_classifier(_estimator(model)) else "regression"


def _probabilities(model: Any, features: Any) -> tuple[Any, list[Any] | None]:
    """Class probabilities and the classes' order, when the model gives them without extra steps."""
    estimator = _estimator(model)
    classes = getattr(estimator, "classes_", None)
    predict_proba = getattr(model, "predict_proba", None)
    if predict_proba is None and estimator is not model:  # a package: its preprocessing, then the estimator
        predict_proba = getattr(estimator, "predict_proba", None)
        features = _preprocessed(model, features)
    if predict_proba is None:
        return None, None if classes is None else list(classes)
    try:
        proba = predict_proba(features)
    except (AttributeError, NotImplementedError):  # e.g. an SVC without probability=True
        return None, None if classes is None else list(classes)
    return _as_array(proba), None if classes is None else list(classes)


def _preprocessed(package: Any, features: Any) -> Any:
    """``features`` through the package's preprocessing (a callable, or an object with ``transform``)."""
    step = getattr(package, "preprocessing", None)
    if step is None:
        return features
    transform = getattr(step, "transform", None)
    return transform(features) if transform is not None else step(features)


def _as_array(values: Any) -> Any:
    import numpy as np

    array = np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values)
    return array.ravel() if array.ndim == 2 and array.shape[1] == 1 else array


def _describe(model: Any) -> str:
    estimator = _estimator(model)
    kind = type(estimator)
    return f"{kind.__module__}.{kind.__qualname__}"


__all__ = ["TASKS", "evaluate", "model_features"]
