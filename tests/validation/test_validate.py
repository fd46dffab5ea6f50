"""Dataset validation: every anomaly code, per-column degradation, and the bike data's real defects."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loopline.errors import InvalidInputError
from loopline.validation import (
    AnomalyCode,
    Profile,
    Schema,
    Severity,
    ValidationResult,
    check_data,
    infer_schema,
    profile,
    validate,
)

C = AnomalyCode


@pytest.fixture(scope="module")
def bike_result(bike_csv: Path, bike_profile: Profile) -> ValidationResult:
    schema = infer_schema(bike_profile, label="cnt", key="instant")
    return validate(bike_csv, schema, order_by=["dteday", "hr"])


def test_bike_data_passes_its_own_schema_with_warnings(bike_result: ValidationResult) -> None:
    assert bike_result.passed and not bike_result.errors
    assert bike_result.codes() == {C.TARGET_LEAKAGE, C.STUCK_VALUES}
    text = json.dumps(bike_result.to_dict(), allow_nan=False)
    assert ValidationResult.from_dict(json.loads(text)) == bike_result


def test_bike_leakage_casual_plus_registered_is_caught(bike_result: ValidationResult) -> None:
    leaks = [a for a in bike_result.anomalies if a.code == C.TARGET_LEAKAGE]
    assert [a.column for a in leaks] == ["casual + registered"]
    assert leaks[0].observed == pytest.approx(1.0) and leaks[0].severity == Severity.WARNING
    example = leaks[0].examples[0]
    assert example["casual"] + example["registered"] == example["cnt"]


def test_bike_humidity_stuck_at_zero_on_2011_03_10_is_caught(bike_result: ValidationResult) -> None:
    (hum,) = [a for a in bike_result.anomalies if a.code == C.STUCK_VALUES and a.column == "hum"]
    runs = {(e["value"], e["length"], e["from"]["dteday"], e["to"]["dteday"]) for e in hum.examples}
    assert (0.0, 22, "2011-03-10", "2011-03-10") in runs
    assert "stuck sensor" in hum.message


def _frame(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "id": np.arange(n),
        "x": rng.uniform(0, 10, n),
        "colour": rng.choice(["red", "green", "blue"], n),
        "label": rng.choice(["yes", "no"], n),
    })


@pytest.fixture(scope="module")
def schema() -> Schema:
    return infer_schema(_frame(), label="label", key="id")


def _codes(result: ValidationResult) -> dict[AnomalyCode, tuple[str | None, Severity]]:
    return {a.code: (a.column, a.severity) for a in result.anomalies}


def test_clean_data_passes(schema: Schema) -> None:
    result = validate(_frame(), schema)
    assert result.passed and result.anomalies == ()


def test_missing_and_unexpected_columns(schema: Schema) -> None:
    frame = _frame().drop(columns=["colour"]).assign(extra=1)
    codes = _codes(validate(frame, schema))
    assert codes[C.MISSING_COLUMN] == ("colour", Severity.ERROR)
    assert codes[C.UNEXPECTED_COLUMN] == ("extra", Severity.WARNING)


def test_label_is_optional_when_serving(schema: Schema) -> None:
    serving = _frame().drop(columns=["label"])
    assert validate(serving, schema, environment="SERVING").anomalies == ()
    assert _codes(validate(serving, schema))[C.MISSING_COLUMN] == ("label", Severity.ERROR)
    with_label = _codes(validate(_frame(), schema, environment="SERVING"))
    assert with_label == {C.UNEXPECTED_COLUMN: ("label", Severity.WARNING)}


def test_out_of_range_reports_exact_counts_and_examples(schema: Schema) -> None:
    frame = _frame()
    frame.loc[[3, 5, 7], "x"] = [-1.0, 11.5, 11.5]
    (anomaly,) = validate(frame, schema, data_checks=False).anomalies
    assert anomaly.code == C.OUT_OF_RANGE and anomaly.severity == Severity.ERROR
    assert {e["value"]: e["count"] for e in anomaly.examples} == {11.5: 2, -1.0: 1}
    assert "(3 rows, 2 distinct value(s))" in anomaly.message


def test_unexpected_category(schema: Schema) -> None:
    frame = _frame()
    frame.loc[[1, 2], "colour"] = "purple"
    (anomaly,) = validate(frame, schema).anomalies
    assert anomaly.code == C.UNEXPECTED_CATEGORY and anomaly.column == "colour"
    assert anomaly.examples == ({"value": "purple", "count": 2},) and anomaly.observed == ["purple"]


def test_too_many_missing_and_all_null(schema: Schema) -> None:
    frame = _frame()
    frame.loc[:4, "x"] = np.nan
    assert _codes(validate(frame, schema))[C.TOO_MANY_MISSING] == ("x", Severity.ERROR)
    frame["x"] = np.nan
    codes = _codes(validate(frame, schema))
    assert C.ALL_NULL in codes and C.TOO_MANY_MISSING in codes and C.TYPE_MISMATCH not in codes


def test_type_mismatch_and_mixed_types(schema: Schema, tmp_path: Path) -> None:
    frame = _frame()
    assert _codes(validate(frame.assign(x="abc"), schema))[C.TYPE_MISMATCH] == ("x", Severity.ERROR)
    assert "numbers stored as text" in validate(frame.assign(x=frame["x"].astype(str)), schema).errors[0].message
    mixed = frame.astype({"x": object})
    mixed.loc[2, "x"] = "n/a"
    assert _codes(validate(mixed, schema))[C.MIXED_TYPES] == ("x", Severity.ERROR)
    path = tmp_path / "mixed.csv"
    mixed.to_csv(path, index=False)
    assert C.MIXED_TYPES in _codes(validate(path, schema))


def test_duplicate_keys_and_rows(schema: Schema) -> None:
    frame = pd.concat([_frame(), _frame().iloc[:2]], ignore_index=True)
    result = validate(frame, schema)
    keys = next(a for a in result.anomalies if a.code == C.DUPLICATE_KEYS)
    assert keys.severity == Severity.ERROR and keys.observed == {"keys": 2, "rows": 4}
    rows = next(a for a in result.anomalies if a.code == C.DUPLICATE_ROWS)
    assert rows.observed == 2 and rows.examples[0]["rows"] == 2


def test_nan_inf_constant_and_empty(schema: Schema) -> None:
    frame = _frame()
    frame.loc[0, "x"] = np.inf
    assert _codes(validate(frame, schema))[C.NAN_OR_INF] == ("x", Severity.ERROR)
    assert C.CONSTANT_COLUMN in _codes(validate(_frame().assign(colour="red"), schema))
    empty = validate(_frame().iloc[:0], schema)
    assert not empty.passed and _codes(empty) == {C.EMPTY_DATASET: (None, Severity.ERROR)}


def test_conflicting_labels_and_categorical_leakage() -> None:
    frame = pd.DataFrame({"a": [1, 1, 2, 2, 3] * 4, "b": ["x", "x", "y", "y", "z"] * 4,
                          "y": ["p", "q", "p", "p", "q"] * 4})
    result = check_data(frame, label="y")
    conflict = next(a for a in result.anomalies if a.code == C.CONFLICTING_LABELS)
    assert conflict.observed == {"groups": 1, "rows": 8}
    assert conflict.examples[0] == {"features": {"a": 1, "b": "x"}, "rows": 8, "labels": ["p", "q"]}
    leaky = pd.DataFrame({"f": ["a", "b", "c", "d"] * 30, "noise": range(120), "y": ["A", "B", "C", "D"] * 30})
    leaks = [a for a in check_data(leaky, label="y").anomalies if a.code == C.TARGET_LEAKAGE]
    assert [a.column for a in leaks] == ["f"]


def test_every_pathology_at_once_degrades_per_column() -> None:
    frame = pd.DataFrame({
        "température °C": [1.0, 2.0, np.inf, 4.0, 5.0, 6.0],
        "名前": ["a", "b", "a", "c", None, "a"],
        "all_null": [None] * 6,
        "constant": [7] * 6,
        "mixed": [1, "x", 2.5, None, 3, 4],
        "fine": [1.0, 5.0, 2.0, 8.0, 3.0, 9.0],
    })
    result = check_data(frame)
    found = {(a.code, a.column) for a in result.anomalies}
    assert found == {(C.NAN_OR_INF, "température °C"), (C.ALL_NULL, "all_null"),
                     (C.CONSTANT_COLUMN, "constant"), (C.MIXED_TYPES, "mixed")}


def test_validate_a_stored_profile(schema: Schema) -> None:
    frame = _frame()
    frame.loc[0, "x"] = 99.0
    codes = _codes(validate(profile(frame.drop(columns=["colour"])), schema))
    assert set(codes) == {C.OUT_OF_RANGE, C.MISSING_COLUMN}


def test_results_round_trip_and_unknown_check_columns(schema: Schema) -> None:
    result = validate(_frame().drop(columns=["colour"]), schema)
    assert ValidationResult.from_dict(result.to_dict()) == result
    with pytest.raises(InvalidInputError, match="column 'tiem' \\(label, key or order_by\\) is not in the data"):
        check_data(_frame(), order_by=["tiem"])
