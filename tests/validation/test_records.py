"""Record validation for the prediction server: fast, no DuckDB, the same codes as dataset validation."""

from __future__ import annotations

import math
import time

import pandas as pd
import pytest

from loopline.validation import (
    AnomalyCode,
    Profile,
    RecordValidator,
    Schema,
    Severity,
    infer_schema,
    validate,
    validate_records,
)

C = AnomalyCode
#: Codes that only make sense for a whole dataset (a window of 30 hours has a constant month).
DATASET_ONLY = {C.CONSTANT_COLUMN, C.ALL_NULL, C.DUPLICATE_ROWS, C.CONFLICTING_LABELS, C.TARGET_LEAKAGE,
                C.STUCK_VALUES}


@pytest.fixture(scope="module")
def schema(bike_profile: Profile) -> Schema:
    return infer_schema(bike_profile, label="cnt", key="instant")


@pytest.fixture(scope="module")
def record(bike_frame: pd.DataFrame) -> dict:  # type: ignore[type-arg]
    return bike_frame.drop(columns=["cnt"]).iloc[100].to_dict()


def _found(records: list, schema: Schema, environment: str = "SERVING") -> set[tuple[AnomalyCode, str | None]]:  # type: ignore[type-arg]
    return {(a.code, a.column) for a in validate_records(records, schema, environment).anomalies}


def test_a_valid_serving_record_passes(schema: Schema, record: dict) -> None:  # type: ignore[type-arg]
    result = validate_records([record], schema)
    assert result.passed and result.anomalies == ()


def test_each_code_on_records(schema: Schema, record: dict) -> None:  # type: ignore[type-arg]
    assert _found([{**record, "temp": 1.7}], schema) == {(C.OUT_OF_RANGE, "temp")}
    assert _found([{**record, "temp": "warm"}], schema) == {(C.TYPE_MISMATCH, "temp")}
    second = {**record, "instant": record["instant"] + 1, "temp": "warm"}
    assert _found([record, second], schema) == {(C.MIXED_TYPES, "temp")}
    assert _found([{**record, "temp": math.inf}], schema) == {(C.NAN_OR_INF, "temp")}
    assert _found([{**record, "temp": None}], schema) == {(C.TOO_MANY_MISSING, "temp")}
    assert _found([{k: v for k, v in record.items() if k != "hum"}], schema) == {(C.MISSING_COLUMN, "hum")}
    assert _found([{**record, "colour": "red"}], schema) == {(C.UNEXPECTED_COLUMN, "colour")}
    assert _found([{**record, "cnt": 5}], schema) == {(C.UNEXPECTED_COLUMN, "cnt")}
    assert _found([{**record, "dteday": "10 March"}], schema) == {(C.TYPE_MISMATCH, "dteday")}
    assert _found([record, record], schema) == {(C.DUPLICATE_KEYS, "instant")}
    assert _found([], schema) == {(C.EMPTY_DATASET, None)}
    assert _found(["not a record"], schema) == {(C.TYPE_MISMATCH, None)}
    assert _found([{**record, "yr": True}], schema) == {(C.TYPE_MISMATCH, "yr")}


def test_categorical_domain_and_examples() -> None:
    schema = infer_schema(pd.DataFrame({"colour": ["red", "green"] * 10, "n": range(20)}))
    result = validate_records([{"colour": "red", "n": 1}, {"colour": "mauve", "n": 2}], schema, None)
    (anomaly,) = result.anomalies
    assert anomaly.code == C.UNEXPECTED_CATEGORY and anomaly.severity == Severity.ERROR
    assert anomaly.examples == ({"record": 1, "value": "mauve"},) and anomaly.expected == ["green", "red"]


def test_missing_shares_are_judged_on_batches_of_twenty() -> None:
    frame = pd.DataFrame({"x": [1.0, None] + [2.0] * 38})
    schema = infer_schema(frame)  # x may be missing in 7.5% of rows
    assert validate_records([{"x": None}], schema, None).passed
    batch = [{"x": None}] * 5 + [{"x": 1.0}] * 15
    assert {a.code for a in validate_records(batch, schema, None).anomalies} == {C.TOO_MANY_MISSING}


def test_records_and_datasets_report_the_same_codes(schema: Schema, bike_frame: pd.DataFrame) -> None:
    rows = bike_frame.drop(columns=["cnt", "hum"]).iloc[200:230].to_dict("records")
    rows[0]["temp"] = 3.0                       # out of range
    rows[1]["windspeed"] = math.inf             # infinite
    rows[2]["atemp"] = "n/a"                    # text among numbers
    rows[3]["hr"] = None                        # missing where none is allowed
    rows[4]["weather"] = "sunny"                # unexpected column (only in some records)
    rows[5]["instant"] = rows[6]["instant"]     # duplicate key
    for row in rows:
        row.setdefault("weather", None)
    from_records = _found(rows, schema)
    dataset = validate(pd.DataFrame(rows), schema, environment="SERVING").anomalies
    from_dataset = {(a.code, a.column) for a in dataset if a.code not in DATASET_ONLY}
    assert from_records == from_dataset == {
        (C.MISSING_COLUMN, "hum"), (C.OUT_OF_RANGE, "temp"), (C.NAN_OR_INF, "windspeed"),
        (C.MIXED_TYPES, "atemp"), (C.TOO_MANY_MISSING, "hr"), (C.UNEXPECTED_COLUMN, "weather"),
        (C.DUPLICATE_KEYS, "instant"),
    }


def test_a_record_takes_microseconds(schema: Schema, record: dict) -> None:  # type: ignore[type-arg]
    validator = RecordValidator(schema)
    validator.validate([record])
    loops = 2000
    start = time.perf_counter()
    for _ in range(loops):
        validator.validate([record])
    per_record = (time.perf_counter() - start) / loops
    assert per_record < 200e-6, f"{per_record * 1e6:.0f} us per record"


def test_cache_follows_the_schema_object(schema: Schema, record: dict) -> None:  # type: ignore[type-arg]
    strict = schema.with_column(schema.column("temp").__class__(**{**schema.column("temp").__dict__, "max": 0.1}))
    assert validate_records([record], schema).passed
    assert not validate_records([record], strict).passed
