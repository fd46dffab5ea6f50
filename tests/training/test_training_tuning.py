"""Tuning with Optuna: budget, timeout, failed trials, parallel processes, each trial recorded."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from training_helpers import FEATURES, TARGET

from loopline.training import SearchSpaceError, TuningFailedError, tune
from loopline.training.trial_records import MetadataTrialRecorder

pytest.importorskip("optuna")

RIDGE_SPACE = [{"name": "alpha", "low": 0.01, "high": 100.0, "log": True}]


def test_the_budget_is_spent_and_the_best_trial_is_refitted_on_every_row(bikes_train: pd.DataFrame) -> None:
    model, result, record = tune(
        bikes_train, estimator="sklearn.linear_model.Ridge", search_space=RIDGE_SPACE, target=TARGET,
        features=FEATURES, objective="rmse", n_trials=6, seed=3,
    )
    assert len(result.trials) == 6 and result.stopped_by == "budget"
    assert [t.number for t in result.trials] == list(range(6))
    values = [t.value for t in result.trials]
    assert result.best_value == min(values)
    assert result.best_params == result.trials[values.index(min(values))].params
    assert model.alpha == result.best_params["alpha"]
    assert record.rows == len(bikes_train) and record.params["alpha"] == result.best_params["alpha"]
    assert result.to_dict()["trials"][0]["state"] == "complete"


def test_a_score_objective_is_maximised(bikes_train: pd.DataFrame) -> None:
    _, result, _ = tune(bikes_train, estimator="sklearn.linear_model.Ridge", search_space=RIDGE_SPACE,
                        target=TARGET, features=FEATURES, objective="r2", n_trials=4, seed=0)
    assert result.direction == "maximize"
    assert result.best_value == max(t.value for t in result.trials)


def test_the_same_seed_proposes_the_same_trials(bikes_train: pd.DataFrame) -> None:
    runs = [
        tune(bikes_train, estimator="sklearn.linear_model.Ridge", search_space=RIDGE_SPACE, target=TARGET,
             features=FEATURES, n_trials=4, seed=5)[1]
        for _ in range(2)
    ]
    assert [t.params for t in runs[0].trials] == [t.params for t in runs[1].trials]


def test_no_trial_starts_after_the_timeout(bikes_train: pd.DataFrame) -> None:
    _, result, _ = tune(
        bikes_train, estimator="training_helpers:slow_ridge(seconds=0.3)", search_space=RIDGE_SPACE, target=TARGET,
        features=FEATURES, n_trials=50, timeout_s=0.5, seed=0,
    )
    assert result.stopped_by == "timeout"
    assert 1 <= len(result.trials) <= 3


def test_failed_trials_are_kept_and_the_search_goes_on(bikes_train: pd.DataFrame) -> None:
    space = [{"name": "alpha", "low": 0.1, "high": 10.0}]
    _, result, _ = tune(bikes_train, estimator="training_helpers:fragile_ridge", search_space=space, target=TARGET,
                        features=FEATURES, n_trials=12, seed=1)
    failed = [t for t in result.trials if t.state == "failed"]
    assert failed and all("too large" in (t.error or "") and t.value is None for t in failed)
    assert result.best_params["alpha"] <= 5


def test_when_every_trial_fails_tuning_says_why(bikes_train: pd.DataFrame) -> None:
    space = [{"name": "alpha", "low": 6.0, "high": 10.0}]
    with pytest.raises(TuningFailedError, match="none of the 3 trials .* produced a score.*too large"):
        tune(bikes_train, estimator="training_helpers:fragile_ridge", search_space=space, target=TARGET,
             features=FEATURES, n_trials=3)


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ([{"name": "alpah", "low": 0.1, "high": 1.0}], "tunes 'alpah', which sklearn.linear_model.Ridge does not take"),
        ([{"name": "alpha", "low": 1.0}], "give choices = \\[...\\], or low and high"),
        ([{"name": "alpha", "low": 0.0, "high": 1.0, "log": True}], "a log scale needs low > 0"),
        ([], "a non-empty list of dimensions"),
        ([{"name": "alpha", "low": 1, "high": 2}, {"name": "alpha", "choices": [1]}], "names alpha more than once"),
    ],
)
def test_bad_search_spaces_are_refused(bikes_train: pd.DataFrame, space: list, message: str) -> None:
    with pytest.raises(SearchSpaceError, match=message):
        tune(bikes_train, estimator="sklearn.linear_model.Ridge", search_space=space, target=TARGET,
             features=FEATURES, n_trials=2)


def test_an_unknown_objective_gets_a_suggestion(bikes_train: pd.DataFrame) -> None:
    with pytest.raises(SearchSpaceError, match="unknown objective 'rmsе'|unknown objective 'rsme'") as info:
        tune(bikes_train, estimator="sklearn.linear_model.Ridge", search_space=RIDGE_SPACE, target=TARGET,
             objective="rsme", n_trials=2)
    assert "did you mean 'rmse'" in str(info.value)


def test_int_and_categorical_dimensions(bikes_train: pd.DataFrame) -> None:
    space = [{"name": "max_depth", "low": 2, "high": 6}, {"name": "criterion", "choices": ["squared_error", "poisson"]}]
    model, result, _ = tune(bikes_train, estimator="sklearn.tree.DecisionTreeRegressor", search_space=space,
                            target=TARGET, features=FEATURES, n_trials=4, seed=0)
    assert all(isinstance(t.params["max_depth"], int) for t in result.trials)
    assert model.max_depth == result.best_params["max_depth"]


def test_trials_run_side_by_side_in_worker_processes(bikes_train: pd.DataFrame, tmp_path: Path) -> None:
    _, result, _ = tune(
        bikes_train, estimator=f"training_helpers:slow_ridge(seconds=30, folder={str(tmp_path)!r})",
        search_space=RIDGE_SPACE, target=TARGET, features=FEATURES, n_trials=4, n_jobs=2, seed=0,
    )
    assert [t.state for t in result.trials] == ["complete"] * 4
    notes = [json.loads(p.read_text()) for p in tmp_path.glob("*.json")]
    notes = [n for n in notes if n["pid"] != os.getpid()]  # the refit of the best trial runs here
    assert len(notes) == 4 and len({n["pid"] for n in notes}) == 2
    notes.sort(key=lambda n: n["start"])
    assert notes[1]["start"] < notes[0]["end"], "the first two trials did not overlap"


def test_each_trial_is_an_execution_of_the_run(bikes_train: pd.DataFrame, stores) -> None:  # type: ignore[no-untyped-def]
    metadata, _ = stores
    run = metadata.runs.start("tuning", params={})
    tuner = metadata.executions.start(run.id, "tune", cache_key=None, params={})
    recorder = MetadataTrialRecorder(metadata, run.id, "tune", objective="rmse")
    space = [{"name": "alpha", "low": 0.1, "high": 10.0}]
    _, result, _ = tune(bikes_train, estimator="training_helpers:fragile_ridge", search_space=space, target=TARGET,
                        features=FEATURES, n_trials=8, seed=1, recorder=recorder)
    executions = {e.step: e for e in metadata.runs.executions(run.id) if e.id != tuner.id}
    assert sorted(executions) == sorted(f"tune/trial-{n}" for n in range(8))
    for trial in result.trials:
        execution = executions[f"tune/trial-{trial.number}"]
        assert execution.id == trial.execution_id
        assert execution.state.value == "complete"
        assert execution.params["alpha"] == trial.params["alpha"] and execution.params["trial"] == trial.number
        assert execution.params["trial_state"] == trial.state
        history = metadata.tracking.metric_history(execution.id, "rmse")
        assert [p.value for p in history] == ([trial.value] if trial.value is not None else [])
        if trial.state == "failed":
            assert "too large" in (execution.logs or "")
