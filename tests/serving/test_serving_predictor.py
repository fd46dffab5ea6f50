"""The predictor: the fast array path only where it agrees with the package, outputs as plain values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from serving_helpers import cancer_frame, cancer_package, cancer_record, colour_package

from loopline.registry import ModelPackage
from loopline.serving import PredictionFailed, ServedModel, ServerConfigError
from loopline.serving.predictor import as_rows


def test_numeric_sklearn_models_take_the_fast_path_with_identical_answers() -> None:
    model = ServedModel.build("cancer", 1, cancer_package())
    assert model.predictor.fast
    features, _ = cancer_frame()
    records = [cancer_record(i) for i in range(50)]
    assert model.predictor.predict(records) == cancer_package().predict(features.head(50)).tolist()
    assert model.predictor.predict_frame(features.head(50)) == cancer_package().predict(features.head(50)).tolist()


def test_categorical_inputs_and_preprocessing_take_the_reference_path() -> None:
    assert not ServedModel.build("colour", 1, colour_package()).predictor.fast
    base = cancer_package()
    scaled = ModelPackage(base.model, signature=base.signature, sample_input=base.sample_input,
                          preprocessing=lambda frame: frame)
    assert not ServedModel.build("cancer", 1, scaled).predictor.fast
    unsampled = ModelPackage(base.model, signature=base.signature)
    assert not ServedModel.build("cancer", 1, unsampled).predictor.fast


class _FrameOnly:
    """A model that answers frames only (as a model needing column names would)."""

    def predict(self, data):
        if not isinstance(data, pd.DataFrame):
            raise TypeError("frames only")
        return np.asarray(data["size"] * 2)


def test_a_model_that_refuses_arrays_keeps_the_reference_path() -> None:
    sample = pd.DataFrame({"size": [1.0, 2.0]})
    package = ModelPackage(_FrameOnly(), signature={"inputs": [{"name": "size", "type": "numeric"}]},
                           sample_input=sample)
    model = ServedModel.build("frames", 1, package)
    assert not model.predictor.fast
    assert model.predictor.predict([{"size": 4.0}]) == [8.0]


def test_columns_follow_the_fitted_order_not_the_signature_order() -> None:
    base = cancer_package()
    shuffled = {"inputs": list(reversed(base.signature["inputs"])), "outputs": base.signature["outputs"]}
    model = ServedModel.build("cancer", 1, ModelPackage(base.model, signature=shuffled, sample_input=base.sample_input))
    assert model.predictor.columns == tuple(base.model.feature_names_in_)
    assert model.predictor.predict([cancer_record(3)]) == base.predict(cancer_frame()[0].iloc[[3]]).tolist()


@pytest.mark.parametrize(("result", "rows"), [
    (np.array([1, 2]), [1, 2]),
    (np.array([[0.1, 0.9], [0.8, 0.2]]), [[0.1, 0.9], [0.8, 0.2]]),
    (pd.Series(["a", "b"]), ["a", "b"]),
    (pd.DataFrame({"p": [1.0, 2.0], "q": ["x", "y"]}), [{"p": 1.0, "q": "x"}, {"p": 2.0, "q": "y"}]),
    ([np.float64(1.5), 2], [1.5, 2]),
])
def test_outputs_become_plain_values(result: object, rows: list) -> None:
    assert as_rows(result) == rows
    assert all(type(v) in (int, float, str, list, dict) for v in as_rows(result))


class _Broken:
    def __init__(self, result: object = None) -> None:
        self.result = result

    def predict(self, data):
        if self.result is None:
            raise ValueError("boom")
        return self.result


def test_a_failing_model_is_a_prediction_failure() -> None:
    signature = {"inputs": [{"name": "x", "type": "numeric"}]}
    model = ServedModel.build("broken", 1, ModelPackage(_Broken(), signature=signature))
    with pytest.raises(PredictionFailed, match="the model raised ValueError: boom"):
        model.predictor.predict([{"x": 1.0}])
    short = ServedModel.build("short", 1, ModelPackage(_Broken(np.array([1.0])), signature=signature))
    with pytest.raises(PredictionFailed, match="the model returned 1 predictions for 2 rows"):
        short.predictor.predict([{"x": 1.0}, {"x": 2.0}])


def test_a_package_without_a_signature_cannot_be_served() -> None:
    with pytest.raises(ServerConfigError, match="model bare/1: the signature lists no inputs"):
        ServedModel.build("bare", 1, ModelPackage(_Broken(1)))
