"""Tuning trials as Ray tasks on a real local Ray instance (slow: Ray takes seconds to start)."""

from __future__ import annotations

import pandas as pd
import pytest
from training_helpers import FEATURES, TARGET

from loopline.training import tune

ray = pytest.importorskip("ray")
pytest.importorskip("optuna")
pytestmark = [pytest.mark.ray, pytest.mark.slow]  # Ray starts in about 20 s here


def test_trials_run_as_ray_tasks(bikes_train: pd.DataFrame) -> None:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        model, result, _ = tune(
            bikes_train, estimator="sklearn.linear_model.Ridge", target=TARGET, features=FEATURES,
            search_space=[{"name": "alpha", "low": 0.01, "high": 100.0, "log": True}], n_trials=4, n_jobs=2,
            backend="ray", seed=0,
        )
    finally:
        ray.shutdown()
    assert result.backend == "ray" and [t.state for t in result.trials] == ["complete"] * 4
    assert model.alpha == result.best_params["alpha"]
