"""Validation results stored as JSON artifacts that read back as the typed values."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from loopline.artifacts import ArtifactStore
from loopline.artifacts.formats import decode, store_value
from loopline.validation import DriftReport, Profile, Schema, ValidationResult, detect_drift, infer_schema, profile
from loopline.validation.artifact_formats import is_json_format


@pytest.fixture()
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(0, 1, 300), "c": rng.choice(["p", "q"], 300),
                         "t": pd.date_range("2024-01-01", periods=300, freq="h")})


def test_each_result_is_plain_json_and_loads_back_equal(tmp_path, frame):
    store = ArtifactStore(str(tmp_path)).open()
    results = ((detect_drift(frame, frame.assign(x=frame["x"] + 2)), "drift+json", DriftReport),
               (profile(frame), "statistics+json", Profile),
               (ValidationResult.from_anomalies([]), "anomalies+json", ValidationResult),
               (infer_schema(frame), "schema+json", Schema))
    for value, fmt, kind in results:
        stored = store_value(store, value)
        assert stored.format == fmt and is_json_format(fmt)
        assert stored.properties["python_type"].endswith(kind.__name__)
        assert isinstance(json.loads(store.get_bytes(stored.uri)), dict)  # readable without running any code
        loaded = decode(store, stored.uri, stored.format)
        assert isinstance(loaded, kind) and loaded == value


def test_a_value_json_cannot_hold_faithfully_falls_back(tmp_path, frame):
    schema = infer_schema(frame).for_environment("SERVING")  # the environment is not part of the JSON form
    assert store_value(ArtifactStore(str(tmp_path)).open(), schema).format == "pickle"
