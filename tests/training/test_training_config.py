"""[training] and [evaluation] in loopline.toml: validated, and handed to the steps as parameters."""

from __future__ import annotations

import pytest

from loopline.config import settings_from_mapping
from loopline.errors import ConfigError


def _settings(raw: dict):  # type: ignore[no-untyped-def]
    return settings_from_mapping(raw, source="loopline.toml", environ={})


def test_sections_become_bare_parameters_and_parameters_win() -> None:
    settings = _settings({
        "training": {"target": "cnt", "seed": 3, "estimator": "sklearn.linear_model.Ridge",
                     "tuning": {"n_trials": 5, "search_space": [{"name": "alpha", "low": 0.1, "high": 1.0}]}},
        "evaluation": {"slices": ["season"], "rules": [{"metric": "rmse", "max": 120}]},
        "parameters": {"seed": 1, "train": {"seed": 2}},
    })
    params = settings.parameters
    assert params["target"] == "cnt" and params["estimator"] == "sklearn.linear_model.Ridge"
    assert params["seed"] == 1  # [parameters] wins over [training]
    assert params["train"] == {"seed": 2}
    assert params["n_trials"] == 5
    assert params["search_space"] == [{"name": "alpha", "low": 0.1, "high": 1.0, "log": False}]
    assert params["slices"] == ["season"] and params["rules"] == [{"metric": "rmse", "max": 120.0}]
    assert "timeout_s" not in params and "task" not in params  # only what the file sets


def test_no_sections_no_parameters() -> None:
    assert _settings({}).parameters == {}


def test_environment_overrides_reach_the_parameters() -> None:
    settings = settings_from_mapping({}, source="loopline.toml", environ={"LOOPLINE_TRAINING_SEED": "9"})
    assert settings.parameters == {"seed": 9}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"evaluation": {"rules": [{"metric": "rmse"}]}}, "rule on 'rmse' sets no limit"),
        ({"evaluation": {"rules": [{"metric": "rmse", "max_worsening": -0.1}]}}, "greater than or equal to 0"),
        ({"evaluation": {"buckets": [{"name": "h", "column": "hr", "edges": [6, 0]}]}}, "edges must increase"),
        ({"evaluation": {"buckets": [{"name": "h", "column": "hr", "edges": [0, 6, 24], "labels": ["a"]}]}},
         "2 intervals need as many labels"),
        ({"training": {"estmator": "x"}}, "unknown key 'training.estmator' \\(did you mean 'estimator'\\?\\)"),
        ({"training": {"tuning": {"n_trials": 0}}}, "training.tuning.n_trials"),
        ({"evaluation": {"task": "ranking"}}, "evaluation.task"),
    ],
)
def test_bad_sections_are_refused_with_the_key_named(raw: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _settings(raw)
