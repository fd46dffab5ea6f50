"""Metric sets, slices and plot data of an evaluation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from evaluation_helpers import FEATURES, HOUR_BUCKETS, TARGET

from loopline.config import SliceBucket
from loopline.evaluation import (
    DIRECTIONS,
    EvaluationDataError,
    UnknownMetricError,
    classification_metrics,
    evaluate,
    regression_metrics,
)
from loopline.evaluation.metrics import better
from loopline.evaluation.slicing import MISSING, slice_values


def test_regression_metrics_match_their_definitions() -> None:
    actual = np.array([10.0, 20.0, 0.0, 40.0])
    predicted = np.array([12.0, 18.0, 1.0, 30.0])
    errors = predicted - actual
    metrics = regression_metrics(actual, predicted)
    assert metrics["mae"] == pytest.approx(np.mean(np.abs(errors)))
    assert metrics["rmse"] == pytest.approx(math.sqrt(np.mean(errors**2)))
    assert metrics["r2"] == pytest.approx(1 - np.sum(errors**2) / np.sum((actual - actual.mean()) ** 2))
    assert metrics["mape"] == pytest.approx(np.mean([2 / 10, 2 / 20, 10 / 40]))  # the zero target is left out
    assert metrics["max_error"] == 10 and metrics["abs_bias"] == pytest.approx(abs(errors.mean()))


def test_undefined_metrics_are_left_out_not_stored_as_nan() -> None:
    one = regression_metrics([5.0], [4.0])
    assert "r2" not in one and one["mae"] == 1.0
    assert regression_metrics([], []) == {}
    only_one_class = classification_metrics([1, 1, 1], [1, 0, 1], [[0.2, 0.8], [0.6, 0.4], [0.1, 0.9]], [0, 1])
    assert "roc_auc" not in only_one_class and only_one_class["accuracy"] == pytest.approx(2 / 3)


def test_binary_classification_metrics() -> None:
    actual = ["no", "yes", "yes", "no", "yes"]
    predicted = ["no", "yes", "no", "no", "yes"]
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3], [0.3, 0.7]])
    metrics = classification_metrics(actual, predicted, proba, ["no", "yes"])
    assert metrics["accuracy"] == pytest.approx(0.8)
    assert metrics["precision"] == 1.0 and metrics["recall"] == pytest.approx(2 / 3)
    assert metrics["roc_auc"] == 1.0 and metrics["brier"] > 0 and metrics["log_loss"] > 0


def test_multiclass_metrics_are_macro_averaged() -> None:
    actual = [0, 1, 2, 2]
    predicted = [0, 2, 2, 2]
    metrics = classification_metrics(actual, predicted)
    assert metrics["recall"] == pytest.approx((1 + 0 + 1) / 3)
    assert "roc_auc" not in metrics


def test_every_metric_has_a_direction() -> None:
    assert better("rmse") == "lower" and better("r2") == "higher" and better("log_loss") == "lower"
    assert set(regression_metrics([1.0, 2.0, 4.0], [1.5, 2.0, 3.0])) <= set(DIRECTIONS)
    with pytest.raises(UnknownMetricError, match="unknown metric 'rsme'") as info:
        better("rsme")
    assert "did you mean 'rmse'" in str(info.value)


def test_a_regression_evaluation_on_the_bikes_with_slices(bike_model, bikes_split) -> None:  # type: ignore[no-untyped-def]
    _, test = bikes_split
    evaluation = evaluate(bike_model, test, target=TARGET, slices=["season", "workingday", "hour_bucket"],
                          buckets=HOUR_BUCKETS)
    assert evaluation.task == "regression" and evaluation.rows == len(test)
    overall = regression_metrics(test[TARGET], bike_model.predict(test[FEATURES]))
    assert evaluation.metrics == pytest.approx(overall)
    for column in ("season", "workingday", "hour_bucket"):
        assert sum(s.rows for s in evaluation.slices if s.column == column) == len(test)
    night = evaluation.slice("hour_bucket", "[0, 6)")
    mask = test["hr"] < 6
    assert night is not None and night.rows == int(mask.sum())
    assert night.metrics["rmse"] == pytest.approx(
        regression_metrics(test[TARGET][mask], bike_model.predict(test[FEATURES][mask]))["rmse"])
    scatter = evaluation.plots["predicted_vs_actual"]
    assert len(scatter["actual"]) == 400 and sum(evaluation.plots["residuals"]["counts"]) == len(test)


def test_features_default_to_what_the_model_was_fitted_with(bike_model, bikes_split) -> None:  # type: ignore[no-untyped-def]
    _, test = bikes_split
    assert evaluate(bike_model, test, target=TARGET).metrics == evaluate(
        bike_model, test, target=TARGET, features=FEATURES).metrics


def test_a_classifier_gets_the_classification_set_with_calibration_and_confusion(classified) -> None:  # type: ignore[no-untyped-def]
    frame, model = classified
    evaluation = evaluate(model, frame, target="label", features=["a", "b", "c", "d"], slices=["group"])
    assert evaluation.task == "classification"
    assert {"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier"} <= set(evaluation.metrics)
    matrix = evaluation.plots["confusion_matrix"]
    assert matrix["labels"] == ["0", "1"] and sum(map(sum, matrix["matrix"])) == len(frame)
    calibration = evaluation.plots["calibration"]
    assert len(calibration["predicted"]) == len(calibration["observed"]) > 3
    assert all(0 <= v <= 1 for v in calibration["observed"])
    assert [s.value for s in evaluation.slices] == ["0", "1", "2"]


def test_buckets_cut_left_closed_and_odd_values_form_a_missing_slice() -> None:
    frame = pd.DataFrame({"hr": [0, 5, 6, 23, 24, None], "kind": ["a", None, "b", "a", "a", "b"]})
    values = slice_values(frame, ["hour_bucket", "kind"], [SliceBucket(**b) for b in HOUR_BUCKETS])
    assert values["hour_bucket"].tolist() == ["[0, 6)", "[0, 6)", "[6, 10)", "[20, 24)", MISSING, MISSING]
    assert values["kind"].tolist() == ["a", MISSING, "b", "a", "a", "b"]


def test_bad_evaluation_inputs_are_named(bike_model, bikes_split) -> None:  # type: ignore[no-untyped-def]
    _, test = bikes_split
    with pytest.raises(EvaluationDataError, match="slice column 'seasn'") as info:
        evaluate(bike_model, test, target=TARGET, slices=["seasn"])
    assert "did you mean 'season'" in str(info.value)
    with pytest.raises(EvaluationDataError, match="bucket 'hb' cuts column 'hour'"):
        evaluate(bike_model, test, target=TARGET, slices=["hb"], buckets=[{"name": "hb", "column": "hour",
                                                                            "edges": [0, 12, 24]}])
    with pytest.raises(EvaluationDataError, match="at most 200 make sense"):
        evaluate(bike_model, test, target=TARGET, slices=["instant"])
    with pytest.raises(EvaluationDataError, match="target column 'count'"):
        evaluate(bike_model, test, target="count")
    with pytest.raises(EvaluationDataError, match="no rows"):
        evaluate(bike_model, test.iloc[:0], target=TARGET)
