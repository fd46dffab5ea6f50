"""Fit one model on a frame and describe how: the ``TrainingRecord`` that travels with it.

The record holds what a later reader needs to trust or repeat the fit: the estimator and
every parameter it was built with, the target, the feature list, the rows, the training
data's hash, the seed, the code version and the package versions. With the same
estimator, data and seed, ``train`` gives the same model (same predictions, same pickled
bytes) for deterministic estimators; Python's and NumPy's global generators are seeded
too, for training functions that draw from them.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from loopline.errors import InvalidInputError
from loopline.training.columns import split_xy
from loopline.training.errors import EstimatorSpecError
from loopline.training.estimators import EstimatorSpec, estimator_parameters, fit_estimator, parse_estimator
from loopline.training.objectives import in_sample_scores
from loopline.training.provenance import code_version, frame_digest, package_versions


@dataclass(frozen=True)
class TrainingRecord:
    """How a model was trained. ``metrics`` are scores on its own training data."""

    estimator: str
    params: dict[str, Any]
    target: str
    features: tuple[str, ...]
    rows: int
    data_hash: str
    seed: int | None
    code_version: dict[str, Any] | None
    packages: dict[str, str]
    metrics: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["features"] = list(self.features)
        return record


def train(
    frame: Any,
    *,
    estimator: str | EstimatorSpec,
    target: str,
    features: Sequence[str] | None = None,
    seed: int | None = 0,
    threads: int | None = None,
) -> tuple[Any, TrainingRecord]:
    """Fit ``estimator`` on ``frame[features]`` to predict ``frame[target]``; return the model and its record.

    ``features`` empty or None: every column but the target. ``threads`` caps the native thread
    pools (OpenMP, BLAS) while fitting; None leaves the libraries' own choice (every core).
    """
    spec = parse_estimator(estimator) if isinstance(estimator, str) else estimator
    x, y, names = split_xy(frame, target, features)
    seed_globals(seed)
    with _thread_limit(threads):
        model = fit_estimator(spec, x, y, seed=seed)
        scores = _scores(model, x, y)
    if not hasattr(model, "predict"):
        raise EstimatorSpecError(
            f"{spec} returned a {type(model).__name__}, which has no predict method",
            hint="a training function must return the fitted model",
        )
    record = TrainingRecord(
        estimator=str(spec),
        params=estimator_parameters(spec, seed=seed),
        target=target,
        features=tuple(names),
        rows=len(frame),
        data_hash=frame_digest(frame[[*names, target]]),
        seed=seed,
        code_version=code_version(),
        packages=package_versions([type(model).__module__, spec.path.partition(":")[0]]),
        metrics=scores,
    )
    return model, record


def _thread_limit(threads: int | None) -> Any:
    if threads is None:
        return contextlib.nullcontext()
    if threads < 1:
        raise InvalidInputError(f"threads must be at least 1, got {threads}", hint="leave it out to use every core")
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads)


def seed_globals(seed: int | None) -> None:
    """Seed Python's and NumPy's global random generators (no-op for None)."""
    if seed is None:
        return
    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)


def _scores(model: Any, x: Any, y: Any) -> dict[str, float]:
    try:
        return in_sample_scores(model, x, y)
    except (ValueError, TypeError, AttributeError):
        return {}  # a custom model that sklearn's scorers cannot score: nothing to report


__all__ = ["TrainingRecord", "seed_globals", "train"]
