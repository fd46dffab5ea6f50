"""The validation steps: plain functions whose results get artifact types and whose failures carry evidence."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loopline.errors import CheckFailedError
from loopline.pipelines.artifact_types import ARTIFACT_TYPES
from loopline.validation import AnomalyCode, DriftReport, Profile, Schema, SchemaFormatError, ValidationResult
from loopline.validation.steps import (
    DataDriftError,
    DataValidationError,
    as_schema,
    compute_statistics,
    detect_data_drift,
    infer_data_schema,
    validate_data,
)


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=400)
    return pd.DataFrame({"x": x, "colour": rng.choice(["red", "blue"], size=400), "y": 2 * x + rng.normal(size=400)})


@pytest.fixture
def schema(frame: pd.DataFrame) -> Schema:
    return infer_data_schema(frame, label="y")


def test_results_are_recorded_with_their_artifact_types(frame: pd.DataFrame, schema: Schema) -> None:
    stats = compute_statistics(frame)
    result = validate_data(frame, schema)
    report = detect_data_drift(stats, frame)
    assert isinstance(stats, Profile) and isinstance(result, ValidationResult) and isinstance(report, DriftReport)
    types = [ARTIFACT_TYPES.type_of(v) for v in (stats, schema, result, report)]
    assert types == ["Statistics", "Schema", "Anomalies", "Drift"]


def test_an_error_anomaly_raises_with_the_result_as_evidence(frame: pd.DataFrame, schema: Schema) -> None:
    broken = frame.drop(columns=["colour"]).assign(x=frame["x"] * 100)
    with pytest.raises(DataValidationError, match=r"failed validation with 2 ERROR anomalies: ") as info:
        validate_data(broken, schema)
    assert "MISSING_COLUMN in column 'colour'" in info.value.message
    assert "OUT_OF_RANGE in column 'x' (column 'x' has values from" in info.value.message
    assert isinstance(info.value, CheckFailedError) and "'anomalies' artifact" in (info.value.hint or "")
    evidence = info.value.evidence["anomalies"]
    assert isinstance(evidence, ValidationResult) and not evidence.passed
    assert {AnomalyCode.MISSING_COLUMN, AnomalyCode.OUT_OF_RANGE} <= evidence.codes()


def test_the_message_names_a_few_errors_and_counts_the_rest() -> None:
    wide = infer_data_schema(pd.DataFrame({name: [1.0, 2.0, 3.0] for name in "abcdef"}))
    with pytest.raises(DataValidationError, match=r"with 6 ERROR anomalies: .*; and 3 more\n") as info:
        validate_data(pd.DataFrame({"other": [1, 2, 3]}), wide)
    assert info.value.message.count("MISSING_COLUMN") == 3


def test_warnings_do_not_raise(frame: pd.DataFrame, schema: Schema) -> None:
    leaky = frame.assign(y_copy=frame["y"] + 1.0)
    result = validate_data(leaky, schema)
    assert result.passed and AnomalyCode.TARGET_LEAKAGE in result.codes()


def test_the_serving_environment_does_not_need_the_label(frame: pd.DataFrame, schema: Schema) -> None:
    request = frame.drop(columns=["y"])
    with pytest.raises(DataValidationError, match="MISSING_COLUMN in column 'y'"):
        validate_data(request, schema)
    assert validate_data(request, schema, environment="SERVING").passed


def test_a_schema_may_be_given_as_yaml_text_a_dict_or_a_path(schema: Schema, tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text(schema.to_yaml(), encoding="utf-8")
    assert as_schema(schema.to_yaml()) == as_schema(schema.to_dict()) == as_schema(path) == schema
    with pytest.raises(SchemaFormatError, match="looks like a file name") as info:
        as_schema("schema.yaml")
    assert "pathlib.Path('schema.yaml')" in (info.value.hint or "")
    with pytest.raises(SchemaFormatError, match="cannot use a int as a schema"):
        as_schema(3)  # type: ignore[arg-type]


def test_drift_fails_only_when_asked(frame: pd.DataFrame) -> None:
    shifted = frame.assign(x=frame["x"] + 3, y=frame["y"] + 10)
    report = detect_data_drift(frame, shifted)
    assert report.dataset_drift
    with pytest.raises(DataDriftError, match=r"the data drifted: 2 of 3 columns .*: x, y") as info:
        detect_data_drift(frame, shifted, fail_on_drift=True)
    assert info.value.evidence["drift"] == report
    assert not detect_data_drift(frame, frame, fail_on_drift=True).dataset_drift


def test_drift_takes_measures_and_a_schema(frame: pd.DataFrame, schema: Schema) -> None:
    report = detect_data_drift(compute_statistics(frame), frame, schema=schema.to_yaml(), numeric_measure="psi",
                               threshold=0.3)
    assert report.column("x").measure == "psi" and report.column("x").threshold == 0.3
