"""Exact per-row predictions for common fitted scikit-learn models, computed from their fitted attributes.

On one row, scikit-learn spends most of a ``predict`` call checking its input (dtypes,
finiteness, feature names, parameters) and, for histogram gradient boosting, calling
each tree through its own parallel region. The prediction server checks every record
against the signature before it gets here, so a *row kernel* skips straight to the
arithmetic: the same operations, on the same dtypes and shapes, in the same order as the
estimator's own ``predict``, so the answers are identical (``Predictor.compile`` checks
that on the package's sample input, and the tests on whole datasets).

``compile_kernel(model)`` returns a function of one row (a list of floats, every value
finite, in the model's column order) to one plain prediction, or None for a model it
does not know; such a model keeps scikit-learn's own ``predict``. Known: ``Pipeline`` of
``StandardScaler`` steps ending in ``LogisticRegression`` or a linear regressor
(``LinearRegression``, ``Ridge``, ``Lasso``, ``ElasticNet``), and
``HistGradientBoostingRegressor`` without categorical features.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

RowKernel = Callable[[Sequence[float]], Any]
_MAX_TREE_DEPTH = 60  # deeper trees become deeply nested code; such models keep scikit-learn's predict


def compile_kernel(model: Any) -> RowKernel | None:
    """The row kernel for ``model``, or None when it is not one of the known estimators."""
    transforms: list[Callable[[np.ndarray], np.ndarray]] = []
    final = model
    if type(model).__name__ == "Pipeline" and type(model).__module__.startswith("sklearn."):
        steps = [step for _, step in model.steps if step is not None and step != "passthrough"]
        if not steps:
            return None
        for step in steps[:-1]:
            transform = _scaler(step)
            if transform is None:
                return None
            transforms.append(transform)
        final = steps[-1]
    kind = type(final)
    if not kind.__module__.startswith("sklearn."):
        return None
    if kind.__name__ == "LogisticRegression":
        head = _linear_classifier(final)
    elif kind.__name__ in ("LinearRegression", "Ridge", "Lasso", "ElasticNet"):
        head = _linear_regressor(final)
    elif kind.__name__ == "HistGradientBoostingRegressor" and not transforms:
        return _boosted_trees(final)
    else:
        return None
    if head is None:
        return None
    return _chain(transforms, head)


def _chain(transforms: list[Callable[[np.ndarray], np.ndarray]], head: Callable[[np.ndarray], Any]) -> RowKernel:
    def kernel(row: Sequence[float]) -> Any:
        x = np.array([row], dtype=np.float64)
        for transform in transforms:
            x = transform(x)
        return head(x)

    return kernel


def _scaler(step: Any) -> Callable[[np.ndarray], np.ndarray] | None:
    if type(step).__name__ != "StandardScaler" or not type(step).__module__.startswith("sklearn."):
        return None
    mean = step.mean_ if step.with_mean else None
    scale = step.scale_ if step.with_std else None
    if (mean is not None and mean.dtype != np.float64) or (scale is not None and scale.dtype != np.float64):
        return None

    def transform(x: np.ndarray) -> np.ndarray:  # StandardScaler.transform: X -= mean_; X /= scale_ (in place)
        if mean is not None:
            x -= mean
        if scale is not None:
            x /= scale
        return x

    return transform


def _linear_classifier(model: Any) -> Callable[[np.ndarray], Any] | None:
    coef, intercept, classes = model.coef_, model.intercept_, model.classes_
    if coef.ndim != 2 or coef.dtype != np.float64:
        return None
    coef_t = coef.T
    labels = classes.tolist()
    if coef.shape[0] == 1:  # binary: classes_[scores > 0]

        def binary(x: np.ndarray) -> Any:
            scores = x @ coef_t + intercept
            return labels[1] if scores[0, 0] > 0 else labels[0]

        return binary

    def multiclass(x: np.ndarray) -> Any:
        scores = x @ coef_t + intercept
        return labels[int(np.argmax(scores, axis=1)[0])]

    return multiclass


def _linear_regressor(model: Any) -> Callable[[np.ndarray], Any] | None:
    coef, intercept = model.coef_, model.intercept_
    if coef.dtype != np.float64:
        return None
    weights = coef if coef.ndim == 1 else coef.T  # LinearModel._decision_function: X @ coef_(.T) + intercept_

    def regress(x: np.ndarray) -> Any:
        return (x @ weights + intercept)[0].tolist()

    return regress


def _boosted_trees(model: Any) -> RowKernel | None:
    """Every tree as nested comparisons in one generated function: the leaves' values summed in tree order."""
    if getattr(model, "n_trees_per_iteration_", None) != 1 or getattr(model, "_preprocessor", None) is not None:
        return None
    if getattr(model, "is_categorical_", None) is not None and bool(np.any(model.is_categorical_)):
        return None
    baseline = np.asarray(model._baseline_prediction, dtype=np.float64).ravel()
    if baseline.shape != (1,):
        return None
    width = int(model.n_features_in_)
    lines = [f"def predict_row({', '.join(f'x{i}' for i in range(width))}):",
             f"    s = 0.0 + {float(baseline[0])!r}"]
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        if bool(np.any(nodes["is_categorical"])) or int(nodes["depth"].max()) > _MAX_TREE_DEPTH:
            return None
        _tree_lines(nodes, 0, 1, lines)
    lines.append("    return s")
    namespace: dict[str, Any] = {"inf": float("inf")}  # repr() of an infinite threshold
    exec(compile("\n".join(lines), f"<row kernel of {type(model).__name__}>", "exec"), namespace)  # noqa: S102
    predict_row = namespace["predict_row"]
    inverse = model._loss.link.inverse
    identity = type(model._loss.link).__name__ == "IdentityLink"

    def kernel(row: Sequence[float]) -> Any:
        raw = predict_row(*[float(v) for v in row])  # compared as float64, as scikit-learn compares them
        return raw if identity else inverse(np.array([raw]))[0].item()

    return kernel


def _tree_lines(nodes: np.ndarray, index: int, depth: int, lines: list[str]) -> None:
    """A node as code: a leaf adds its value, a split compares (finite inputs only: no missing-value branch)."""
    pad = "    " * depth
    node = nodes[index]
    if node["is_leaf"]:
        lines.append(f"{pad}s += {float(node['value'])!r}")
        return
    lines.append(f"{pad}if x{int(node['feature_idx'])} <= {float(node['num_threshold'])!r}:")
    _tree_lines(nodes, int(node["left"]), depth + 1, lines)
    lines.append(f"{pad}else:")
    _tree_lines(nodes, int(node["right"]), depth + 1, lines)


__all__ = ["RowKernel", "compile_kernel"]
