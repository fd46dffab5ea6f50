"""Packaging a trained model: signature from the SERVING schema, a sample input, provenance."""

from __future__ import annotations

from functools import partial

import pandas as pd
import pytest
from training_helpers import FEATURES, HGB, TARGET

from loopline.errors import InvalidInputError
from loopline.pipelines import NotInStepError, step
from loopline.registry import ModelPackage
from loopline.training import frame_digest, train
from loopline.training.steps import package_model, register_model
from loopline.validation import infer_schema

SCHEMA_YAML = """
version: 1
label: cnt
environments: [TRAINING, SERVING]
columns:
  hr: {type: numeric, min: 0, max: 23}
  temp: {type: numeric, min: 0, max: 1}
  season: {type: categorical, domain: ["1", "2", "3", "4"]}
  cnt: {type: numeric, environments: [TRAINING]}
"""


@pytest.fixture(scope="module")
def model(bikes_train: pd.DataFrame):  # type: ignore[no-untyped-def]
    return train(bikes_train, estimator=HGB, target=TARGET, features=FEATURES, seed=0)[0]


def test_the_signature_is_the_features_of_the_serving_schema(model, bikes_train: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    package = package_model(model, bikes_train, target=TARGET)
    assert isinstance(package, ModelPackage)
    assert package.input_names == FEATURES  # the fitted features, in order; never the label
    assert package.signature["outputs"] == [{"name": "prediction", "type": "numeric"}]
    assert list(package.sample_input.columns) == FEATURES and len(package.sample_input) == 5
    assert package.info["training_data_hash"] == frame_digest(bikes_train[[*FEATURES, TARGET]])
    assert package.info["features"] == FEATURES and "scikit-learn" in package.info["packages"]
    assert "lineage" not in package.info  # no run: nothing to link to
    assert (package.predict(bikes_train.head(3)) == model.predict(bikes_train[FEATURES].head(3))).all()


def test_a_given_schema_supplies_ranges_and_domains(model, bikes_train: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    small = train(bikes_train, estimator=HGB, target=TARGET, features=["hr", "temp"], seed=0)[0]
    package = package_model(small, bikes_train, SCHEMA_YAML, target=TARGET)
    assert package.signature["inputs"] == [
        {"name": "hr", "type": "numeric", "required": True, "min": 0.0, "max": 23.0},
        {"name": "temp", "type": "numeric", "required": True, "min": 0.0, "max": 1.0},
    ]
    as_object = package_model(small, bikes_train, infer_schema(bikes_train, label=TARGET), target=TARGET)
    assert [i["name"] for i in as_object.signature["inputs"]] == ["hr", "temp"]
    bound = step(partial(package_model, schema=SCHEMA_YAML), inputs=["model", "train"], name="package")
    assert bound.inputs == ("model", "train") and bound.parameter_defaults["schema"] == SCHEMA_YAML
    with pytest.raises(InvalidInputError, match="must be a validation Schema"):
        package_model(small, bikes_train, 42, target=TARGET)


def test_registering_needs_a_run() -> None:
    with pytest.raises(NotInStepError, match="outside a step run by a pipeline runner"):
        register_model(object(), model_name="bikes")
