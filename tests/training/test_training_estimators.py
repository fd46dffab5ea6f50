"""Estimators from configuration text: parsing, importing, seeding, clear refusals."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from loopline.training import EstimatorSpec, EstimatorSpecError, MissingExtraError, build_estimator, parse_estimator
from loopline.training.estimators import estimator_parameters, fit_estimator


def test_a_class_path_with_literal_arguments_is_read() -> None:
    spec = parse_estimator("sklearn.linear_model.Ridge(alpha=0.5, solver='auto', tol=1e-4)")
    assert spec == EstimatorSpec("sklearn.linear_model.Ridge", {"alpha": 0.5, "solver": "auto", "tol": 1e-4})
    assert not spec.is_function
    assert parse_estimator(str(spec)) == spec


def test_a_function_path_is_a_training_function() -> None:
    spec = parse_estimator("training_helpers:fit_ridge(alpha=2)")
    assert spec.is_function and spec.arguments == {"alpha": 2}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sklearn.linear_model.Ridge(alpha=__import__('os'))", "the value of 'alpha' is not a literal"),
        ("sklearn.linear_model.Ridge(0.5)", "only keyword arguments are allowed"),
        ("sklearn.linear_model.Ridge(alpha=", "the arguments are not valid Python"),
        ("Ridge", "is not a class path"),
        ("sklearn.linear_model.Ridge(**{'alpha': 1})", "'\\*\\*' arguments are not allowed"),
        ("", "an estimator must be a class path"),
    ],
)
def test_malformed_estimators_are_refused_without_running_code(text: str, message: str) -> None:
    with pytest.raises(EstimatorSpecError, match=message):
        parse_estimator(text)


def test_unknown_names_get_suggestions() -> None:
    with pytest.raises(EstimatorSpecError, match="has no 'Ridg'") as info:
        build_estimator(parse_estimator("sklearn.linear_model.Ridg"))
    assert "did you mean 'Ridge'" in str(info.value)
    with pytest.raises(EstimatorSpecError, match="has no parameter 'alpah'") as info:
        build_estimator(parse_estimator("sklearn.linear_model.Ridge(alpah=1)"))
    assert "did you mean 'alpha'" in str(info.value)
    with pytest.raises(EstimatorSpecError, match="cannot import the module 'sklearn.linear_modle'"):
        build_estimator(parse_estimator("sklearn.linear_modle.Ridge"))


@pytest.mark.parametrize(
    ("path", "extra"), [("lightgbm.LGBMRegressor", "lightgbm"), ("xgboost.XGBRegressor", "xgboost")]
)
def test_an_estimator_from_a_missing_extra_names_the_extra(
    path: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, extra, None)  # as if the extra were not installed
    with pytest.raises(MissingExtraError, match=f"needs the '{extra}' package") as info:
        build_estimator(parse_estimator(path))
    assert info.value.hint == f"pip install 'loopline[{extra}]'"


def test_lightgbm_trains_through_the_same_path_and_a_seed_makes_it_repeatable() -> None:
    pytest.importorskip("lightgbm")
    from loopline.training import train

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(400, 3)), columns=["a", "b", "c"])
    frame["y"] = 3 * frame["a"] - frame["b"] + rng.normal(scale=0.1, size=400)
    spec = "lightgbm.LGBMRegressor(n_estimators=30, subsample=0.8, subsample_freq=1, verbose=-1)"
    first, record = train(frame, estimator=spec, target="y", seed=3)
    second, _ = train(frame, estimator=spec, target="y", seed=3)
    assert type(first).__module__.startswith("lightgbm")
    assert list(record.features) == ["a", "b", "c"]
    np.testing.assert_array_equal(first.predict(frame[["a", "b", "c"]]), second.predict(frame[["a", "b", "c"]]))
    assert np.corrcoef(first.predict(frame[["a", "b", "c"]]), frame["y"])[0, 1] > 0.9


def test_the_seed_goes_to_random_state_unless_set() -> None:
    seeded = build_estimator(parse_estimator("sklearn.ensemble.RandomForestRegressor(n_estimators=3)"), seed=7)
    assert seeded.random_state == 7
    kept = build_estimator(parse_estimator("sklearn.ensemble.RandomForestRegressor(random_state=1)"), seed=7)
    assert kept.random_state == 1
    assert not hasattr(build_estimator(parse_estimator("sklearn.linear_model.LinearRegression"), seed=7),
                       "random_state")


def test_a_training_function_gets_data_arguments_and_seed() -> None:
    x = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]})
    y = pd.Series([0.0, 2.0, 4.0, 6.0])
    model = fit_estimator(parse_estimator("training_helpers:fit_ridge(alpha=0.01)"), x, y, seed=3)
    assert model.alpha == 0.01 and model.seed_seen_ == 3


def test_recorded_parameters_are_the_full_plain_set() -> None:
    params = estimator_parameters(parse_estimator("sklearn.linear_model.Ridge(alpha=2)"), seed=0)
    assert params["alpha"] == 2 and "fit_intercept" in params
