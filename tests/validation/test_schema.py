"""Schemas: inference, environments, YAML a person can edit, and errors that name column and key."""

from __future__ import annotations

import pandas as pd
import pytest

from loopline.errors import InvalidInputError, NotFoundError
from loopline.validation import (
    SERVING,
    ColumnKind,
    ColumnSchema,
    DriftSetting,
    Profile,
    Schema,
    SchemaFormatError,
    infer_schema,
)


@pytest.fixture(scope="module")
def bike_schema(bike_profile: Profile) -> Schema:
    return infer_schema(bike_profile, label="cnt", key="instant")


def test_inferred_bike_schema(bike_schema: Schema) -> None:
    temp = bike_schema.column("temp")
    assert (temp.kind, temp.required, temp.max_missing_fraction, temp.min, temp.max) == (
        ColumnKind.NUMERIC, True, 0.0, 0.02, 1.0)
    assert bike_schema.column("dteday").kind == ColumnKind.DATETIME
    assert bike_schema.label == "cnt" and bike_schema.key == ("instant",)
    assert bike_schema.column("cnt").environments == ("TRAINING",)


def test_serving_environment_drops_the_label(bike_schema: Schema) -> None:
    serving = bike_schema.for_environment(SERVING)
    assert "cnt" not in serving and "temp" in serving and serving.environment == SERVING
    assert "cnt" in bike_schema.for_environment("TRAINING")
    with pytest.raises(InvalidInputError, match="unknown environment 'SERVNG'") as info:
        bike_schema.for_environment("SERVNG")
    assert "did you mean 'SERVING'" in str(info.value)


def test_domain_range_slack_and_missing_share() -> None:
    frame = pd.DataFrame({
        "colour": ["red", "green", "red", None] * 5,
        "size": [1, 5, 3, 9] * 5,
        "id": [f"row-{i}" for i in range(20)],
    })
    schema = infer_schema(frame, range_slack=0.5, key=["id"])
    colour = schema.column("colour")
    assert colour.domain == ("green", "red") and colour.max_missing_fraction == 0.3
    assert (schema.column("size").min, schema.column("size").max) == (-3.0, 13.0)
    assert schema.column("id").domain is None  # too many values to be a domain
    with pytest.raises(InvalidInputError, match="column 'nope' \\(label or key\\) is not in the data"):
        infer_schema(frame, label="nope")


def test_yaml_round_trip_is_ordered_and_commented(bike_schema: Schema) -> None:
    custom = bike_schema.with_column(
        ColumnSchema("weathersit", ColumnKind.CATEGORICAL, domain=("1", "2", "3", "yes"),
                     drift=DriftSetting(measure="psi", threshold=0.2)))
    text = custom.to_yaml()
    assert text.startswith("# Loopline data schema")
    assert "label: cnt  # the label: present in TRAINING, absent in SERVING" in text
    assert text.index("  instant:") < text.index("  dteday:") < text.index("  cnt:")
    assert "domain: ['1', '2', '3', 'yes']" in text and "drift: {measure: psi, threshold: 0.2}" in text
    assert Schema.from_yaml(text) == custom
    assert Schema.from_dict(custom.to_dict()) == custom


def test_odd_column_names_survive_yaml() -> None:
    names = ["température °C", "a: b", "- dash", "#hash", 'q"uote', "yes", "123"]
    schema = infer_schema(pd.DataFrame({n: [1.0, 2.0] for n in names}))
    assert Schema.from_yaml(schema.to_yaml()).names == tuple(names)


BASE = "columns:\n  temp:\n    type: numeric\n"


@pytest.mark.parametrize(("text", "message"), [
    ("columns:\n  temp:\n    type: numbr\n", r"schema column 'temp': 'type' must be one of .* got 'numbr'"),
    ("columns:\n  temp:\n    type: numeric\n    maxx: 3\n", r"schema column 'temp': unknown key 'maxx'"),
    ("columns:\n  temp:\n    type: numeric\n    min: low\n", r"schema column 'temp': 'min' must be a finite number"),
    ("columns:\n  temp:\n    type: numeric\n    max_missing_fraction: 2\n",
     r"'max_missing_fraction' must be a number from 0 to 1"),
    ("columns:\n  temp:\n    type: numeric\n    required: maybe\n", r"'required' must be true or false"),
    ("columns:\n  c:\n    type: categorical\n    domain: [a, yes]\n",
     r"schema column 'c': 'domain' holds True, which YAML read as a boolean"),
    ("columns:\n  c:\n    type: categorical\n    domain: a\n", r"schema column 'c': 'domain' must be a list"),
    ("columns:\n  temp:\n    type: numeric\n    drift: {measure: kss}\n",
     r"schema column 'temp': drift measure 'kss' is not known"),
    ("columns:\n  temp:\n    type: numeric\n    environments: [TESTING]\n", r"environment 'TESTING' is not one of"),
    (BASE + "label: cnt\n", r"'label' names column 'cnt', which is not under 'columns'"),
    (BASE + "key: [id]\n", r"'key' names column 'id', which is not under 'columns'"),
    (BASE + "  temp:\n    type: text\n", r"the schema gives 'temp' twice \(line 4\)"),
    ("columns: [temp]\n", r"'columns' must be a mapping of column name to settings"),
    ("columns:\n  temp: numeric\n", r"schema column 'temp': expected a mapping of settings"),
    ("colums:\n  temp:\n    type: numeric\n", r"schema: unknown key 'colums'"),
    ("columns:\n  temp:\n    type: [numeric\n", r"not valid YAML at line \d+, column \d+"),
    ("just text", r"a schema must be a mapping with 'columns', got str"),
])
def test_malformed_yaml_names_the_column_and_key(text: str, message: str) -> None:
    with pytest.raises(SchemaFormatError, match=message):
        Schema.from_yaml(text)


def test_unknown_key_suggests_the_right_one() -> None:
    with pytest.raises(SchemaFormatError) as info:
        Schema.from_yaml("columns:\n  temp:\n    type: numeric\n    maxx: 3\n")
    assert "did you mean 'max'" in str(info.value)


def test_column_lookup_suggests_names(bike_schema: Schema) -> None:
    with pytest.raises(NotFoundError, match="no column 'hu'"):
        bike_schema.column("hu")
