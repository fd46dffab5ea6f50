"""Row kernels and the clean-record lane: the same answers as scikit-learn, the same refusals as the validator."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd
import pytest
from serving_helpers import cancer_frame, cancer_package, cancer_record, colour_package

from loopline.registry import ModelPackage, signature_from_schema
from loopline.serving import ServedModel
from loopline.serving.inference import infer
from loopline.serving.kernels import compile_kernel
from loopline.serving.row_reader import RowReader
from loopline.validation import RecordValidator, infer_schema, profile


@cache
def bike_hours() -> tuple[pd.DataFrame, pd.Series]:
    from loopline.examples.bikes.steps import FEATURES

    hours = pd.read_csv(pd.io.common.stringify_path(_bikes_csv()))
    return hours[list(FEATURES)], hours["cnt"]


def _bikes_csv():
    from pathlib import Path

    import loopline.examples.bikes as bikes

    return Path(bikes.__file__).parent / "data" / "bike_sharing_hour.csv"


def _each_row_alone(model, rows: np.ndarray) -> list:
    return [model.predict(rows[i : i + 1]).tolist()[0] for i in range(len(rows))]


def test_the_scaled_logistic_regression_kernel_answers_as_predict_on_every_row() -> None:
    model = cancer_package().model
    features, _ = cancer_frame()
    kernel = compile_kernel(model)
    assert kernel is not None
    rows = features.to_numpy().tolist()
    answers = [kernel(row) for row in rows]
    assert answers == model.predict(features).tolist()
    assert answers[::3] == [model.predict(features.iloc[[i]]).tolist()[0] for i in range(0, len(features), 3)]
    assert all(type(a) is int for a in answers)


@pytest.mark.parametrize("estimator", ["multiclass", "linear", "ridge"])
def test_linear_kernels_answer_as_predict(estimator: str) -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, target = load_iris(return_X_y=True)
    if estimator == "multiclass":
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(features, target)
    elif estimator == "linear":
        model = LinearRegression().fit(features[:, :3], features[:, 3])
        features = features[:, :3]
    else:
        model = make_pipeline(StandardScaler(), StandardScaler(with_mean=False), Ridge()).fit(features, target)
    kernel = compile_kernel(model)
    assert kernel is not None
    assert [kernel(row) for row in features.tolist()] == _each_row_alone(model, features)


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_the_boosted_trees_kernel_answers_as_predict_on_every_row(loss: str) -> None:
    from sklearn.ensemble import HistGradientBoostingRegressor

    features, target = bike_hours()
    model = HistGradientBoostingRegressor(max_iter=40, max_leaf_nodes=31, loss=loss, random_state=0).fit(
        features.head(4000), target.head(4000))
    kernel = compile_kernel(model)
    assert kernel is not None
    rows = features.to_numpy(dtype=np.float64)
    expected = model.predict(rows).tolist()  # each row's trees are walked alone, batched or not
    assert [kernel(row) for row in rows.tolist()] == expected
    assert _each_row_alone(model, rows[:200]) == expected[:200]


def test_models_the_kernels_do_not_know_get_none() -> None:
    from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor

    frame = pd.DataFrame({"c": pd.Categorical(["a", "b", "a", "c"] * 25), "x": np.arange(100.0)})
    categorical = HistGradientBoostingRegressor(max_iter=5, categorical_features="from_dtype").fit(
        frame, np.arange(100.0))
    assert compile_kernel(categorical) is None
    assert compile_kernel(RandomForestRegressor(n_estimators=2).fit(frame[["x"]], np.arange(100.0))) is None
    assert compile_kernel(colour_package().model) is None  # a column transformer in the pipeline


def test_a_kernel_that_disagrees_with_the_package_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    import loopline.serving.predictor as predictor

    monkeypatch.setattr(predictor, "compile_kernel", lambda model: (lambda row: 7))
    model = ServedModel.build("cancer", 1, cancer_package())
    assert model.predictor.fast and model.predictor.kernel is None
    assert infer(model, [cancer_record(0)]).predictions == cancer_package().predict(
        cancer_frame()[0].iloc[[0]]).tolist()


def test_served_bike_and_cancer_models_use_their_kernels_with_the_same_answers() -> None:
    from sklearn.ensemble import HistGradientBoostingRegressor

    features, target = bike_hours()
    model = HistGradientBoostingRegressor(max_iter=20, random_state=0).fit(features.head(3000), target.head(3000))
    schema = infer_schema(profile(features), range_slack=0.5)
    bikes = ServedModel.build("bikes", 1, ModelPackage(model, signature=signature_from_schema(schema),
                                                       sample_input=features.head(30)))
    assert bikes.predictor.kernel is not None and bikes.reader is not None
    records = features.iloc[4000:4040].to_dict("records")
    assert [infer(bikes, [r]).predictions[0] for r in records] == model.predict(features.iloc[4000:4040]).tolist()
    cancer = ServedModel.build("cancer", 1, cancer_package())
    assert cancer.predictor.kernel is not None
    batch = [cancer_record(i) for i in range(40)]  # more rows than the kernel takes: the array path
    assert infer(cancer, batch).predictions == cancer_package().predict(cancer_frame()[0].head(40)).tolist()


def _colour_records() -> list[dict]:
    return [
        {"colour": "red", "size": 3.0}, {"colour": "blue", "size": 7}, {"colour": "purple", "size": 1.0},
        {"colour": "red"}, {"colour": "red", "size": None}, {"colour": "red", "size": "3"},
        {"colour": "red", "size": True}, {"colour": "red", "size": math.nan}, {"colour": "red", "size": math.inf},
        {"colour": "red", "size": 1e9}, {"colour": 3, "size": 1.0}, {"colour": "red", "size": 1.0, "extra": 1},
        {"size": 1.0, "colour": "green"},
    ]


def test_the_reader_takes_exactly_the_records_the_validator_finds_nothing_wrong_with() -> None:
    package = colour_package()
    schema = ServedModel.build("colour", 1, package).signature.schema
    validator = RecordValidator(schema, environment=None)
    reader = RowReader.compile(schema, ["size", "colour"])
    assert reader is not None
    for record in _colour_records():
        clean = not validator.validate([record]).anomalies
        assert (reader.read([record]) is not None) == clean, record
    assert reader.read([{"colour": "blue", "size": 2}]) == [[2, "blue"]]
    assert reader.read([{"colour": "blue", "size": 2}, {"colour": "purple", "size": 2}]) is None


def test_refusals_are_the_validators_whichever_lane_a_request_starts_in() -> None:
    from loopline.serving import RequestRejected

    model = ServedModel.build("colour", 1, colour_package())
    for record in _colour_records():
        if RecordValidator(model.signature.schema, environment=None).validate([record]).anomalies:
            continue
        assert infer(model, [record]).predictions == colour_package().predict(pd.DataFrame([record])).tolist()
    with pytest.raises(RequestRejected) as refused:
        infer(model, [{"colour": "purple", "size": 1.0}])
    assert [p["code"] for p in refused.value.problems] == ["UNEXPECTED_CATEGORY"]


@pytest.mark.parametrize("bounds", [{}, {"min": 0.0}, {"min": 0.0, "max": 10.0}])
def test_one_open_or_bounded_column_reads_exactly_what_the_validator_accepts(bounds: dict) -> None:
    from loopline.validation import ColumnKind, ColumnSchema, Schema

    schema = Schema(columns=(ColumnSchema(name="x", kind=ColumnKind.NUMERIC, **bounds),))
    validator = RecordValidator(schema, environment=None)
    reader = RowReader.compile(schema, ["x"])
    assert reader is not None
    records = [{"x": 1.5}, {"x": 3}, {"x": math.inf}, {"x": -math.inf}, {"x": math.nan}, {"x": -1.0},
               {"x": 11}, {"x": True}, {"x": "1"}, {"x": None}, {}, {"y": 1.0}, {"x": 1.0, "y": 1.0}]
    for record in records:
        clean = not validator.validate([record]).anomalies
        assert (reader.read([record]) is not None) == clean, record
    assert reader.read([{"x": 2.5}]) == [[2.5]]
